// Video files for recordings (recording.ts): RGBA frames in, a finished MP4 (H.264) or WebM (VP9)
// out, all through the optional peer `@napi-rs/webcodecs` (loaded by video-encoder.ts): its
// VideoEncoder, and its own Mp4Muxer / WebMMuxer (FFmpeg's muxers), fed the encoder's chunks and
// their decoder config (avcC for H.264) as they come out, as the package's docs show. Unlike the
// live path (video-encoder.ts: one frame in, one chunk out, at once) a file does not care about
// latency: VP9 (libvpx) holds ~24 frames until a flush here, which finish() does. Frames are
// handed over as they come, so memory holds the encoded file plus the raw frames inside the
// encoder (VP9's lookahead, and at most CLIP_QUEUE_LIMIT waiting: add() waits beyond that),
// never the whole clip raw.
// Measured on the dev machine (2 cores), 96x64, 10 frames: MP4 ~2.1 kB, WebM ~1.4 kB; both play in
// Chromium (test/recording.test.ts) and decode back through the package's demuxers.
import { InvalidArgumentError } from '../../errors.js';
import type { Pixels } from '../../canvas/readback.js';
import { loadVideoCodecs, VideoEncoderError } from './video-encoder.js';

/** The video file formats a recording can have. */
export type VideoClipFormat = 'mp4' | 'webm';

/** Per format: the codec of its video track (WebCodecs codec string), its mime type and its name. */
export const CLIP_FORMATS: Readonly<Record<VideoClipFormat, { codec: string; codecName: string; mimeType: string; name: string }>> = Object.freeze({
  // H.264: what every browser and player takes in MP4. The encoder picks the profile and level.
  mp4: { codec: 'avc1.42001f', codecName: 'H.264', mimeType: 'video/mp4', name: 'MP4' },
  // VP9 profile 0, 8 bits: Chromium and Firefox play it in WebM; smaller than VP8 at equal quality.
  webm: { codec: 'vp09.00.10.08', codecName: 'VP9', mimeType: 'video/webm', name: 'WebM' },
});

/** Raw frames the encoder may hold queued before add() waits (bounds memory when encoding lags). */
export const CLIP_QUEUE_LIMIT = 4;

// The part of @napi-rs/webcodecs used here (its own types are not needed to build dawn-rfb).
interface Chunk { readonly type: string; readonly timestamp: number; readonly byteLength: number }
interface Muxer {
  addVideoTrack(config: { codec: string; width: number; height: number; framerate?: number }): void;
  addVideoChunk(chunk: Chunk, metadata?: unknown): void;
  finalize(): Uint8Array;
  close(): void;
}
interface Encoder {
  readonly encodeQueueSize: number;
  configure(config: Record<string, unknown>): void;
  encode(frame: { close(): void }, options?: { keyFrame?: boolean }): void;
  flush(): Promise<void>;
  close(): void;
}
interface ClipModule {
  VideoEncoder: new (init: { output: (chunk: Chunk, metadata?: unknown) => void; error: (e: Error) => void }) => Encoder;
  VideoFrame: new (data: Uint8Array, init: { format: 'RGBA'; codedWidth: number; codedHeight: number; timestamp: number; duration?: number }) => { close(): void };
  Mp4Muxer: new (options?: { fastStart?: boolean }) => Muxer;
  WebMMuxer: new (options?: Record<string, never>) => Muxer;
}

/**
 * Loads the encoder package (as {@link loadVideoCodecs}) and checks it has the muxers a file needs.
 * @throws {VideoEncoderError} when it does not load or lacks Mp4Muxer / WebMMuxer (an older version).
 */
export async function loadClipCodecs(): Promise<ClipModule> {
  const mod = await loadVideoCodecs() as unknown as Partial<ClipModule>;
  if (typeof mod.Mp4Muxer !== 'function' || typeof mod.WebMMuxer !== 'function') {
    throw new VideoEncoderError('the video encoder package has no Mp4Muxer / WebMMuxer (they came with @napi-rs/webcodecs 1.3)');
  }
  return mod as ClipModule;
}

/**
 * One video file being written: frames of one size go in, in order, each shown for 1/fps s
 * (timestamps come from the frame count, not the clock: the file plays at `fps` whenever the
 * frames came); finish() gives the file. After an error every call rejects with it.
 */
export class ClipEncoder {
  /** The file format. */
  readonly format: VideoClipFormat;
  /** Frame size in pixels (every frame's). */
  readonly width: number;
  readonly height: number;
  /** Frames a second the file plays at. */
  readonly fps: number;
  readonly #mod: ClipModule;
  readonly #encoder: Encoder;
  readonly #muxer: Muxer;
  #frames = 0;
  #chunks = 0;
  #failed: VideoEncoderError | undefined;
  #finished = false;

  /**
   * `mod` from {@link loadClipCodecs}.
   * @throws {InvalidArgumentError} for a size the codec cannot take (see {@link ClipEncoder.fits});
   *   {@link VideoEncoderError} when the encoder refuses the setting.
   */
  constructor(mod: ClipModule, format: VideoClipFormat, width: number, height: number, fps: number, bitrate: number) {
    if (!Object.hasOwn(CLIP_FORMATS, format)) throw new InvalidArgumentError(`a clip's format is one of ${Object.keys(CLIP_FORMATS).join(', ')}, got ${JSON.stringify(format)}`);
    if (!ClipEncoder.fits(width, height)) throw new InvalidArgumentError(`video frames need even sides of at least 16 pixels, got ${width}x${height}`);
    this.#mod = mod;
    this.format = format;
    this.width = width;
    this.height = height;
    this.fps = fps;
    const { codec } = CLIP_FORMATS[format];
    try {
      // fastStart: the index (moov) goes first, so a player starts before the whole file is read.
      this.#muxer = format === 'mp4' ? new mod.Mp4Muxer({ fastStart: true }) : new mod.WebMMuxer();
      this.#muxer.addVideoTrack({ codec, width, height, framerate: fps });
      this.#encoder = new mod.VideoEncoder({
        output: (chunk, metadata) => {
          if (this.#failed) return;
          try {
            // The first chunk's metadata carries the decoder config (avcC) the MP4 track needs.
            this.#muxer.addVideoChunk(chunk, metadata);
            this.#chunks++;
          } catch (e) {
            this.#fail(e);
          }
        },
        error: (e) => this.#fail(e),
      });
      // 'avc' (not Annex B): length-prefixed units, parameter sets in the decoder config, as MP4 stores them.
      this.#encoder.configure({ codec, width, height, bitrate, framerate: fps, bitrateMode: 'variable', ...(format === 'mp4' ? { avc: { format: 'avc' } } : {}) });
    } catch (e) {
      throw new VideoEncoderError(`the ${CLIP_FORMATS[format].codecName} encoder refused ${width}x${height} at ${fps} fps: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Whether frames of this size can be encoded (4:2:0 video needs even sides). */
  static fits(width: number, height: number): boolean {
    return width % 2 === 0 && height % 2 === 0 && width >= 16 && height >= 16;
  }

  /** Frames handed in so far. */
  get frames(): number {
    return this.#frames;
  }

  /**
   * Encodes the next frame (`key` forces a keyframe). The pixels are copied before the promise is
   * made (the caller may reuse them at once); it resolves when the encoder has room for more.
   * @throws {InvalidArgumentError} for a frame of another size; {@link VideoEncoderError} after an error or finish().
   */
  async add(pixels: Pixels, key: boolean): Promise<void> {
    this.#check('add');
    if (pixels.width !== this.width || pixels.height !== this.height) {
      throw new InvalidArgumentError(`a ${pixels.width}x${pixels.height} frame cannot go into a ${this.width}x${this.height} clip`);
    }
    const duration = 1e6 / this.fps;
    try {
      const frame = new this.#mod.VideoFrame(pixels.data, {
        format: 'RGBA', codedWidth: this.width, codedHeight: this.height, timestamp: Math.round(this.#frames * duration), duration: Math.round(duration),
      });
      try {
        this.#encoder.encode(frame, { keyFrame: key });
      } finally {
        frame.close(); // the encoder copied the pixels
      }
    } catch (e) {
      this.#fail(e);
    }
    this.#check('add');
    this.#frames++;
    while (this.#encoder.encodeQueueSize > CLIP_QUEUE_LIMIT && !this.#failed) await new Promise((resolve) => setTimeout(resolve, 2));
    this.#check('add');
  }

  /**
   * Flushes the encoder (the frames it held back come out) and returns the finished file.
   * @throws {VideoEncoderError} when the encoder failed, nothing was added, or it was finished already.
   */
  async finish(): Promise<Uint8Array> {
    this.#check('finish');
    if (this.#frames === 0) throw new VideoEncoderError('a clip needs at least one frame');
    this.#finished = true;
    try {
      await this.#encoder.flush();
    } catch (e) {
      this.#fail(e);
    }
    if (this.#failed) throw this.#failed;
    if (this.#chunks !== this.#frames) throw new VideoEncoderError(`the ${CLIP_FORMATS[this.format].codecName} encoder gave ${this.#chunks} chunks for ${this.#frames} frames`);
    try {
      return this.#muxer.finalize();
    } catch (e) {
      this.#fail(e);
      throw this.#failed!;
    } finally {
      this.close();
    }
  }

  /** Stops the encoder and muxer (idempotent); finish() does it itself. */
  close(): void {
    this.#finished = true;
    for (const c of [this.#encoder, this.#muxer]) {
      try {
        c.close();
      } catch { /* closed already, or broken: gone either way */ }
    }
  }

  #check(what: string): void {
    if (this.#failed) throw this.#failed;
    if (this.#finished) throw new VideoEncoderError(`${what}(): the clip is finished or closed`);
  }

  #fail(e: unknown): void {
    this.#failed ??= e instanceof VideoEncoderError ? e
      : new VideoEncoderError(`the ${CLIP_FORMATS[this.format].codecName} encoder failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
