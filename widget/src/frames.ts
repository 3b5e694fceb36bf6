// Decoding and drawing of frames. The server sends no more frames than the view acknowledges
// (backpressure), so acknowledgements must never be lost: a frame is acknowledged either after it
// was decoded and drawn (so the server's round trip includes the decode, which jupyter_rfb hides
// by acking on img.src), or at once when a newer frame makes it stale (an ack marked `skipped`, so
// the server counts only drawn frames as shown). Video frames (protocol 4) go through WebCodecs'
// VideoDecoder; a delta frame builds on the ones before it, so it is never skipped, and after a
// decode error the view asks for a keyframe and drops deltas until one comes.
import {
  decodeFrameMessage, VIDEO_CODECS, VIDEO_CODEC_NAMES, videoCodecString, type FrameHeader, type FramePart, type VideoCodecName,
} from '../../src/remote/protocol.js';

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

/** Longest a video frame may take to come out of the decoder before the decoder counts as lost. */
const DECODE_TIMEOUT_MS = 3000;

/**
 * The video codecs this page can decode: WebCodecs' VideoDecoder (secure contexts only: https or
 * localhost) and `isConfigSupported` for each codec the protocol knows. Empty without WebCodecs.
 */
export async function decodableCodecs(win: Window & typeof globalThis = window): Promise<VideoCodecName[]> {
  const Decoder = (win as { VideoDecoder?: typeof VideoDecoder }).VideoDecoder;
  if (typeof Decoder !== 'function' || typeof Decoder.isConfigSupported !== 'function') return [];
  const out: VideoCodecName[] = [];
  for (const name of VIDEO_CODEC_NAMES) {
    try {
      const support = await Decoder.isConfigSupported({ codec: VIDEO_CODECS[name], codedWidth: 1280, codedHeight: 720, optimizeForLatency: true });
      if (support.supported === true) out.push(name);
    } catch { /* not this one */ }
  }
  return out;
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
  /** The video decoder, its codec, codec string and size (a keyframe of another makes a new one). */
  private video: { decoder: VideoDecoder; codec: VideoCodecName; config: string; width: number; height: number } | undefined;
  /** Settles the video frame being decoded (its output, or a decode error). */
  private videoOutput: { resolve: (frame: VideoFrame) => void; reject: (e: unknown) => void } | undefined;
  /** The decoder lost its state: delta frames are dropped until a keyframe. */
  private videoLost = false;

  /** `onDecodeError`: the video decoder lost its state (ask the server for a keyframe). */
  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onDrawn: (header: FrameHeader, drawn: DrawnFrame) => void,
    private readonly onDecodeError: () => void = () => {},
  ) {
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
    // A whole frame makes those waiting stale; a partial frame or a video delta builds on them.
    const { patch, video } = frame.header;
    if (!patch && !(video && !video.key)) {
      for (const w of this.waiting) this.skip(w);
      this.waiting = [];
    }
    this.waiting.push(frame);
  }

  /** The codec string the video decoder is configured with (from the last keyframe); undefined without one. */
  get videoConfig(): string | undefined {
    return this.video?.config;
  }

  close(): void {
    this.closed = true;
    this.waiting = [];
    this.dropDecoder();
  }

  private dropDecoder(): void {
    const video = this.video;
    this.video = undefined;
    if (video && video.decoder.state !== 'closed') video.decoder.close();
    this.videoOutput?.reject(new Error('decoder closed'));
    this.videoOutput = undefined;
  }

  /** Decodes a video frame to a VideoFrame; undefined (and a keyframe asked for) when it cannot. */
  private async decodeVideo(header: FrameHeader, data: Uint8Array): Promise<VideoFrame | undefined> {
    const { codec, key } = header.video!;
    if (this.videoLost && !key) return undefined; // waiting for the keyframe asked for
    try {
      const v = this.video;
      // A keyframe says which profile and level follow (the backends and sizes differ).
      const config = key ? videoCodecString(codec, data) : v?.config;
      if (!v || v.decoder.state === 'closed' || (key && (v.codec !== codec || v.config !== config || v.width !== header.width || v.height !== header.height))) {
        if (!key) throw new Error(`a ${codec} delta frame without the keyframe it builds on`);
        this.dropDecoder();
        const decoder = new VideoDecoder({
          output: (f) => {
            const out = this.videoOutput;
            this.videoOutput = undefined;
            if (out) out.resolve(f);
            else f.close();
          },
          error: (e) => {
            this.videoOutput?.reject(e);
            this.videoOutput = undefined;
          },
        });
        decoder.configure({ codec: config!, codedWidth: header.width, codedHeight: header.height, optimizeForLatency: true });
        this.video = { decoder, codec, config: config!, width: header.width, height: header.height };
      }
      const chunk = new EncodedVideoChunk({ type: key ? 'key' : 'delta', timestamp: header.index, data: data as Uint8Array<ArrayBuffer> });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const output = new Promise<VideoFrame>((resolve, reject) => {
        this.videoOutput = { resolve, reject };
        timer = setTimeout(() => reject(new Error(`no picture within ${DECODE_TIMEOUT_MS} ms`)), DECODE_TIMEOUT_MS);
      });
      output.catch(() => {}); // awaited below, unless decode throws first
      this.video!.decoder.decode(chunk);
      const frame = await output.finally(() => clearTimeout(timer));
      this.videoLost = false;
      return frame;
    } catch (e) {
      console.warn(`dawn-rfb: could not decode video frame ${header.index} (${codec}); asking for a keyframe:`, e);
      this.videoLost = true;
      this.dropDecoder();
      if (!this.closed) this.onDecodeError();
      return undefined;
    }
  }

  private async drawVideo(frame: Frame): Promise<void> {
    const { header } = frame;
    const t0 = performance.now();
    const picture = await this.decodeVideo(header, frame.image);
    if (picture && !this.closed) {
      this.setSize(header);
      this.ctx?.drawImage(picture, 0, 0, header.width, header.height);
      this.stats.framesDrawn++;
      this.stats.lastIndex = header.index;
      this.onDrawn(header, { decodeMs: performance.now() - t0, bytes: frame.image.length });
    }
    picture?.close();
  }

  private skip(frame: Frame): void {
    this.stats.framesSkipped++;
    frame.ack(frame.header.index, true);
  }

  private async draw(frame: Frame): Promise<void> {
    this.decoding = true;
    const { header } = frame;
    if (header.video) {
      await this.drawVideo(frame);
      if (!this.closed) frame.ack(header.index);
      this.decoding = false;
      const next = this.waiting.shift();
      if (next && !this.closed) void this.draw(next);
      return;
    }
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

  /** Gives the canvas the size of a whole frame. */
  private setSize(header: FrameHeader): void {
    const { canvas } = this;
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
  }

  private paint(header: FrameHeader, bitmaps: ImageBitmap[], parts: FramePart[]): void {
    const { ctx } = this;
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
    this.setSize(header);
    if (!ctx) return;
    if (header.alpha) ctx.clearRect(0, 0, width, height);
    drawParts(0, 0);
  }
}
