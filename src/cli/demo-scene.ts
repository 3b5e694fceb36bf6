// The demo scene of `dawn-rfb snapshot` and `dawn-rfb demo`: a lit cube. Drag rotates, the wheel
// zooms, space cycles the colour scheme, "r" resets the view, Shift+arrows nudge the rotation.
import type { CanvasBase } from '../canvas/base.js';

const SHADER = /* wgsl */ `
struct Uniforms { mvp: mat4x4f, model: mat4x4f, tint: vec4f };
@group(0) @binding(0) var<uniform> u: Uniforms;
struct VsOut { @builtin(position) pos: vec4f, @location(0) normal: vec3f, @location(1) color: vec3f };
@vertex fn vs(@location(0) pos: vec3f, @location(1) normal: vec3f, @location(2) color: vec3f) -> VsOut {
  var o: VsOut;
  o.pos = u.mvp * vec4f(pos, 1.0);
  o.normal = (u.model * vec4f(normal, 0.0)).xyz;
  o.color = color * u.tint.rgb;
  return o;
}
@fragment fn fs(i: VsOut) -> @location(0) vec4f {
  let light = normalize(vec3f(0.4, 0.7, 1.0));
  let d = max(dot(normalize(i.normal), light), 0.0);
  return vec4f(i.color * (0.3 + 0.7 * d), 1.0);
}`;

// Face normals and colours; each face is two triangles.
const FACES: [number[], number[]][] = [
  [[1, 0, 0], [0.9, 0.3, 0.3]], [[-1, 0, 0], [0.3, 0.9, 0.9]],
  [[0, 1, 0], [0.3, 0.9, 0.3]], [[0, -1, 0], [0.9, 0.3, 0.9]],
  [[0, 0, 1], [0.3, 0.4, 0.95]], [[0, 0, -1], [0.95, 0.9, 0.3]],
];

function cubeVertices(): Float32Array {
  const out: number[] = [];
  for (const [n, c] of FACES) {
    const axis = n.findIndex((v) => v !== 0);
    const [a, b] = [0, 1, 2].filter((i) => i !== axis) as [number, number];
    const corner = (s: number, t: number): number[] => {
      const p = [0, 0, 0];
      p[axis] = n[axis]!;
      p[a] = s;
      p[b] = t;
      return p;
    };
    // Wind counter-clockwise as seen from outside.
    const quad = n[axis]! * (axis === 1 ? -1 : 1) > 0
      ? [corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)]
      : [corner(-1, -1), corner(-1, 1), corner(1, 1), corner(1, -1)];
    for (const i of [0, 1, 2, 0, 2, 3]) out.push(...quad[i]!, ...n, ...c);
  }
  return new Float32Array(out);
}

type Mat4 = Float32Array;
function multiply(a: Mat4, b: Mat4): Mat4 {
  const o = new Float32Array(16);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[k * 4 + r]! * b[c * 4 + k]!;
    o[c * 4 + r] = s;
  }
  return o;
}
function perspective(fovy: number, aspect: number, near: number, far: number): Mat4 {
  const f = 1 / Math.tan(fovy / 2);
  // WebGPU clip space: z in [0, 1].
  return new Float32Array([f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, far / (near - far), -1, 0, 0, (near * far) / (near - far), 0]);
}
function rotation(yaw: number, pitch: number): Mat4 {
  const [cy, sy, cp, sp] = [Math.cos(yaw), Math.sin(yaw), Math.cos(pitch), Math.sin(pitch)];
  const ry = new Float32Array([cy, 0, -sy, 0, 0, 1, 0, 0, sy, 0, cy, 0, 0, 0, 0, 1]);
  const rx = new Float32Array([1, 0, 0, 0, 0, cp, sp, 0, 0, -sp, cp, 0, 0, 0, 0, 1]);
  return multiply(rx, ry);
}
function translation(z: number): Mat4 {
  return new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, z, 1]);
}

/** The colour schemes space cycles through. */
export const TINTS: readonly [number, number, number][] = [[1, 1, 1], [1, 0.55, 0.35], [0.45, 0.75, 1]];
const BACKGROUNDS: readonly [number, number, number][] = [[0.08, 0.09, 0.12], [0.12, 0.06, 0.05], [0.03, 0.07, 0.13]];

/** View state of the demo scene. */
export interface DemoState {
  yaw: number;
  pitch: number;
  /** Camera distance; the wheel changes it. */
  distance: number;
  /** Index into the colour schemes. */
  scheme: number;
}

const INITIAL: DemoState = { yaw: 0.6, pitch: 0.45, distance: 5, scheme: 0 };

/** A lit cube that reacts to drag, wheel and keys, drawn into a canvas. */
export class DemoScene {
  readonly state: DemoState = { ...INITIAL };
  readonly #device: GPUDevice;
  readonly #format: GPUTextureFormat;
  readonly #pipeline: GPURenderPipeline;
  readonly #vertices: GPUBuffer;
  readonly #uniforms: GPUBuffer;
  readonly #bindGroup: GPUBindGroup;
  #depth: GPUTexture | undefined;
  #drag: { x: number; y: number } | undefined;

  constructor(device: GPUDevice, format: GPUTextureFormat) {
    this.#device = device;
    this.#format = format;
    const module = device.createShaderModule({ label: 'demo scene', code: SHADER });
    const data = cubeVertices();
    this.#vertices = device.createBuffer({ label: 'demo cube', size: data.byteLength, usage: GPUBufferUsage.VERTEX | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(this.#vertices, 0, data);
    this.#uniforms = device.createBuffer({ label: 'demo uniforms', size: 144, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.#pipeline = device.createRenderPipeline({
      label: 'demo scene',
      layout: 'auto',
      vertex: {
        module,
        buffers: [{
          arrayStride: 36,
          attributes: [
            { shaderLocation: 0, offset: 0, format: 'float32x3' },
            { shaderLocation: 1, offset: 12, format: 'float32x3' },
            { shaderLocation: 2, offset: 24, format: 'float32x3' },
          ],
        }],
      },
      fragment: { module, targets: [{ format }] },
      primitive: { topology: 'triangle-list', cullMode: 'back' },
      depthStencil: { format: 'depth24plus', depthWriteEnabled: true, depthCompare: 'less' },
    });
    this.#bindGroup = device.createBindGroup({
      layout: this.#pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: this.#uniforms } }],
    });
  }

  /**
   * Makes `canvas` draw this scene and react to its events. The canvas's context is configured
   * with this scene's device and format.
   */
  attach(canvas: CanvasBase): void {
    const context = canvas.getContext();
    context.configure({ device: this.#device, format: this.#format });
    canvas.addEventHandler((e) => {
      if (e.type === 'pointer_down' && e.button === 1) this.#drag = { x: e.x, y: e.y };
      else if (e.type === 'pointer_up') this.#drag = undefined;
      else if (e.type === 'pointer_move' && this.#drag && e.buttons.includes(1)) {
        this.state.yaw += (e.x - this.#drag.x) * 0.01;
        this.state.pitch = Math.max(-1.5, Math.min(1.5, this.state.pitch + (e.y - this.#drag.y) * 0.01));
        this.#drag = { x: e.x, y: e.y };
      } else if (e.type === 'wheel') {
        this.state.distance = Math.max(2.5, Math.min(20, this.state.distance * Math.exp(e.dy * 0.002)));
      } else if (e.type === 'key_down') {
        if (e.key === ' ') this.state.scheme = (this.state.scheme + 1) % TINTS.length;
        else if (e.key === 'r') Object.assign(this.state, INITIAL);
        else if (e.modifiers.includes('Shift') && e.key.startsWith('Arrow')) {
          const step = 0.2;
          if (e.key === 'ArrowLeft') this.state.yaw -= step;
          if (e.key === 'ArrowRight') this.state.yaw += step;
          if (e.key === 'ArrowUp') this.state.pitch -= step;
          if (e.key === 'ArrowDown') this.state.pitch += step;
        } else return;
      } else return;
      canvas.requestDraw();
    }, 'pointer_down', 'pointer_up', 'pointer_move', 'wheel', 'key_down');
    canvas.requestDraw(() => this.render(context.getCurrentTexture()));
  }

  /** Renders the scene into a texture of this scene's format. */
  render(target: GPUTexture): void {
    const { width, height } = target;
    if (!this.#depth || this.#depth.width !== width || this.#depth.height !== height) {
      this.#depth?.destroy();
      this.#depth = this.#device.createTexture({ label: 'demo depth', size: [width, height], format: 'depth24plus', usage: GPUTextureUsage.RENDER_ATTACHMENT });
    }
    const { yaw, pitch, distance, scheme } = this.state;
    const model = rotation(yaw, pitch);
    const mvp = multiply(perspective(Math.PI / 4, width / height, 0.1, 100), multiply(translation(-distance), model));
    const uniforms = new Float32Array(36);
    uniforms.set(mvp, 0);
    uniforms.set(model, 16);
    uniforms.set([...TINTS[scheme]!, 1], 32);
    this.#device.queue.writeBuffer(this.#uniforms, 0, uniforms);
    const [r, g, b] = BACKGROUNDS[scheme]!;
    const encoder = this.#device.createCommandEncoder({ label: 'demo frame' });
    const pass = encoder.beginRenderPass({
      colorAttachments: [{ view: target.createView(), loadOp: 'clear', storeOp: 'store', clearValue: { r, g, b, a: 1 } }],
      depthStencilAttachment: { view: this.#depth.createView(), depthLoadOp: 'clear', depthStoreOp: 'store', depthClearValue: 1 },
    });
    pass.setPipeline(this.#pipeline);
    pass.setBindGroup(0, this.#bindGroup);
    pass.setVertexBuffer(0, this.#vertices);
    pass.draw(36);
    pass.end();
    this.#device.queue.submit([encoder.finish()]);
  }

  /** Frees the scene's GPU resources. */
  destroy(): void {
    this.#vertices.destroy();
    this.#uniforms.destroy();
    this.#depth?.destroy();
  }
}
