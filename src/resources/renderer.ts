// A small forward renderer: sorts the scene's drawables by render queue, order and depth, draws
// opaque/blended/stochastic objects in one pass (colour + pick texture + depth, optional MSAA),
// weighted-transparency objects in a pass of their own, then composites those over the colour.
import type { CanvasBase } from '../canvas/base.js';
import { InvalidArgumentError } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { sortsFrontToBack } from './alpha.js';
import type { Camera } from './camera.js';
import type { Buffer } from './buffer.js';
import { DeviceMismatchError } from './errors.js';
import { bytesOf, describe } from './format.js';
import { transformPoint, type Mat4, type Vec3 } from './mat4.js';
import { invert, multiply, transpose } from './mat4.js';
import { DrawableObject, type Scene } from './objects.js';
import { ACCUM_FORMAT, DEPTH_FORMAT, PICK_FORMAT, PipelineCache, REVEAL_FORMAT, type PassTargets } from './pipelines.js';
import { pickAt, type PickInfo } from './picking.js';
import { UniformWriter } from './uniform-layout.js';
import { CAMERA_UNIFORMS, COMPOSITE_WGSL, OBJECT_UNIFORMS } from './wgsl.js';
import { BufferUsage, TextureUsage, ShaderStage } from './usage.js';

/** Options of {@link Renderer}. All optional. */
export interface RendererOptions {
  /** MSAA sample count: 1 (off) or 4. Default 1. */
  sampleCount?: 1 | 4;
  /** Keep a pick texture so `pick(x, y)` works. Default true. */
  picking?: boolean;
}

/** What the last render did (for tests and tuning). */
export interface RenderStats {
  /** Objects drawn, in draw order (the weighted ones last). */
  drawOrder: DrawableObject[];
  /** Pipelines in the cache. */
  pipelines: number;
  /** Pipelines created so far. */
  pipelinesCreated: number;
}

interface Item {
  object: DrawableObject;
  world: Mat4;
  depth: number;
  order: number;
}

interface Targets {
  width: number;
  height: number;
  msaaColor?: GPUTexture;
  depth: GPUTexture;
  pick: GPUTexture;
  accum?: GPUTexture;
  reveal?: GPUTexture;
  accumResolved?: GPUTexture;
  revealResolved?: GPUTexture;
}

const centers = new WeakMap<Buffer, { revision: number; center: Vec3 }>();

/** The centre of a positions buffer's bounding box (cached until the buffer changes). */
function localCenter(positions: Buffer): Vec3 {
  const cached = centers.get(positions);
  if (cached && cached.revision === positions.revision) return cached.center;
  const d = positions.data;
  let center: Vec3 = [0, 0, 0];
  if (d) {
    const p = d instanceof Float32Array ? d : new Float32Array(bytesOf(d).slice().buffer);
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i + 2 < p.length; i += 3) {
      for (let k = 0; k < 3; k++) {
        lo[k] = Math.min(lo[k]!, p[i + k]!);
        hi[k] = Math.max(hi[k]!, p[i + k]!);
      }
    }
    if (lo[0]! <= hi[0]!) center = [(lo[0]! + hi[0]!) / 2, (lo[1]! + hi[1]!) / 2, (lo[2]! + hi[2]!) / 2];
  }
  centers.set(positions, { revision: positions.revision, center });
  return center;
}

/** Renders a Scene seen by a Camera into a canvas (call `render` from the canvas's draw function). */
export class Renderer {
  readonly #canvas: CanvasBase;
  readonly #device: GPUDevice;
  #format: GPUTextureFormat;
  readonly #sampleCount: 1 | 4;
  readonly #pipelines: PipelineCache;
  readonly #cameraBuffer: GPUBuffer;
  /** CPU side of the camera uniform (written by name, uploaded whole each render). */
  readonly #camera = new UniformWriter(CAMERA_UNIFORMS);
  /** CPU side of one object's uniform, reused for every object (each is uploaded as written). */
  readonly #object = new UniformWriter(OBJECT_UNIFORMS);
  readonly #objectBuffers = new WeakMap<DrawableObject, GPUBuffer>();
  readonly #bindGroups = new WeakMap<DrawableObject, { material: GPUBuffer; group: GPUBindGroup }>();
  #targets: Targets | undefined;
  #composite: { pipeline: GPURenderPipeline; layout: GPUBindGroupLayout } | undefined;
  #lastItems: Item[] = [];
  #lastViewProj: Mat4 | undefined;
  #stats: RenderStats;
  readonly #picking: boolean;

  /**
   * @param canvas a canvas whose context is configured (`canvas.getContext().configure({ device })`).
   * @throws {InvalidArgumentError} when the context is not configured or options are bad.
   */
  constructor(canvas: CanvasBase, options: RendererOptions = {}) {
    checkOptionNames('Renderer', options, optionNames<RendererOptions>({ sampleCount: true, picking: true }));
    const config = canvas?.getContext?.().getConfiguration();
    if (!config) throw new InvalidArgumentError('Renderer: configure the canvas first: canvas.getContext().configure({ device })');
    const sc = options.sampleCount ?? 1;
    if (sc !== 1 && sc !== 4) throw new InvalidArgumentError(`Renderer: sampleCount must be 1 or 4 (WebGPU's MSAA counts), got ${describe(sc)}`);
    this.#canvas = canvas;
    this.#device = config.device;
    this.#format = config.format;
    this.#sampleCount = sc;
    this.#picking = options.picking ?? true;
    this.#pipelines = new PipelineCache(this.#device);
    this.#cameraBuffer = this.#device.createBuffer({ label: 'dawn-rfb camera', size: CAMERA_UNIFORMS.byteSize, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
    this.#stats = { drawOrder: [], pipelines: 0, pipelinesCreated: 0 };
  }

  /** The device it renders with. */
  get device(): GPUDevice {
    return this.#device;
  }
  /** MSAA sample count. */
  get sampleCount(): number {
    return this.#sampleCount;
  }
  /** What the last render did. */
  stats(): RenderStats {
    return this.#stats;
  }

  /** Renders `scene` from `camera` into the canvas's current texture and submits it. */
  render(scene: Scene, camera: Camera): void {
    const device = this.#device;
    const config = this.#canvas.getContext().getConfiguration();
    if (config && config.device !== device) {
      throw new DeviceMismatchError('Renderer.render: the canvas was reconfigured with another device; create a new Renderer for it');
    }
    if (config && config.format !== this.#format) {
      // Reconfigured with another format: pipelines and targets follow (cached per format).
      this.#format = config.format;
      this.#destroyTargets();
      this.#composite = undefined;
    }
    const colorTexture = this.#canvas.getContext().getCurrentTexture();
    const { width, height } = colorTexture;
    const t = this.#ensureTargets(width, height);
    const viewProj = camera.viewProjection(width / height);
    this.#writeCamera(camera, viewProj, width, height);

    // Collect and sort: queue, renderOrder, then depth (front-to-back in 1501..2500).
    const items: Item[] = [];
    scene.traverseVisible((o, world) => {
      if (o instanceof DrawableObject) {
        const c = transformPoint(multiply(viewProj, world), localCenter(o.geometry.positions));
        items.push({ object: o, world, depth: c[2], order: items.length });
      }
    });
    items.sort((a, b) => {
      const qa = a.object.material.renderQueue;
      const qb = b.object.material.renderQueue;
      if (qa !== qb) return qa - qb;
      if (a.object.renderOrder !== b.object.renderOrder) return a.object.renderOrder - b.object.renderOrder;
      const d = sortsFrontToBack(qa) ? a.depth - b.depth : b.depth - a.depth;
      return d !== 0 ? d : a.order - b.order;
    });
    items.forEach((it, i) => this.#writeObject(it, i + 1));
    this.#lastItems = items;
    this.#lastViewProj = viewProj;
    const main = items.filter((it) => it.object.material.alphaMethod !== 'weighted');
    const weighted = items.filter((it) => it.object.material.alphaMethod === 'weighted');

    const encoder = device.createCommandEncoder({ label: 'dawn-rfb render' });
    const bg = scene.background;
    const ms = this.#sampleCount > 1;
    const pass = encoder.beginRenderPass({
      label: 'dawn-rfb main pass',
      colorAttachments: [
        {
          view: ms ? t.msaaColor!.createView() : colorTexture.createView(),
          resolveTarget: ms ? colorTexture.createView() : undefined,
          loadOp: 'clear', storeOp: ms ? 'discard' : 'store', clearValue: [...bg],
        },
        { view: t.pick.createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 0, 0] },
      ],
      depthStencilAttachment: { view: t.depth.createView(), depthLoadOp: 'clear', depthStoreOp: 'store', depthClearValue: 1 },
    });
    const mainTargets: PassTargets = { colorFormat: this.#format, sampleCount: this.#sampleCount, pass: 'main' };
    for (const it of main) this.#draw(pass, it, mainTargets);
    pass.end();

    if (weighted.length) {
      const wpass = encoder.beginRenderPass({
        label: 'dawn-rfb weighted pass',
        colorAttachments: [
          { view: t.accum!.createView(), resolveTarget: ms ? t.accumResolved!.createView() : undefined, loadOp: 'clear', storeOp: ms ? 'discard' : 'store', clearValue: [0, 0, 0, 0] },
          { view: t.reveal!.createView(), resolveTarget: ms ? t.revealResolved!.createView() : undefined, loadOp: 'clear', storeOp: ms ? 'discard' : 'store', clearValue: [1, 0, 0, 0] },
          { view: t.pick.createView(), loadOp: 'load', storeOp: 'store' },
        ],
        depthStencilAttachment: { view: t.depth.createView(), depthLoadOp: 'load', depthStoreOp: 'store' },
      });
      const wTargets: PassTargets = { colorFormat: this.#format, sampleCount: this.#sampleCount, pass: 'weighted' };
      for (const it of weighted) this.#draw(wpass, it, wTargets);
      wpass.end();
      this.#compositeWeighted(encoder, colorTexture, ms ? t.accumResolved! : t.accum!, ms ? t.revealResolved! : t.reveal!);
    }
    device.queue.submit([encoder.finish()]);
    this.#stats = { drawOrder: [...main, ...weighted].map((i) => i.object), pipelines: this.#pipelines.size, pipelinesCreated: this.#pipelines.created };
  }

  /**
   * What the last rendered frame shows at (x, y) in logical pixels: the object (of those with
   * `pickWrite`) and which point, face or vertex. Undefined for the background, outside the
   * canvas, or when picking is off.
   */
  async pick(x: number, y: number): Promise<PickInfo | undefined> {
    if (!this.#picking || !this.#targets || !this.#lastViewProj) return undefined;
    const ratio = this.#canvas.getPixelRatio();
    return pickAt(this.#device, this.#targets.pick, this.#sampleCount > 1, x * ratio, y * ratio,
      this.#lastItems.map((i) => ({ object: i.object, world: i.world })), this.#lastViewProj);
  }

  /** Frees the renderer's textures and buffers. Objects and materials keep their own buffers. */
  destroy(): void {
    this.#destroyTargets();
    this.#cameraBuffer.destroy();
  }

  #draw(pass: GPURenderPassEncoder, it: Item, targets: PassTargets): void {
    const device = this.#device;
    const o = it.object;
    const g = o.geometry;
    const m = o.material;
    pass.setPipeline(this.#pipelines.get(o, targets));
    const materialBuffer = m.uniformBuffer.sync(device, BufferUsage.UNIFORM);
    let bind = this.#bindGroups.get(o);
    if (!bind || bind.material !== materialBuffer) {
      bind = {
        material: materialBuffer,
        group: device.createBindGroup({
          layout: this.#pipelines.bindGroupLayout,
          entries: [
            { binding: 0, resource: { buffer: this.#cameraBuffer } },
            { binding: 1, resource: { buffer: this.#objectBuffers.get(o)! } },
            { binding: 2, resource: { buffer: materialBuffer } },
          ],
        }),
      };
      this.#bindGroups.set(o, bind);
    }
    pass.setBindGroup(0, bind.group);
    let slot = 0;
    pass.setVertexBuffer(slot++, g.positions.sync(device, BufferUsage.VERTEX));
    if (m.kind === 'phong' && g.normals) pass.setVertexBuffer(slot++, g.normals.sync(device, BufferUsage.VERTEX));
    if (g.colors) pass.setVertexBuffer(slot++, g.colors.sync(device, BufferUsage.VERTEX));
    if (m.kind === 'points') {
      const [first, count] = g.positions.drawRange;
      pass.draw(6, count, 0, first);
    } else if (g.indices) {
      const [first, count] = g.indices.drawRange;
      pass.setIndexBuffer(g.indices.sync(device, BufferUsage.INDEX), g.indices.indexFormat!);
      pass.drawIndexed(count, 1, first);
    } else {
      const [first, count] = g.positions.drawRange;
      pass.draw(count, 1, first);
    }
  }

  #writeCamera(camera: Camera, viewProj: Mat4, width: number, height: number): void {
    const u = this.#camera;
    u.set('viewProj', viewProj);
    u.set('view', camera.viewMatrix);
    u.set('position', [...camera.position, 1]);
    u.set('viewport', [width, height, this.#canvas.getPixelRatio(), 0]);
    this.#device.queue.writeBuffer(this.#cameraBuffer, 0, u.data);
  }

  #writeObject(it: Item, pickId: number): void {
    let buffer = this.#objectBuffers.get(it.object);
    if (!buffer) {
      buffer = this.#device.createBuffer({ label: 'dawn-rfb object', size: OBJECT_UNIFORMS.byteSize, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
      this.#objectBuffers.set(it.object, buffer);
    }
    const u = this.#object;
    u.set('world', it.world);
    u.set('normal', transpose(invert(it.world)));
    u.set('pickId', it.object.material.pickWrite ? pickId : 0);
    // writeBuffer copies the bytes at once, so the one CPU buffer serves every object.
    this.#device.queue.writeBuffer(buffer, 0, u.data);
  }

  #compositeWeighted(encoder: GPUCommandEncoder, target: GPUTexture, accum: GPUTexture, reveal: GPUTexture): void {
    if (!this.#composite) {
      const module = this.#device.createShaderModule({ label: 'dawn-rfb weighted composite', code: COMPOSITE_WGSL });
      const layout = this.#device.createBindGroupLayout({
        entries: [
          { binding: 0, visibility: ShaderStage.FRAGMENT, texture: { sampleType: 'unfilterable-float' } },
          { binding: 1, visibility: ShaderStage.FRAGMENT, texture: { sampleType: 'unfilterable-float' } },
        ],
      });
      const pipeline = this.#device.createRenderPipeline({
        label: 'dawn-rfb weighted composite',
        layout: this.#device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        vertex: { module, entryPoint: 'vs' },
        fragment: {
          module, entryPoint: 'fs',
          targets: [{ format: this.#format, blend: { color: { srcFactor: 'src-alpha', dstFactor: 'one-minus-src-alpha' }, alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha' } } }],
        },
      });
      this.#composite = { pipeline, layout };
    }
    const group = this.#device.createBindGroup({
      layout: this.#composite.layout,
      entries: [{ binding: 0, resource: accum.createView() }, { binding: 1, resource: reveal.createView() }],
    });
    const pass = encoder.beginRenderPass({
      label: 'dawn-rfb weighted composite',
      colorAttachments: [{ view: target.createView(), loadOp: 'load', storeOp: 'store' }],
    });
    pass.setPipeline(this.#composite.pipeline);
    pass.setBindGroup(0, group);
    pass.draw(3);
    pass.end();
  }

  #ensureTargets(width: number, height: number): Targets {
    if (this.#targets && this.#targets.width === width && this.#targets.height === height) return this.#targets;
    this.#destroyTargets();
    const device = this.#device;
    const sampleCount = this.#sampleCount;
    const make = (label: string, format: GPUTextureFormat, usage: number, samples = sampleCount) =>
      device.createTexture({ label: `dawn-rfb ${label}`, size: [width, height], format, sampleCount: samples, usage });
    const RA = TextureUsage.RENDER_ATTACHMENT;
    const TB = TextureUsage.TEXTURE_BINDING;
    const t: Targets = {
      width, height,
      depth: make('depth', DEPTH_FORMAT, RA),
      pick: make('pick', PICK_FORMAT, RA | TB),
      accum: make('accum', ACCUM_FORMAT, RA | TB),
      reveal: make('reveal', REVEAL_FORMAT, RA | TB),
    };
    if (sampleCount > 1) {
      t.msaaColor = make('msaa colour', this.#format, RA);
      t.accumResolved = make('accum resolved', ACCUM_FORMAT, RA | TB, 1);
      t.revealResolved = make('reveal resolved', REVEAL_FORMAT, RA | TB, 1);
    }
    this.#targets = t;
    return t;
  }

  #destroyTargets(): void {
    const t = this.#targets;
    if (!t) return;
    for (const tex of [t.msaaColor, t.depth, t.pick, t.accum, t.reveal, t.accumResolved, t.revealResolved]) tex?.destroy();
    this.#targets = undefined;
  }
}
