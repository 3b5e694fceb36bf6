// Decoding and drawing of frames. The server sends no more frames than the view acknowledges
// (backpressure), so acknowledgements must never be lost: a frame is acknowledged either after it
// was decoded and drawn (so the server's round trip includes the decode, which jupyter_rfb hides
// by acking on img.src), or at once when a newer frame makes it stale (an ack marked `skipped`, so
// the server counts only drawn frames as shown).
import { decodeFrameMessage, type FrameHeader, type FramePart } from '../../src/remote/protocol.js';

/** Counters of a view's frames, for tests and diagnostics (`WidgetHandle.stats()`). */
export interface FrameStats {
  framesDrawn: number;
  /** Frames replaced by a newer one before being drawn (acknowledged undrawn). */
  framesSkipped: number;
  /** Index of the last frame drawn (0 before the first). */
  lastIndex: number;
}

/** What the view measured of a frame it drew (for benchmarks and diagnostics). */
export interface DrawnFrame {
  /** Milliseconds from the start of decoding to the frame being on the canvas. */
  decodeMs: number;
  /** Size of the encoded image, bytes. */
  bytes: number;
}

interface Frame {
  header: FrameHeader;
  image: Uint8Array;
  parts: FramePart[];
  ack: (index: number, skipped?: boolean) => void;
}

/**
 * Decodes frames and draws them on the canvas one at a time, keeping only the newest waiting frame
 * and acknowledging every frame exactly once (drawn, undecodable or skipped), so backpressure holds.
 */
export class FrameDrawer {
  readonly stats: FrameStats = { framesDrawn: 0, framesSkipped: 0, lastIndex: 0 };
  private readonly ctx: CanvasRenderingContext2D | null;
  private decoding = false;
  /**
   * Frames waiting to be drawn: at most one whole frame (a newer whole frame replaces it and the
   * parts after it, so the view never lags behind), then the partial frames that build on it,
   * which must all be drawn, in order.
   */
  private waiting: Frame[] = [];
  private closed = false;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly onDrawn: (header: FrameHeader, drawn: DrawnFrame) => void) {
    this.ctx = canvas.getContext('2d');
  }

  push(message: ArrayBuffer, ack: (index: number, skipped?: boolean) => void): void {
    if (this.closed) return;
    let frame: Frame;
    try {
      frame = { ...decodeFrameMessage(message), ack };
    } catch (e) {
      // Without a readable header there is no index to acknowledge.
      console.warn('dawn-rfb: dropping a malformed frame:', e);
      return;
    }
    if (!this.decoding) {
      void this.draw(frame);
      return;
    }
    if (!frame.header.patch) {
      for (const w of this.waiting) this.skip(w);
      this.waiting = [];
    }
    this.waiting.push(frame);
  }

  close(): void {
    this.closed = true;
    this.waiting = [];
  }

  private skip(frame: Frame): void {
    this.stats.framesSkipped++;
    frame.ack(frame.header.index, true);
  }

  private async draw(frame: Frame): Promise<void> {
    this.decoding = true;
    const { header } = frame;
    let bitmaps: ImageBitmap[] | null = null;
    const t0 = performance.now();
    // The strips of a big frame decode at once (the browser decodes on its own threads), then go
    // on the canvas together, so a view never shows half a frame.
    const decoding = frame.parts.map((part) =>
      // The parts are views into an ArrayBuffer (binaryType 'arraybuffer'), never shared.
      createImageBitmap(new Blob([part.image as Uint8Array<ArrayBuffer>], { type: header.mimeType })));
    const settled = await Promise.allSettled(decoding);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      console.warn(`dawn-rfb: could not decode frame ${header.index} (${header.mimeType}):`, failed.reason);
    } else {
      bitmaps = settled.map((r) => (r as PromiseFulfilledResult<ImageBitmap>).value);
    }
    if (bitmaps && !this.closed) {
      this.paint(header, bitmaps, frame.parts);
      this.stats.framesDrawn++;
      this.stats.lastIndex = header.index;
      this.onDrawn(header, { decodeMs: performance.now() - t0, bytes: frame.image.length });
    }
    // Frees the decoded pixels now rather than at garbage collection.
    for (const r of settled) if (r.status === 'fulfilled') r.value.close();
    // An undecodable frame is acknowledged too: otherwise the server would wait for it forever.
    if (!this.closed) frame.ack(header.index);
    this.decoding = false;
    const next = this.waiting.shift();
    if (next && !this.closed) void this.draw(next);
  }

  private paint(header: FrameHeader, bitmaps: ImageBitmap[], parts: FramePart[]): void {
    const { canvas, ctx } = this;
    const drawParts = (x: number, y: number): void => {
      bitmaps.forEach((bitmap, i) => ctx!.drawImage(bitmap, x, y + parts[i]!.y));
    };
    if (header.patch) {
      // A partial frame goes onto the frame drawn before it (the server sends it only to views
      // that got that frame); the canvas keeps its size.
      if (header.patch.baseIndex !== this.stats.lastIndex) {
        console.warn(`dawn-rfb: partial frame ${header.index} builds on frame ${header.patch.baseIndex}, but ${this.stats.lastIndex} is shown`);
      }
      if (!ctx) return;
      if (header.alpha) ctx.clearRect(header.patch.x, header.patch.y, header.width, header.height);
      drawParts(header.patch.x, header.patch.y);
      return;
    }
    const { width, height } = header;
    // Assigning the size clears the canvas and reallocates it, so only when it changed.
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    // One image pixel per device pixel: the canvas takes the frame's own CSS size instead of
    // stretching to its container (jupyter_rfb blurs frames of a stale size).
    const ratio = header.pixelRatio > 0 ? header.pixelRatio : 1;
    canvas.style.width = `${width / ratio}px`;
    canvas.style.height = `${height / ratio}px`;
    if (!ctx) return;
    if (header.alpha) ctx.clearRect(0, 0, width, height);
    drawParts(0, 0);
  }
}
