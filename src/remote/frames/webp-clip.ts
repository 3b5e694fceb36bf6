// Animated WebP clips for recordings (recording.ts, `format: 'webp'`), through sharp (libvips'
// libwebp), which every dawn-rfb install has: no optional package needed. sharp makes an
// animation from one raw image of the frames stacked top to bottom (`pageHeight` = a frame's
// height), so unlike the video formats (clip-encoder.ts) the frames are kept raw until finish():
// hence short clips only, at most WEBP_MAX_FRAMES frames and WEBP_MAX_RAW_BYTES of raw pixels
// (a 640x480 frame is 1.2 MB: 218 frames). The stack grows by doubling up to the clip's cap, so
// memory stays within 1.5x of the frames' bytes. Frame delays are whole milliseconds whose running
// sum follows i x 1000 / fps, so a 30 fps clip plays 1 s per 30 frames (33, 34, 33 ms, ...).
// Measured on the dev machine: 96x64, 10 frames: ~25 ms to encode, ~1 kB.
import sharp from 'sharp';
import { InvalidArgumentError } from '../../errors.js';
import type { Pixels } from '../../canvas/readback.js';

/** Most frames an animated WebP recording holds (WebP is for short clips; use MP4 or WebM for more). */
export const WEBP_MAX_FRAMES = 300;
/** Most raw pixel bytes an animated WebP recording holds until it is encoded at the end. */
export const WEBP_MAX_RAW_BYTES = 256 * 1024 * 1024;

/** Frames of `width` x `height` an animated WebP can hold: the lower of the two limits. */
export function webpFrameCap(width: number, height: number): number {
  return Math.max(1, Math.min(WEBP_MAX_FRAMES, Math.floor(WEBP_MAX_RAW_BYTES / (width * height * 4))));
}

/** Delays in whole ms for `frames` frames at `fps`, summing to round(frames x 1000 / fps). */
export function webpDelays(frames: number, fps: number): number[] {
  return Array.from({ length: frames }, (_, i) => Math.round(((i + 1) * 1000) / fps) - Math.round((i * 1000) / fps));
}

/**
 * An animated WebP being recorded: frames of one size go in (copied), finish() encodes them into
 * one looping animation, each frame shown for 1/fps s. At most {@link webpFrameCap} frames.
 */
export class WebpClipWriter {
  /** The file format. */
  readonly format = 'webp' as const;
  /** Frame size in pixels (every frame's). */
  readonly width: number;
  readonly height: number;
  /** Frames a second the animation plays at. */
  readonly fps: number;
  /** The most frames this clip takes (see {@link webpFrameCap}). */
  readonly cap: number;
  #stack = new Uint8Array(0);
  #frames = 0;
  #finished = false;

  /** @throws {InvalidArgumentError} for a size under 1 pixel. */
  constructor(width: number, height: number, fps: number) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new InvalidArgumentError(`an animated WebP needs a size of at least 1x1 pixels, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.fps = fps;
    this.cap = webpFrameCap(width, height);
  }

  /** Frames added so far. */
  get frames(): number {
    return this.#frames;
  }

  /**
   * Copies the next frame into the stack (the caller may reuse the pixels at once); `key` means
   * nothing here (every WebP frame stands alone).
   * @throws {InvalidArgumentError} for a frame of another size, or one past {@link cap}.
   */
  async add(pixels: Pixels, key?: boolean): Promise<void> {
    void key;
    if (this.#finished) throw new InvalidArgumentError('add(): the clip is finished or closed');
    if (pixels.width !== this.width || pixels.height !== this.height) {
      throw new InvalidArgumentError(`a ${pixels.width}x${pixels.height} frame cannot go into a ${this.width}x${this.height} clip`);
    }
    if (this.#frames >= this.cap) throw new InvalidArgumentError(`an animated WebP of ${this.width}x${this.height} holds at most ${this.cap} frames`);
    const frameBytes = this.width * this.height * 4;
    const need = (this.#frames + 1) * frameBytes;
    if (need > this.#stack.length) {
      const grown = new Uint8Array(Math.min(this.cap * frameBytes, Math.max(need, this.#stack.length * 2)));
      grown.set(this.#stack.subarray(0, this.#frames * frameBytes));
      this.#stack = grown;
    }
    this.#stack.set(pixels.data.subarray(0, frameBytes), this.#frames * frameBytes);
    this.#frames++;
  }

  /**
   * Encodes the frames into a looping animated WebP (lossy, quality 80, no alpha) and frees them.
   * @throws {InvalidArgumentError} when nothing was added or it was finished already.
   */
  async finish(): Promise<Uint8Array> {
    if (this.#finished) throw new InvalidArgumentError('finish(): the clip is finished or closed');
    if (this.#frames === 0) throw new InvalidArgumentError('a clip needs at least one frame');
    this.#finished = true;
    const n = this.#frames;
    const raw = Buffer.from(this.#stack.buffer, this.#stack.byteOffset, n * this.width * this.height * 4);
    try {
      const out = await sharp(raw, { raw: { width: this.width, height: this.height * n, channels: 4, pageHeight: this.height }, limitInputPixels: false })
        // No alpha, as in the video formats: a canvas's alpha is what its shader left, often not meant.
        .removeAlpha()
        .webp({ quality: 80, loop: 0, delay: webpDelays(n, this.fps) })
        .toBuffer();
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } finally {
      this.#stack = new Uint8Array(0);
    }
  }

  /** Drops the frames (idempotent); finish() does it itself. */
  close(): void {
    this.#finished = true;
    this.#stack = new Uint8Array(0);
  }
}
