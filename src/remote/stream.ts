// A canvas's frame stream: each presented frame is encoded on sharp's thread pool (at most
// `maxEncodes` at once), sent to every visible view in drawing order however the encodes
// finish, and, once the scene goes idle, sent again losslessly. Which view gets which frame when
// is the views' business (View.offer and View.hasRoom); this module decides what is sent.
import type { Frame } from '../canvas/base.js';
import { Limiter } from '../limiter.js';
import { reportError } from '../report.js';
import { encodeFrame, type EncodedImage } from './encoder.js';
import { encodeFrameHeader } from './protocol.js';
import type { FrameMessage, View } from './view.js';

/** How frames are encoded and refreshed. */
export interface FrameStreamOptions {
  /** JPEG/WebP quality 1..100 while frames change; 100 sends every frame lossless (PNG). */
  quality: number;
  /** Lossy format while frames change. */
  lossyFormat: 'jpeg' | 'webp';
  /** After this many ms without a new frame, the last one is re-sent lossless; `Infinity` disables. */
  losslessDelayMs: number;
  /** Encodes in flight at once. */
  maxEncodes: number;
}

/** Counters of a frame stream. */
export interface FrameStreamStats {
  /** Frame messages sent out so far (lossless refreshes included): the index of the newest one. */
  framesSent: number;
  /** Frames encoded (sent or not: a frame finished after close is encoded, not sent). */
  framesEncoded: number;
  /** Mean encode time of the last 30 frames, ms. */
  encodeMs: number;
}

const ENCODE_TIMES_KEPT = 30;

/** Encodes and sends one canvas's frames to its views. */
export class FrameStream {
  readonly #canvasId: string;
  readonly #options: FrameStreamOptions;
  readonly #views: ReadonlyMap<string, View>;
  readonly #encodes: Limiter;
  #sendChain: Promise<void> = Promise.resolve();
  #sentIndex = 0;
  #lastFrame: Frame | undefined;
  #lastMessage: FrameMessage | undefined;
  #losslessTimer: ReturnType<typeof setTimeout> | undefined;
  #framesEncoded = 0;
  readonly #encodeTimes: number[] = [];
  #closed = false;

  /** Frames go to the views in `views` (the canvas's live map). */
  constructor(canvasId: string, options: FrameStreamOptions, views: ReadonlyMap<string, View>) {
    this.#canvasId = canvasId;
    this.#options = options;
    this.#views = views;
    this.#encodes = new Limiter(options.maxEncodes);
  }

  /** The newest frame presented (sent, or kept for when a view comes). */
  get lastFrame(): Frame | undefined {
    return this.#lastFrame;
  }

  /** Counters so far. */
  stats(): FrameStreamStats {
    const t = this.#encodeTimes;
    return {
      framesSent: this.#sentIndex,
      framesEncoded: this.#framesEncoded,
      encodeMs: t.length > 0 ? t.reduce((a, b) => a + b, 0) / t.length : 0,
    };
  }

  /** Whether a new frame would reach anyone: some view has room, frames still encoding counted in. */
  mayDraw(): boolean {
    for (const view of this.#views.values()) if (view.hasRoom(this.#encodes.active)) return true;
    return false;
  }

  /**
   * Takes a presented frame. Resolves once its encode has started: waiting for an encode slot is
   * the backpressure on drawing when encoding is the bottleneck.
   */
  async present(frame: Frame): Promise<void> {
    this.#lastFrame = frame;
    this.#cancelLosslessRefresh();
    if (this.#views.size === 0 || this.#closed) return;
    await this.#encodes.acquire();
    this.#queue(frame, this.#options.quality === 100);
  }

  /** A view that just came (or came back into sight) gets the newest frame it has not been offered. */
  catchUp(view: View): void {
    const last = this.#lastMessage;
    if (last && last.index > view.lastOffered) view.offer(last);
  }

  /** Stops refreshing; frames encoding now are not sent. */
  close(): void {
    this.#closed = true;
    this.#cancelLosslessRefresh();
  }

  /** Encodes a frame (holding an encode slot) and sends it once all earlier frames went out. */
  #queue(frame: Frame, lossless: boolean): void {
    const encoding = encodeFrame(frame, {
      format: lossless ? 'png' : this.#options.lossyFormat,
      quality: this.#options.quality,
      alpha: frame.alphaMode !== 'opaque',
    }).finally(() => this.#encodes.release());
    this.#sendChain = this.#sendChain
      .then(() => encoding)
      .then((image) => this.#distribute(frame, image))
      .catch((e: unknown) => { reportError('frame encoding', e); });
  }

  #distribute(frame: Frame, image: EncodedImage): void {
    this.#framesEncoded++;
    this.#encodeTimes.push(image.encodeMs);
    if (this.#encodeTimes.length > ENCODE_TIMES_KEPT) this.#encodeTimes.shift();
    if (this.#closed) return;
    const index = ++this.#sentIndex;
    const header = encodeFrameHeader({
      canvasId: this.#canvasId, index, timestamp: frame.timestamp, mimeType: image.mimeType,
      width: frame.width, height: frame.height, pixelRatio: frame.pixelRatio,
      lossless: image.lossless, alpha: frame.alphaMode !== 'opaque',
    });
    const data = new Uint8Array(header.length + image.data.length);
    data.set(header);
    data.set(image.data, header.length);
    const message: FrameMessage = { index, data, lossless: image.lossless };
    this.#lastMessage = message;
    for (const view of this.#views.values()) if (view.visible) view.offer(message);
    if (!image.lossless && frame === this.#lastFrame) this.#armLosslessRefresh(frame);
  }

  #armLosslessRefresh(frame: Frame): void {
    this.#cancelLosslessRefresh();
    const delay = this.#options.losslessDelayMs;
    if (!Number.isFinite(delay)) return;
    this.#losslessTimer = setTimeout(() => {
      this.#losslessTimer = undefined;
      // Only if no newer frame was drawn meanwhile (checked again once a slot is free); it goes
      // through the same ordered send path, so each view gets it within its own backpressure.
      const current = (): boolean => frame === this.#lastFrame && !this.#closed;
      if (!current()) return;
      void this.#encodes.acquire().then(() => {
        if (current()) this.#queue(frame, true);
        else this.#encodes.release();
      });
    }, delay);
  }

  #cancelLosslessRefresh(): void {
    if (this.#losslessTimer) clearTimeout(this.#losslessTimer);
    this.#losslessTimer = undefined;
  }
}
