// The benchmark's standard scenes. Each one changes every frame, the way its kind of content does:
//   cube   the demo cube turning every frame (flat-shaded: compresses well)
//   chart  a static chart with a small cursor moving over it (almost every pixel stays the same)
//   noise  a full-frame field of hashed noise, new every frame (the worst case for encoders)
import { DemoScene } from '../dist/cli/demo-scene.js';

/** Scene names, in the order the benchmark runs them. */
export const SCENES = ['cube', 'chart', 'noise'];

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
  constructor(device, format) {
    this.#scene = new DemoScene(device, format);
  }

  attach(canvas) {
    this.#scene.attach(canvas);
  }

  tick() {
    this.#scene.state.yaw += 0.02;
  }

  destroy() {
    this.#scene.destroy();
  }
}

/** Creates scene `name` ('cube' | 'chart' | 'noise') for `device`. */
export function createScene(name, device, format) {
  if (name === 'cube') return new CubeScene(device, format);
  if (name === 'chart' || name === 'noise') return new FlatScene(device, format, name);
  throw new Error(`unknown scene ${JSON.stringify(name)}; scenes: ${SCENES.join(', ')}`);
}
