// Reads a canvas's texture back as tightly packed RGBA. Staging buffers are pooled: a buffer is
// reused while its size fits (also when the frame shrinks), at most `maxInFlight` reads run at
// once (further reads wait for a free buffer), and no buffer is mapped again while its previous
// map is pending. A buffer whose creation failed, or whose map failed, is destroyed, never pooled:
// one failed frame must not fail every later one. An idle buffer far larger than the frames now
// read (a view zoomed in, then out) is given back rather than kept for good, once it is big.
// The pixel arrays reads fill come from the readback's PixelPool (pixel-pool.ts), which recycles
// those whose last user released them.
import { GpuOutOfMemoryError } from '../errors.js';
import { checked, mapBuffer } from '../gpu/scopes.js';
import { alignedBytesPerRow, copyRows } from '../gpu/textures.js';
import { Limiter } from '../limiter.js';
import { I420Convert, i420Layout, unpackI420 } from './i420-convert.js';
import { PixelPool } from './pixel-pool.js';
import { COMPARE_TILE, TileCompare, type TileChanges } from './tile-compare.js';

/** RGBA pixels of one frame, rows top to bottom, no padding. */
export interface Pixels {
  width: number;
  height: number;
  /** width x height x 4 bytes, RGBA. */
  data: Uint8Array;
  /** The number of this read among the canvas's readbacks (1, 2, ...), when read back from a canvas. */
  readIndex?: number;
  /** Which tiles changed since the previous read, when the tiles were compared on the GPU. */
  changedTiles?: TileChanges;
  /**
   * The same frame as I420 planes (i420.ts: its matrix; Y, then U, then V, tightly packed), when
   * they were made on the GPU during the readback, for a video encoder to take as they are.
   */
  i420?: Uint8Array;
}

interface Slot {
  buffer: GPUBuffer;
  busy: boolean;
  /** A read with it failed: destroyed on release, never reused. */
  failed?: boolean;
  /** Staging for the tile flags (only with the comparison on the GPU). */
  flags?: GPUBuffer;
}

function destroySlot(slot: Slot): void {
  slot.buffer.destroy();
  slot.flags?.destroy();
}

const READABLE = new Set<GPUTextureFormat>(['rgba8unorm', 'rgba8unorm-srgb', 'bgra8unorm', 'bgra8unorm-srgb']);

/** Texture formats a canvas context can be configured with. */
export const CANVAS_FORMATS: readonly GPUTextureFormat[] = [...READABLE];

/** BGRA -> RGBA in place. */
function swapRedBlue(data: Uint8Array): void {
  for (let i = 0; i < data.length; i += 4) {
    const b = data[i]!;
    data[i] = data[i + 2]!;
    data[i + 2] = b;
  }
}

/** Sets every pixel's alpha to 255 (an opaque canvas ignores what the shader wrote there). */
function makeOpaque(data: Uint8Array): void {
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
}

/** Sleeping before a map pays only when the GPU takes this long (ms): timers are coarse (~1 ms). */
const MIN_SLEEP_MS = 4;
/** Nor longer than this: past it, a frame's own latency matters more than a busy core. */
const MAX_SLEEP_MS = 50;

/**
 * An idle staging buffer over REPLACE_ABOVE bytes and more than MAX_OVERSIZE times the size a
 * read needs is replaced (smaller ones are reused whenever they fit: they cost little).
 */
const MAX_OVERSIZE = 4;
const REPLACE_ABOVE = 16 * 1024 * 1024;

/** Whether an idle buffer of `have` bytes serves a read of `need` bytes. */
function serves(have: number, need: number): boolean {
  return have >= need && (have <= REPLACE_ABOVE || have <= need * MAX_OVERSIZE);
}

/** A pool of staging buffers for reading one canvas's frames. */
export class TextureReadback {
  readonly #device: GPUDevice;
  /**
   * Where reads get their pixel arrays: retain a read's pixels there, and release every lease
   * once nothing uses them, for a later read of the same size to reuse them (closed by destroy).
   */
  readonly pixels = new PixelPool();
  #gpuMs = 0; // smoothed time from submit to the map completing, for frames of #gpuSize bytes
  #gpuSize = 0;
  #reads = 0;
  #compare: TileCompare | undefined;
  #convert: I420Convert | undefined;
  // One place per staging buffer: holding a place guarantees an idle buffer, or room for one.
  readonly #inFlight: Limiter;
  #slots: Slot[] = [];
  #destroyed = false;

  constructor(device: GPUDevice, maxInFlight = 2) {
    this.#device = device;
    this.#inFlight = new Limiter(maxInFlight);
  }

  /**
   * Reads the whole texture (one of {@link CANVAS_FORMATS}) into new RGBA pixels.
   * @param opaque set alpha to 255 (the context's alphaMode is "opaque").
   * @param compareTiles also find the changed tiles on the GPU (`changedTiles`).
   * @param i420 also make the frame's I420 planes on the GPU (`i420`), where its size allows.
   */
  async read(texture: GPUTexture, opaque = false, compareTiles = false, i420 = false): Promise<Pixels> {
    const { width, height, format } = texture;
    const rowBytes = width * 4;
    const stride = alignedBytesPerRow(rowBytes);
    const size = stride * height;
    const readIndex = ++this.#reads;
    const convert = i420 && (this.#convert ??= new I420Convert(this.#device)).fits(width, height, stride) ? this.#convert : undefined;
    if (!i420) this.#dropConvert();
    const planesBytes = convert ? i420Layout(width, height).bytes : 0;
    const slot = await this.#acquire(size + planesBytes);
    try {
      const encoder = this.#device.createCommandEncoder({ label: 'dawn-rfb canvas readback' });
      let compared = false;
      let flagBytes = 0;
      // The storage copy of the frame a compute pass reads (the comparison's, or the conversion's own).
      let source: GPUBuffer | undefined;
      if (compareTiles && (this.#compare ??= new TileCompare(this.#device)).fits(size)) {
        flagBytes = TileCompare.flagBytes(width, height);
        if (!slot.flags || slot.flags.size < flagBytes) {
          slot.flags?.destroy();
          slot.flags = undefined;
          slot.flags = await this.#createStaging('dawn-rfb tile flags staging', flagBytes);
        }
        compared = this.#compare.record(encoder, texture, stride, slot.buffer, slot.flags);
        source = this.#compare.current;
      } else {
        // Without the comparison the previous frame on the GPU is stale: start again after this.
        this.#compare?.destroy();
        if (convert) {
          source = convert.sourceBuffer(size);
          encoder.copyTextureToBuffer({ texture }, { buffer: source, bytesPerRow: stride, rowsPerImage: height }, [width, height]);
          encoder.copyBufferToBuffer(source, 0, slot.buffer, 0, size);
        } else {
          encoder.copyTextureToBuffer({ texture }, { buffer: slot.buffer, bytesPerRow: stride, rowsPerImage: height }, [width, height]);
        }
      }
      const layout = convert ? convert.record(encoder, source!, { width, height, stride, bgra: format.startsWith('bgra') }, slot.buffer, size) : undefined;
      this.#device.queue.submit([encoder.finish()]);
      const submitted = performance.now();
      // While a map is pending, dawn.node polls for its completion on every turn of the event
      // loop (setImmediate), which keeps a core busy; on a software GPU that core is the GPU's.
      // So first sleep through most of the time the GPU took for frames of this size, then map.
      if (this.#gpuSize !== size) [this.#gpuMs, this.#gpuSize] = [0, size];
      const sleep = Math.min(MAX_SLEEP_MS, this.#gpuMs * 0.75);
      if (sleep >= MIN_SLEEP_MS) await new Promise((resolve) => setTimeout(resolve, sleep));
      const woke = performance.now();
      await mapBuffer(slot.buffer, GPUMapMode.READ, 'canvas readback', 0, size + planesBytes);
      const took = performance.now() - submitted;
      // A map that completes at once after the sleep says only that the GPU took less than the
      // sleep: count it as less, or the estimate would feed on its own sleeps.
      const sample = sleep >= MIN_SLEEP_MS && performance.now() - woke < 1 ? sleep * 0.8 : took;
      this.#gpuMs = this.#gpuMs === 0 ? sample : 0.8 * this.#gpuMs + 0.2 * sample;
      const data = this.pixels.acquire(rowBytes * height);
      copyRows(new Uint8Array(slot.buffer.getMappedRange(0, size)), stride, data, 0, rowBytes, rowBytes, height);
      const planes = layout ? unpackI420(new Uint8Array(slot.buffer.getMappedRange(size, planesBytes)), width, height, layout) : undefined;
      slot.buffer.unmap();
      if (format.startsWith('bgra')) swapRedBlue(data);
      if (opaque) makeOpaque(data);
      let changedTiles: TileChanges | undefined;
      if (compared) {
        await mapBuffer(slot.flags!, GPUMapMode.READ, 'tile flags readback', 0, flagBytes);
        const flags = new Uint32Array(slot.flags!.getMappedRange(0, flagBytes));
        const { cols, rows } = TileCompare.grid(width, height);
        changedTiles = { since: readIndex - 1, tile: COMPARE_TILE, cols, rows, changed: Uint8Array.from(flags, (f) => (f === 0 ? 0 : 1)) };
        slot.flags!.unmap();
      }
      return { width, height, data, readIndex, ...(changedTiles ? { changedTiles } : {}), ...(planes ? { i420: planes } : {}) };
    } catch (e) {
      slot.failed = true;
      throw e;
    } finally {
      this.#release(slot);
    }
  }

  /** @internal What the readback expects of the GPU: ms per read of frames of `bytes` (tests). */
  get gpuEstimate(): { bytes: number; ms: number } {
    return { bytes: this.#gpuSize, ms: this.#gpuMs };
  }

  /** @internal Bytes of the staging buffers held now (tests of the memory bound). */
  get stagingBytes(): number {
    return this.#slots.reduce((n, s) => n + s.buffer.size + (s.flags?.size ?? 0), 0);
  }

  /** Destroys the staging buffers (after reads in flight finish). */
  destroy(): void {
    this.#destroyed = true;
    this.pixels.close();
    this.#compare?.destroy();
    this.#dropConvert();
    for (const s of this.#slots) if (!s.busy) destroySlot(s);
    this.#slots = this.#slots.filter((s) => s.busy);
  }

  #dropConvert(): void {
    this.#convert?.destroy();
    this.#convert = undefined;
  }

  async #acquire(size: number): Promise<Slot> {
    await this.#inFlight.acquire();
    // Prefer the smallest idle buffer that fits (a frame that shrank reuses it, unless it is big
    // and far too large); else replace an idle one, or add one.
    let slot = this.#slots.filter((s) => !s.busy && serves(s.buffer.size, size))
      .sort((a, b) => a.buffer.size - b.buffer.size)[0];
    if (!slot) {
      const idle = this.#slots.find((s) => !s.busy);
      if (idle) {
        destroySlot(idle);
        this.#slots.splice(this.#slots.indexOf(idle), 1);
      }
      let buffer: GPUBuffer;
      try {
        buffer = await this.#createStaging('dawn-rfb readback staging', size);
      } catch (e) {
        this.#inFlight.release();
        throw e;
      }
      slot = { buffer, busy: false };
      this.#slots.push(slot);
    }
    slot.busy = true;
    return slot;
  }

  /**
   * A mappable buffer, checked: a size above the device's maxBufferSize is refused before
   * anything is created, and a creation WebGPU reports as failed (out of memory) destroys the
   * buffer and throws, so an invalid buffer never enters the pool.
   */
  async #createStaging(label: string, size: number): Promise<GPUBuffer> {
    const max = this.#device.limits.maxBufferSize;
    if (size > max) {
      throw new GpuOutOfMemoryError(`canvas readback: a ${size}-byte staging buffer exceeds this device's maxBufferSize (${max}); render at a smaller size`);
    }
    let buffer: GPUBuffer | undefined;
    try {
      return await checked(this.#device, `canvas readback: creating a ${size}-byte staging buffer`, () => (
        buffer = this.#device.createBuffer({ label, size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ })));
    } catch (e) {
      buffer?.destroy();
      throw e;
    }
  }

  #release(slot: Slot): void {
    slot.busy = false;
    if (this.#destroyed || slot.failed) {
      destroySlot(slot);
      this.#slots = this.#slots.filter((s) => s !== slot);
    }
    this.#inFlight.release();
  }
}
