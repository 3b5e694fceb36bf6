// The WebGPU-style context of an offscreen canvas: configure it with a device, render into
// getCurrentTexture(), and the canvas reads the texture back when it presents the frame. Unlike a
// browser canvas, the texture is kept between frames and recreated only when the size changes.
import { CanvasClosedError, InvalidArgumentError, type GpuError } from '../errors.js';
import { deviceSummary } from '../gpu/device.js';
import { fromGpuError } from '../gpu/scopes.js';
import { checkSize } from './limits.js';
import { PixelLease } from './pixel-pool.js';
import { CANVAS_FORMATS, TextureReadback, type Pixels } from './readback.js';

export { checkSize } from './limits.js';

/** Options of {@link CanvasContext.configure}, as in WebGPU's GPUCanvasConfiguration. */
export interface ContextConfiguration {
  /** The device that renders into the canvas. Required. */
  device: GPUDevice;
  /** Texture format. Default: {@link CanvasContext.getPreferredFormat} (`rgba8unorm-srgb`). */
  format?: GPUTextureFormat;
  /** Extra texture usage; `RENDER_ATTACHMENT | COPY_SRC` are always included. Default: none. */
  usage?: GPUTextureUsageFlags;
  /** `opaque` (default: alpha is ignored, frames encode without it) or `premultiplied`. */
  alphaMode?: GPUCanvasAlphaMode;
}

/**
 * How a canvas's frames are read back, as its backend asks (`CanvasBase._rfbReadbackOptions`):
 * savings that are right only for backends whose every use of a frame allows them.
 */
export interface ReadbackOptions {
  /**
   * Set an opaque frame's alpha bytes to 255 after readback (true in `present()`). False saves a
   * pass over every pixel on the CPU (3.5 ms at 1920x1080 on the development machine), for
   * consumers that ignore the alpha of an opaque frame, as a frame's `alphaMode` says they may.
   */
  fillOpaqueAlpha: boolean;
  /**
   * Also find, on the GPU, which 64 px tiles changed since the previous read (a frame's
   * `changedTiles`): 'auto' on a hardware GPU only, 'on' always, 'off' never.
   */
  compareTiles: GpuPassChoice;
  /**
   * Also make the frame's I420 planes on the GPU (a frame's `i420`, for a video encoder): 'auto'
   * on a hardware GPU only, 'on' always, 'off' never. Absent: 'off'.
   */
  i420?: GpuPassChoice;
}

/**
 * Whether a compute pass of the readback runs: `'auto'` on a hardware GPU only, because on a
 * software GPU the pass runs on the CPU's cores, where it costs more than the CPU work it saves
 * (measured for both passes: see tile-compare.ts and i420-convert.ts).
 */
export type GpuPassChoice = 'off' | 'auto' | 'on';

/** What `present()` reads back with: alpha filled, no tile comparison. */
const PRESENT_OPTIONS: ReadbackOptions = { fillOpaqueAlpha: true, compareTiles: 'off' };

/** Where a context gets its size from. */
export interface SizeSource {
  getPhysicalSize(): [number, number];
}

/**
 * The context of a canvas (the seed's `GPUCanvasContext`); get it with `canvas.getContext()`.
 * A custom canvas (one not built on `CanvasBase`) creates its own with
 * `new CanvasContext({ getPhysicalSize })`, renders into `getCurrentTexture()`, and calls
 * `await context.present()` at the end of each frame to get its pixels.
 */
export class CanvasContext {
  readonly #canvas: SizeSource;
  #config: Required<ContextConfiguration> | undefined;
  #texture: GPUTexture | undefined;
  // Settles with the error WebGPU reported for the texture's creation (out of memory), or
  // undefined: a texture that failed is dropped at present, never rendered into again.
  #textureCreated: Promise<GpuError | undefined> | undefined;
  #readback: TextureReadback | undefined;
  #software: boolean | undefined; // the configured device's adapter is a CPU implementation
  #acquired = false;
  #closed = false;

  /**
   * @param canvas where the texture size comes from: `getPhysicalSize()` returns [width, height]
   *   in integer pixels (a canvas, or any object of a custom canvas).
   */
  constructor(canvas: SizeSource) {
    if (canvas === null || typeof canvas !== 'object' || typeof canvas.getPhysicalSize !== 'function') {
      throw new InvalidArgumentError('CanvasContext: expected an object with getPhysicalSize(): [width, height] (a canvas)');
    }
    this.#canvas = canvas;
  }

  /** The format frames render in best: `rgba8unorm-srgb` (shaders output linear colour). */
  getPreferredFormat(): GPUTextureFormat {
    return 'rgba8unorm-srgb';
  }

  /** The configuration in force, or undefined before configure(). */
  getConfiguration(): Readonly<Required<ContextConfiguration>> | undefined {
    return this.#config;
  }

  /**
   * Sets the device and format to render with; replaces an earlier configuration. The canvas's
   * size is not checked here but by each frame (getCurrentTexture) and each resize, so a canvas
   * that is too large for the device fails its draws with an error naming the limit, and draws
   * again once it is resized.
   */
  configure(config: ContextConfiguration): void {
    if (this.#closed) throw new CanvasClosedError('configure: the canvas is closed');
    const device = config?.device;
    if (!device || typeof (device as GPUDevice).createTexture !== 'function') {
      throw new InvalidArgumentError('configure() needs a GPUDevice: context.configure({ device: await getDefaultDevice() })');
    }
    const format = config.format ?? this.getPreferredFormat();
    if (!CANVAS_FORMATS.includes(format)) {
      throw new InvalidArgumentError(`configure: format "${format}" is not supported for canvases; allowed: ${CANVAS_FORMATS.join(', ')}`);
    }
    if (format === 'bgra8unorm-srgb' && !device.features.has('core-features-and-limits')) {
      // WebGPU compatibility mode (Dawn's OpenGL ES backend) has no sRGB BGRA textures.
      throw new InvalidArgumentError('configure: format "bgra8unorm-srgb" is not available on a compatibility-mode device (OpenGL ES backend); use "rgba8unorm-srgb"');
    }
    const alphaMode = config.alphaMode ?? 'opaque';
    if (alphaMode !== 'opaque' && alphaMode !== 'premultiplied') {
      throw new InvalidArgumentError(`configure: alphaMode must be "opaque" or "premultiplied", got ${JSON.stringify(alphaMode)}`);
    }
    const usage = config.usage ?? 0;
    if (!Number.isInteger(usage) || usage < 0) throw new InvalidArgumentError(`configure: usage must be GPUTextureUsage flags, got ${usage}`);
    this.#release();
    this.#config = { device, format, usage, alphaMode };
    this.#readback = new TextureReadback(device);
    this.#software = deviceSummary(device)?.software ?? true;
  }

  /** Forgets the configuration and frees the texture. */
  unconfigure(): void {
    this.#release();
    this.#config = undefined;
  }

  /**
   * The texture to render this frame into, at the canvas's physical size. The same texture is
   * returned until the size changes.
   * @throws {InvalidArgumentError} naming the device limit (maxTextureDimension2D, or the
   *   maxBufferSize its readback needs) when the canvas is too large for the device.
   */
  getCurrentTexture(): GPUTexture {
    if (this.#closed) throw new CanvasClosedError('getCurrentTexture: the canvas is closed');
    const config = this.#config;
    if (!config) throw new InvalidArgumentError('getCurrentTexture: call context.configure({ device }) first');
    const size = this.#canvas.getPhysicalSize();
    if (!Array.isArray(size) || !size.slice(0, 2).every((v) => Number.isInteger(v) && v >= 1) || size.length !== 2) {
      throw new InvalidArgumentError(`getCurrentTexture: the canvas's getPhysicalSize() must return [width, height], integers >= 1, got ${JSON.stringify(size)}`);
    }
    const [width, height] = size;
    if (!this.#texture || this.#texture.width !== width || this.#texture.height !== height) {
      checkSize([width, height], config.device);
      this.#texture?.destroy();
      this.#texture = this.#createTexture(config, width, height);
    }
    this.#acquired = true;
    return this.#texture;
  }

  #createTexture(config: Required<ContextConfiguration>, width: number, height: number): GPUTexture {
    const { device } = config;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const texture = device.createTexture({
      label: 'dawn-rfb canvas texture',
      size: [width, height],
      format: config.format,
      usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC | config.usage,
    });
    const what = `canvas texture ${width}x${height}`;
    // Never rejects: it is awaited only when the frame is presented, and may never be.
    this.#textureCreated = Promise.all([device.popErrorScope(), device.popErrorScope()]).then(
      (errors) => { const e = errors.find((x) => x !== null); return e ? fromGpuError(`creating the ${what}`, e) : undefined; },
      () => undefined,
    );
    return texture;
  }

  /**
   * Ends the frame (the seed's `GPUCanvasContext.present()`): reads back what was rendered into
   * `getCurrentTexture()` since the last present, as RGBA pixels (alpha 255 when `alphaMode` is
   * `opaque`). Returns undefined when nothing was rendered (the texture was not asked for).
   * Canvases call it after each draw function; a custom canvas calls it itself.
   * @throws {CanvasClosedError} after the canvas closed.
   */
  present(): Promise<Pixels> | undefined {
    return this._present(PRESENT_OPTIONS);
  }

  /** @internal present() with the readback options of a canvas's backend (see {@link ReadbackOptions}). */
  _present({ fillOpaqueAlpha, compareTiles, i420 = 'off' }: ReadbackOptions): Promise<Pixels> | undefined {
    if (this.#closed) throw new CanvasClosedError('present: the canvas is closed');
    if (!this.#acquired || !this.#texture || !this.#readback) return undefined;
    this.#acquired = false;
    const compare = this.#runs(compareTiles);
    const planes = this.#runs(i420);
    const texture = this.#texture;
    const readback = this.#readback;
    const opaque = fillOpaqueAlpha && this.#config!.alphaMode === 'opaque';
    const created = this.#textureCreated;
    if (!created) return readback.read(texture, opaque, compare, planes);
    return created.then((error) => {
      if (error) {
        // A texture that failed is never reused: the next frame creates a new one.
        if (this.#texture === texture) this.#dropTexture();
        throw error;
      }
      if (this.#textureCreated === created) this.#textureCreated = undefined;
      return readback.read(texture, opaque, compare, planes);
    });
  }

  /** Whether a readback pass chosen so runs on this context's device (see {@link GpuPassChoice}). */
  #runs(choice: GpuPassChoice): boolean {
    return choice === 'on' || (choice === 'auto' && this.#software === false);
  }

  #dropTexture(): void {
    this.#texture?.destroy();
    this.#texture = undefined;
    this.#textureCreated = undefined;
  }

  /**
   * @internal Counts a use of a frame's pixels read here, in the readback's pool (see
   * PixelPool.retain): once every lease is released, a later read may reuse them. Without a
   * configuration (unconfigured, closed) the lease is of no pool: the pixels are not reused.
   */
  _retain(data: Uint8Array): PixelLease {
    return this.#readback?.pixels.retain(data) ?? new PixelLease(() => {});
  }

  /** @internal Drops a frame whose drawing failed. */
  _discard(): void {
    this.#acquired = false;
  }

  /** @internal Frees everything; the context is unusable afterwards. */
  _close(): void {
    this.#closed = true;
    this.unconfigure();
  }

  #release(): void {
    this.#dropTexture();
    this.#readback?.destroy();
    this.#readback = undefined;
    this.#acquired = false;
  }
}
