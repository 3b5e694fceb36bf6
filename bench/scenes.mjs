// The benchmark's standard scenes. Each one changes every frame, the way its kind of content does:
//   cube   the demo cube turning every frame (flat-shaded: compresses well)
//   chart  a static chart with a small cursor moving over it (almost every pixel stays the same)
//   noise  a full-frame field of hashed noise, new every frame (the worst case for encoders)
//   mesh   a realistic 3D scene drawn with the renderer of src/resources/: a Phong-lit torus knot
//          with a striped vertex-colour pattern (standing in for a texture: the renderer has
//          none), a ring of orbiting spheres and a checkered floor, seen by a camera that orbits
//          (no MSAA: 4x tripled its render time on the software GPU, ~45 -> ~160 ms at 1280x720)
// Every scene is a function of its frame number: `seek(n)` shows frame n (tick() is seek(n + 1)),
// so two encoders can be fed identical frames (bench/quality.mjs).
import { DemoScene } from '../dist/cli/demo-scene.js';
import { Buffer, Mesh, MeshPhongMaterial, PerspectiveCamera, Renderer, Scene, sphereGeometry } from '../dist/index.js';

/** Scene names, in the order the benchmark runs them. */
export const SCENES = ['cube', 'chart', 'noise', 'mesh'];

const SHADER = /* wgsl */ `
struct U { size: vec2f, cursor: vec2f, frame: f32, _pad: f32, _pad2: vec2f };
@group(0) @binding(0) var<uniform> u: U;
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  let p = vec2f(f32((i << 1u) & 2u), f32(i & 2u));
  return vec4f(p * 2.0 - 1.0, 0.0, 1.0);
}
fn hash(p: vec3u) -> f32 {
  var h = p.x * 1664525u + p.y * 1013904223u + p.z * 2654435761u;
  h = (h ^ (h >> 16u)) * 2246822519u;
  h = (h ^ (h >> 13u)) * 3266489917u;
  return f32(h ^ (h >> 16u)) / 4294967295.0;
}
@fragment fn noise(@builtin(position) pos: vec4f) -> @location(0) vec4f {
  let q = vec3u(vec2u(pos.xy), u32(u.frame));
  return vec4f(hash(q), hash(q + vec3u(7u, 0u, 0u)), hash(q + vec3u(0u, 13u, 0u)), 1.0);
}
@fragment fn chart(@builtin(position) pos: vec4f) -> @location(0) vec4f {
  let uv = pos.xy / u.size;
  var c = vec3f(0.97, 0.97, 0.95);
  // Grid every 1/10 of the frame.
  let g = fract(uv * 10.0);
  if (min(g.x, g.y) < 0.004 * 10.0 * max(1.0, 640.0 / u.size.x)) { c = vec3f(0.86); }
  // Twenty bars of fixed heights, and a line over them.
  let bar = floor(uv.x * 20.0);
  let h = 0.15 + 0.7 * fract(sin(bar * 12.9898) * 43758.5453);
  if (fract(uv.x * 20.0) > 0.15 && fract(uv.x * 20.0) < 0.85 && 1.0 - uv.y < h) { c = mix(vec3f(0.2, 0.45, 0.8), vec3f(0.3, 0.7, 0.5), uv.x); }
  let line = 0.5 + 0.3 * sin(uv.x * 9.0);
  if (abs(1.0 - uv.y - line) < 2.0 / u.size.y) { c = vec3f(0.85, 0.2, 0.2); }
  // The cursor: a crosshair of 24 px with a dark centre.
  let d = abs(pos.xy - u.cursor);
  if ((d.x < 1.0 && d.y < 12.0) || (d.y < 1.0 && d.x < 12.0)) { c = vec3f(0.05); }
  if (length(pos.xy - u.cursor) < 4.0) { c = vec3f(0.9, 0.1, 0.1); }
  return vec4f(c, 1.0);
}`;

/** A full-screen scene drawn by one fragment entry point of SHADER. */
class FlatScene {
  #device; #pipeline; #uniforms; #bindGroup; #frame = 0; #entry;
  constructor(device, format, entry) {
    this.#device = device;
    this.#entry = entry;
    const module = device.createShaderModule({ label: `bench ${entry}`, code: SHADER });
    this.#pipeline = device.createRenderPipeline({
      label: `bench ${entry}`, layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: { module, entryPoint: entry, targets: [{ format }] },
    });
    this.#uniforms = device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.#bindGroup = device.createBindGroup({ layout: this.#pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: this.#uniforms } }] });
  }

  attach(canvas) {
    const context = canvas.getContext();
    context.configure({ device: this.#device });
    canvas.requestDraw(() => this.render(context.getCurrentTexture()));
  }

  /** Advances the animation by one frame. */
  tick() {
    this.#frame++;
  }

  /** Shows frame `n` from the next draw on. */
  seek(n) {
    this.#frame = n;
  }

  render(target) {
    const { width, height } = target;
    // The cursor circles slowly over the middle of the chart: a small region changes per frame.
    const t = this.#frame * 0.05;
    const cursor = [width * (0.5 + 0.3 * Math.cos(t)), height * (0.5 + 0.3 * Math.sin(t))];
    this.#device.queue.writeBuffer(this.#uniforms, 0, new Float32Array([width, height, ...cursor, this.#frame, 0, 0, 0]));
    const encoder = this.#device.createCommandEncoder();
    const pass = encoder.beginRenderPass({ colorAttachments: [{ view: target.createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 0, 1] }] });
    pass.setPipeline(this.#pipeline);
    pass.setBindGroup(0, this.#bindGroup);
    pass.draw(3);
    pass.end();
    this.#device.queue.submit([encoder.finish()]);
  }

  destroy() {
    this.#uniforms.destroy();
  }
}

/** The cube of `dawn-rfb demo`, turned a little every frame. */
class CubeScene {
  #scene;
  #frame = 0;
  #yaw0;
  constructor(device, format) {
    this.#scene = new DemoScene(device, format);
    this.#yaw0 = this.#scene.state.yaw;
  }

  attach(canvas) {
    this.#scene.attach(canvas);
  }

  tick() {
    // Relative, so a drag in the view (the demo scene's own handler) still turns it.
    this.#frame++;
    this.#scene.state.yaw += 0.02;
  }

  /** Shows frame `n` (the yaw it has after n ticks from the start; a drag's changes are reset). */
  seek(n) {
    this.#frame = n;
    this.#scene.state.yaw = this.#yaw0 + 0.02 * n;
  }

  destroy() {
    this.#scene.destroy();
  }
}

/** A (p, q) torus knot tube with smooth normals and a striped pattern in its vertex colours. */
function torusKnot({ p = 2, q = 3, radius = 1, tube = 0.28, segments = 192, sides = 16 } = {}) {
  const curve = (t) => {
    const r = radius * (2 + Math.cos(q * t)) / 3;
    return [r * Math.cos(p * t), r * Math.sin(p * t), radius * Math.sin(q * t) / 3];
  };
  const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const norm = (a) => { const l = Math.hypot(...a) || 1; return [a[0] / l, a[1] / l, a[2] / l]; };
  const n = (segments + 1) * (sides + 1);
  const pos = new Float32Array(3 * n);
  const nor = new Float32Array(3 * n);
  const col = new Float32Array(3 * n);
  let k = 0;
  for (let i = 0; i <= segments; i++) {
    const t = (i / segments) * 2 * Math.PI;
    const c = curve(t);
    const tangent = norm(sub(curve(t + 1e-3), c));
    // A frame around the tangent from the z axis (the curve's tangent is never along z: its xy
    // speed is at least p x radius / 3).
    const binormal = norm(cross(tangent, [0, 0, 1]));
    const side = norm(cross(binormal, tangent));
    for (let j = 0; j <= sides; j++) {
      const a = (j / sides) * 2 * Math.PI;
      const d = [0, 1, 2].map((m) => Math.cos(a) * side[m] + Math.sin(a) * binormal[m]);
      for (let m = 0; m < 3; m++) {
        pos[3 * k + m] = c[m] + tube * d[m];
        nor[3 * k + m] = d[m];
      }
      // Stripes across the tube and a band along it: detail at several scales, as a texture has.
      const stripe = 0.5 + 0.5 * Math.sign(Math.sin(t * 24));
      const band = 0.5 + 0.5 * Math.cos(a * 3);
      col[3 * k] = 0.9 * stripe + 0.2 * (1 - stripe);
      col[3 * k + 1] = 0.35 + 0.4 * band;
      col[3 * k + 2] = 0.2 + 0.7 * (1 - stripe) * band;
      k++;
    }
  }
  const idx = new Uint32Array(6 * segments * sides);
  let w = 0;
  for (let i = 0; i < segments; i++) {
    for (let j = 0; j < sides; j++) {
      const a = i * (sides + 1) + j;
      const b = a + sides + 1;
      idx.set([a, b, a + 1, a + 1, b, b + 1], w);
      w += 6;
    }
  }
  return {
    positions: new Buffer(pos, { nitems: n }), normals: new Buffer(nor, { nitems: n }),
    colors: new Buffer(col, { nitems: n }), indices: new Buffer(idx),
  };
}

/** A size x size floor of tiles x tiles squares in two colours (flat per square: hard edges), at y = 0. */
function checkerFloor(size = 8, tiles = 16) {
  const n = tiles * tiles * 4;
  const pos = new Float32Array(3 * n);
  const nor = new Float32Array(3 * n);
  const col = new Float32Array(3 * n);
  const idx = new Uint32Array(tiles * tiles * 6);
  const step = size / tiles;
  let k = 0;
  for (let i = 0; i < tiles; i++) {
    for (let j = 0; j < tiles; j++) {
      const x0 = -size / 2 + i * step;
      const z0 = -size / 2 + j * step;
      const c = (i + j) % 2 ? [0.75, 0.75, 0.7] : [0.18, 0.2, 0.25];
      idx.set([k, k + 1, k + 2, k, k + 2, k + 3], (i * tiles + j) * 6);
      for (const [dx, dz] of [[0, 0], [0, 1], [1, 1], [1, 0]]) {
        pos.set([x0 + dx * step, 0, z0 + dz * step], 3 * k);
        nor.set([0, 1, 0], 3 * k);
        col.set(c, 3 * k);
        k++;
      }
    }
  }
  return { positions: new Buffer(pos, { nitems: n }), normals: new Buffer(nor, { nitems: n }), colors: new Buffer(col, { nitems: n }), indices: new Buffer(idx) };
}

/**
 * The realistic scene: a torus knot turning, eight spheres orbiting it, a checkered floor, the
 * camera circling and bobbing; Phong lighting (a light at the camera). Every pose is a
 * function of the frame number.
 */
class MeshScene {
  #device; #renderer; #frame = 0; #knot; #spheres = []; #camera; #scene;
  constructor(device) {
    this.#device = device;
    this.#scene = new Scene();
    this.#scene.background = [0.05, 0.06, 0.09, 1];
    this.#knot = new Mesh(torusKnot(), new MeshPhongMaterial({ shininess: 60, ambient: 0.2 }));
    this.#knot.position = [0, 1.3, 0];
    const floor = new Mesh(checkerFloor(), new MeshPhongMaterial({ shininess: 10, ambient: 0.3 }));
    this.#scene.add(this.#knot, floor);
    const ball = sphereGeometry(0.22, 32, 16);
    for (let i = 0; i < 8; i++) {
      const hue = i / 8;
      const color = [0.5 + 0.5 * Math.cos(2 * Math.PI * hue), 0.5 + 0.5 * Math.cos(2 * Math.PI * (hue - 1 / 3)), 0.5 + 0.5 * Math.cos(2 * Math.PI * (hue - 2 / 3))];
      const sphere = new Mesh(ball, new MeshPhongMaterial({ color, shininess: 80 }));
      this.#spheres.push(sphere);
      this.#scene.add(sphere);
    }
    this.#camera = new PerspectiveCamera({ position: [0, 2.5, 6], target: [0, 1, 0] });
    this.#pose();
  }

  attach(canvas) {
    canvas.getContext().configure({ device: this.#device });
    this.#renderer = new Renderer(canvas, { sampleCount: 1, picking: false });
    canvas.requestDraw(() => this.#renderer.render(this.#scene, this.#camera));
  }

  tick() {
    this.seek(this.#frame + 1);
  }

  /** Shows frame `n` from the next draw on. */
  seek(n) {
    this.#frame = n;
    this.#pose();
  }

  #pose() {
    const t = this.#frame / 60; // seconds at 60 fps
    this.#knot.rotation = [0, 0, 0, 1];
    this.#knot.rotate([0, 1, 0], 0.9 * t).rotate([1, 0, 0], 0.4 * t);
    this.#spheres.forEach((s, i) => {
      const a = 0.7 * t + (i / 8) * 2 * Math.PI;
      s.position = [2.4 * Math.cos(a), 1.3 + 0.6 * Math.sin(2 * a + t), 2.4 * Math.sin(a)];
    });
    const c = 0.25 * t;
    this.#camera.position = [6 * Math.sin(c), 2.4 + 0.6 * Math.sin(0.5 * t), 6 * Math.cos(c)];
  }

  destroy() {
    this.#renderer?.destroy();
  }
}

/** Creates scene `name` (one of {@link SCENES}) for `device`. */
export function createScene(name, device, format) {
  if (name === 'cube') return new CubeScene(device, format);
  if (name === 'mesh') return new MeshScene(device);
  if (name === 'chart' || name === 'noise') return new FlatScene(device, format, name);
  throw new Error(`unknown scene ${JSON.stringify(name)}; scenes: ${SCENES.join(', ')}`);
}
