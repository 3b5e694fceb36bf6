// Decoding and drawing of frames. The server sends no more frames than the view acknowledges
// (backpressure), so acknowledgements must never be lost: a frame is acknowledged either after it
// was decoded and drawn (so the server's round trip includes the decode, which jupyter_rfb hides
// by acking on img.src), or at once when a newer frame makes it stale.
import { decodeFrameMessage, type FrameHeader } from '../../src/remote/protocol.js';

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
  ack: (index: number) => void;
}

/**
 * Decodes frames and draws them on the canvas one at a time, keeping only the newest waiting frame
 * and acknowledging every frame exactly once (drawn, undecodable or skipped), so backpressure holds.
 */
export class FrameView {
  readonly stats: FrameStats = { framesDrawn: 0, framesSkipped: 0, lastIndex: 0 };
  private readonly ctx: CanvasRenderingContext2D | null;
  private decoding = false;
  /** At most one frame waits; a newer arrival replaces it, so the view never lags behind. */
  private waiting: Frame | null = null;
  private closed = false;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly onDrawn: (header: FrameHeader, drawn: DrawnFrame) => void) {
    this.ctx = canvas.getContext('2d');
  }

  push(message: ArrayBuffer, ack: (index: number) => void): void {
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
    if (this.waiting) this.skip(this.waiting);
    this.waiting = frame;
  }

  close(): void {
    this.closed = true;
    this.waiting = null;
  }

  private skip(frame: Frame): void {
    this.stats.framesSkipped++;
    frame.ack(frame.header.index);
  }

  private async draw(frame: Frame): Promise<void> {
    this.decoding = true;
    const { header } = frame;
    let bitmap: ImageBitmap | null = null;
    const t0 = performance.now();
    try {
      // The header's image is a view into an ArrayBuffer (binaryType 'arraybuffer'), never shared.
      bitmap = await createImageBitmap(new Blob([frame.image as Uint8Array<ArrayBuffer>], { type: header.mimeType }));
    } catch (e) {
      console.warn(`dawn-rfb: could not decode frame ${header.index} (${header.mimeType}):`, e);
    }
    if (bitmap && !this.closed) {
      this.paint(header, bitmap);
      this.stats.framesDrawn++;
      this.stats.lastIndex = header.index;
      this.onDrawn(header, { decodeMs: performance.now() - t0, bytes: frame.image.length });
    }
    bitmap?.close(); // frees the decoded pixels now rather than at garbage collection
    // An undecodable frame is acknowledged too: otherwise the server would wait for it forever.
    if (!this.closed) frame.ack(header.index);
    this.decoding = false;
    const next = this.waiting;
    this.waiting = null;
    if (next && !this.closed) void this.draw(next);
  }

  private paint(header: FrameHeader, bitmap: ImageBitmap): void {
    const { canvas, ctx } = this;
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
    ctx.drawImage(bitmap, 0, 0);
  }
}
