// The one owner of frame pixel recycling: a canvas context's pool of RGBA arrays, with a count of
// who still uses each. The readback takes its arrays here (acquire); a backend that streams
// frames counts each use of a frame's pixels with a lease (retain) and ends it (release); at
// zero the array goes back to the pool for a later read of the same size. A fresh array per
// frame costs its zero fill, a page fault per 4 KiB on the first write and garbage collections
// (at 1920x1080 on a 16-core Xeon, about a third of the JS thread's time in the whole-pipeline
// benchmark). Arrays never retained (frames handed to user code) are never reused.
// A leaf like ../limiter.ts: it counts; when a use ends is its users' business.
import { CanvasStateError } from '../errors.js';

/** Arrays kept for reuse (more are left to the garbage collector). */
export const MAX_SPARE_PIXELS = 4;

/** One use of an array's pixels, from {@link PixelPool.retain}: end it with {@link release}, once. */
export class PixelLease {
  #end: (() => void) | undefined;

  /** `end` runs at the release; {@link PixelPool.retain} makes leases (`new PixelLease(() => {})` is one of pixels no pool reuses). */
  constructor(end: () => void) {
    this.#end = end;
  }

  /** Whether {@link release} was called. */
  get released(): boolean {
    return this.#end === undefined;
  }

  /**
   * Ends this use. When it was the array's last, the array goes back to its pool.
   * @throws {CanvasStateError} when called a second time (one use cannot end twice: counting it
   *   again would hand out pixels someone still reads).
   */
  release(): void {
    const end = this.#end;
    if (!end) throw new CanvasStateError('a pixel lease was released twice');
    this.#end = undefined;
    end();
  }
}

/** RGBA arrays recycled between the frames of one canvas, each with its count of uses. */
export class PixelPool {
  readonly #maxSpare: number;
  #spare: Uint8Array[] = [];
  readonly #uses = new Map<Uint8Array, number>();
  #closed = false;

  /** Keeps at most `maxSpare` arrays for reuse. */
  constructor(maxSpare = MAX_SPARE_PIXELS) {
    this.#maxSpare = maxSpare;
  }

  /**
   * An array of `length` bytes for a read to fill: a recycled one of that length, or a new one
   * (zeroed). Nobody uses it yet: it comes back here only once retained and every lease released.
   */
  acquire(length: number): Uint8Array {
    const spare = this.#spare.pop();
    if (spare && spare.length === length) return spare;
    // Arrays of another length (before a resize) are left to the garbage collector.
    this.#spare = [];
    return new Uint8Array(length);
  }

  /**
   * Counts one more use of `data` until the lease is released. While any lease of it is held,
   * {@link acquire} never hands it out; after the last one ends, it may, so only retain arrays
   * whose every reference is a counted one.
   * @throws {CanvasStateError} for an array that went back to the pool (its last use ended: it
   *   may be read into any moment).
   */
  retain(data: Uint8Array): PixelLease {
    if (this.#spare.includes(data)) throw new CanvasStateError('pixels were retained after their last lease ended (they are back in the pool, to be read into again)');
    this.#uses.set(data, (this.#uses.get(data) ?? 0) + 1);
    return new PixelLease(() => this.#end(data));
  }

  /** Uses of `data` now (leases held). */
  uses(data: Uint8Array): number {
    return this.#uses.get(data) ?? 0;
  }

  /** Arrays waiting for reuse now. */
  get spare(): number {
    return this.#spare.length;
  }

  /** Drops the arrays kept for reuse and keeps none from now on (leases still end normally). */
  close(): void {
    this.#closed = true;
    this.#spare = [];
  }

  #end(data: Uint8Array): void {
    const n = this.#uses.get(data)! - 1;
    if (n > 0) {
      this.#uses.set(data, n);
      return;
    }
    this.#uses.delete(data);
    if (this.#closed || this.#spare.length >= this.#maxSpare) return;
    if (this.#spare.length > 0 && this.#spare[0]!.length !== data.length) this.#spare = [];
    this.#spare.push(data);
  }
}
