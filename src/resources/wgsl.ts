// WGSL of the renderer, assembled from a few snippets by the state that shapes a pipeline. The
// uniform structs are not written here by hand: they are generated from the field tables that
// the CPU side writes by name (CAMERA_UNIFORMS, OBJECT_UNIFORMS here, each material class's
// uniformLayout in material.ts), so a shader and its buffer always agree on every offset.
import type { AlphaConfig } from './alpha.js';
import { UniformLayout } from './uniform-layout.js';

/** What a shader variant depends on. */
export interface ShaderVariant {
  kind: 'basic' | 'phong' | 'points' | 'line';
  hasNormals: boolean;
  hasColors: boolean;
  /** For meshes/lines: whether the geometry is indexed (the pick index is then a vertex). */
  indexed: boolean;
  lineMode: 'strip' | 'segments';
  alpha: AlphaConfig;
  /** "main" (colour + pick) or "weighted" (accum + reveal + pick). */
  pass: 'main' | 'weighted';
  /** The material's uniform layout (its class's `uniformLayout`): the struct bound at binding 2. */
  materialUniforms: UniformLayout;
}

/**
 * The camera uniform (binding 0): view-projection and view matrices (column-major), the eye
 * position (w = 1) and the viewport (physical width, height, pixel ratio, 0).
 */
export const CAMERA_UNIFORMS = new UniformLayout('Camera', { viewProj: 'mat4x4f', view: 'mat4x4f', position: 'vec4f', viewport: 'vec4f' });
/**
 * The per-object uniform (binding 1): world matrix, normal matrix (inverse transpose of world)
 * and the pick id (0 when the object is not picked).
 */
export const OBJECT_UNIFORMS = new UniformLayout('Object', { world: 'mat4x4f', normal: 'mat4x4f', pickId: 'u32' });

/** Declarations every variant shares after the uniforms: the varyings and helper functions. */
const SHARED_WGSL = /* wgsl */ `
struct VsOut {
  @builtin(position) position: vec4f,
  @location(0) world: vec3f,
  @location(1) normal: vec3f,
  @location(2) color: vec4f,
  @location(3) offset: vec2f,
  @location(4) @interpolate(flat) index: u32,
};

fn compareAlpha(a: f32, b: f32, op: u32) -> bool {
  switch op {
    case 0u: { return a < b; }
    case 1u: { return a <= b; }
    case 2u: { return a == b; }
    case 3u: { return a != b; }
    case 4u: { return a >= b; }
    default: { return a > b; }
  }
}

fn bayer8(p: vec2u) -> f32 {
  let x = p.x & 7u; let y = p.y & 7u; let xy = x ^ y;
  let v = ((xy & 1u) << 5u) | ((y & 1u) << 4u) | ((xy & 2u) << 2u) | ((y & 2u) << 1u) | ((xy & 4u) >> 1u) | ((y & 4u) >> 2u);
  return (f32(v) + 0.5) / 64.0;
}
fn ign(p: vec2f) -> f32 { return fract(52.9829189 * fract(dot(p, vec2f(0.06711056, 0.00583715)))); }
fn whiteNoise(p: vec2u) -> f32 {
  var h = p.x * 1664525u + p.y * 1013904223u;
  h ^= h >> 16u; h *= 0x7feb352du; h ^= h >> 15u; h *= 0x846ca68bu; h ^= h >> 16u;
  return (f32(h >> 8u) + 0.5) / 16777216.0;
}
`;

/**
 * Shared declarations: the camera, object and material uniform structs (the material's per
 * class) and their bindings, the varyings and helpers, and the clipping test (bounded by the
 * length of the material's planes array).
 */
function commonWgsl(material: UniformLayout): string {
  return /* wgsl */ `
${CAMERA_UNIFORMS.wgsl()}
${OBJECT_UNIFORMS.wgsl()}
${material.wgsl()}
@group(0) @binding(0) var<uniform> camera: ${CAMERA_UNIFORMS.structName};
@group(0) @binding(1) var<uniform> object: ${OBJECT_UNIFORMS.structName};
@group(0) @binding(2) var<uniform> material: ${material.structName};
${SHARED_WGSL}
fn clipped(world: vec3f) -> bool {
  let n = min(material.clipCount, ${material.field('planes').elements}u);
  if (n == 0u) { return false; }
  var count = 0u;
  for (var i = 0u; i < n; i++) {
    let p = material.planes[i];
    if (dot(p.xyz, world) + p.w < 0.0) { count++; }
  }
  if (material.clipAll == 1u) { return count == n; }
  return count > 0u;
}
`;
}

function vertexInputs(v: ShaderVariant): string {
  const lines = ['@location(0) position: vec3f'];
  if (v.hasNormals) lines.push('@location(1) normal: vec3f');
  if (v.hasColors) lines.push('@location(2) color: vec4f');
  return lines.join(', ');
}

function vertexShader(v: ShaderVariant): string {
  const normal = v.hasNormals ? '(object.normal * vec4f(normal, 0.0)).xyz' : 'vec3f(0.0)';
  const color = v.hasColors ? 'color' : 'vec4f(1.0)';
  if (v.kind === 'points') {
    return /* wgsl */ `
@vertex fn vs(${vertexInputs(v)}, @builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> VsOut {
  var corners = array(vec2f(-1.0, -1.0), vec2f(1.0, -1.0), vec2f(-1.0, 1.0), vec2f(-1.0, 1.0), vec2f(1.0, -1.0), vec2f(1.0, 1.0));
  let c = corners[vi];
  let world = (object.world * vec4f(position, 1.0)).xyz;
  var clip = camera.viewProj * vec4f(world, 1.0);
  // size is in logical pixels; viewport.xy is the physical size, viewport.z the pixel ratio.
  clip = vec4f(clip.xy + c * material.size * camera.viewport.z / camera.viewport.xy * clip.w, clip.zw);
  var out: VsOut;
  out.position = clip; out.world = world; out.normal = vec3f(0.0); out.color = ${color};
  out.offset = c; out.index = ii;
  return out;
}`;
  }
  // Meshes: face = vertex_index / 3 when not indexed; lines: segment start. Indexed geometry
  // gives the provoking (first) vertex of the primitive; the renderer resolves the face on the CPU.
  const index = v.indexed ? 'vi' : v.kind === 'line' ? (v.lineMode === 'segments' ? 'vi / 2u' : 'vi') : 'vi / 3u';
  return /* wgsl */ `
@vertex fn vs(${vertexInputs(v)}, @builtin(vertex_index) vi: u32) -> VsOut {
  let world = (object.world * vec4f(position, 1.0)).xyz;
  var out: VsOut;
  out.position = camera.viewProj * vec4f(world, 1.0);
  out.world = world; out.normal = ${normal}; out.color = ${color};
  out.offset = vec2f(0.0); out.index = ${index};
  return out;
}`;
}

function shading(v: ShaderVariant): string {
  if (v.kind !== 'phong') return '';
  // A headlight: the light sits at the camera. Two-sided: back faces are lit as front faces.
  const n = v.hasNormals ? 'normalize(in.normal)' : 'normalize(cross(dpdx(in.world), dpdy(in.world)))';
  return /* wgsl */ `
  var n = ${n};
  let toEye = normalize(camera.position.xyz - in.world);
  if (dot(n, toEye) < 0.0) { n = -n; }
  let diffuse = max(dot(n, toEye), 0.0);
  let specular = pow(diffuse, material.shininess) * 0.35;
  color = vec4f(color.rgb * (material.ambient + (1.0 - material.ambient) * diffuse) + vec3f(specular), color.a);`;
}

function stochasticThreshold(a: AlphaConfig): string {
  const seed = a.seed === 'object' ? 'vec2u(object.pickId * 7u, object.pickId * 13u)'
    : a.seed === 'element' ? 'vec2u(in.index * 31u, in.index * 17u)' : 'vec2u(0u)';
  const p = `vec2u(in.position.xy) + ${seed}`;
  if (a.pattern === 'bayer') return `bayer8(${p})`;
  if (a.pattern === 'white-noise') return `whiteNoise(${p})`;
  return `ign(vec2f((${p}) & vec2u(1023u)))`;
}

function output(v: ShaderVariant): { decl: string; body: string } {
  const a = v.alpha;
  const pick = 'vec4u(object.pickId & 0xffffu, in.index & 0xffffu, in.index >> 16u, 1u)';
  if (v.pass === 'weighted') {
    return {
      decl: 'struct FsOut { @location(0) accum: vec4f, @location(1) reveal: f32, @location(2) pick: vec4u };',
      body: /* wgsl */ `
  let depth = in.position.z;
  let weight = ${a.weight};
  let wa = ${a.alpha};
  var out: FsOut;
  out.accum = vec4f(color.rgb * wa, wa) * weight;
  out.reveal = wa;
  out.pick = ${pick};
  return out;`,
    };
  }
  let body: string;
  if (a.method === 'opaque') body = a.premultiply ? 'vec4f(color.rgb * alpha, 1.0)' : 'vec4f(color.rgb, 1.0)';
  else if (a.method === 'stochastic') body = 'vec4f(color.rgb, 1.0)';
  else body = 'vec4f(color.rgb, alpha)';
  const discard = a.method === 'stochastic' ? `  if (alpha <= ${stochasticThreshold(a)}) { discard; }\n` : '';
  return {
    decl: 'struct FsOut { @location(0) color: vec4f, @location(1) pick: vec4u };',
    body: `${discard}  var out: FsOut;\n  out.color = ${body};\n  out.pick = ${pick};\n  return out;`,
  };
}

/** The complete WGSL module of a variant (entry points `vs` and `fs`). */
export function shaderCode(v: ShaderVariant): string {
  const out = output(v);
  const round = v.kind === 'points' ? '  if (material.round == 1u && dot(in.offset, in.offset) > 1.0) { discard; }\n' : '';
  return `${commonWgsl(v.materialUniforms)}
${vertexShader(v)}
${out.decl}
@fragment fn fs(in: VsOut) -> FsOut {
  var color = material.color * in.color;
${shading(v)}
  if (clipped(in.world)) { discard; }
${round}  let alpha = color.a * material.opacity;
  if (material.alphaTest > 0.0 && compareAlpha(alpha, material.alphaTest, material.alphaCompare)) { discard; }
${out.body}
}
`;
}

/** Full-screen composite of weighted transparency onto the colour target. */
export const COMPOSITE_WGSL = /* wgsl */ `
@group(0) @binding(0) var accumTex: texture_2d<f32>;
@group(0) @binding(1) var revealTex: texture_2d<f32>;
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  var p = array(vec2f(-1.0, -1.0), vec2f(3.0, -1.0), vec2f(-1.0, 3.0));
  return vec4f(p[i], 0.0, 1.0);
}
@fragment fn fs(@builtin(position) pos: vec4f) -> @location(0) vec4f {
  let p = vec2i(pos.xy);
  let accum = textureLoad(accumTex, p, 0);
  let reveal = textureLoad(revealTex, p, 0).r;
  if (accum.a <= 0.0) { discard; }
  // Blended over the target with (src-alpha, one-minus-src-alpha): coverage is 1 - reveal.
  return vec4f(accum.rgb / max(accum.a, 1e-5), 1.0 - reveal);
}
`;

/** Reads one texel of the pick texture into a storage buffer. */
export function pickReadWgsl(multisampled: boolean): string {
  const type = multisampled ? 'texture_multisampled_2d<u32>' : 'texture_2d<u32>';
  return /* wgsl */ `
@group(0) @binding(0) var pickTex: ${type};
@group(0) @binding(1) var<storage, read_write> result: vec4u;
@group(0) @binding(2) var<uniform> at: vec4u;
@compute @workgroup_size(1) fn main() {
  result = textureLoad(pickTex, vec2i(at.xy), 0);
}
`;
}
