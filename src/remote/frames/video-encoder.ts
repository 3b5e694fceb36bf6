// The video kind of frame encoder: H.264 through the WebCodecs API for Node (npm
// `@napi-rs/webcodecs`, an optional peer dependency over a bundled FFmpeg). One encoder per setting
// (codec, bitrate, frame size) serves every view of that setting; frames go in one at a time and
// each comes out as one chunk, so a frame is never held back for later ones (its x264 sends no
// B-frames). Measured on the dev machine (2 cores), 1280x720 RGBA, 2 Mbit/s: ~9 ms a frame; VP9
// and AV1 from the same package held the first 24 frames until a flush (libvpx's lookahead,
// latencyMode ignored), so they are refused here (see README, "Video frames").
// The package is loaded on first use, by name, so dawn-rfb builds, type-checks and runs without it.
import { DawnRfbError, InvalidArgumentError } from '../../errors.js';
import { i420Bytes } from '../../canvas/i420.js';
import type { Pixels } from '../../canvas/readback.js';
import { VIDEO_CODECS, type VideoCodecName } from '../protocol.js';

/** The video encoder could not load or failed; frames then go as stills (JPEG). */
export class VideoEncoderError extends DawnRfbError {}

/** Lowest and highest video bitrate a canvas may ask for, bits a second. */
export const VIDEO_BITRATE_RANGE: readonly [number, number] = [100_000, 200_000_000];

/** Default video bitrate, bits a second (the canvas option `videoBitrate`). */
export const DEFAULT_VIDEO_BITRATE = 4_000_000;

/**
 * Checks a video bitrate: an integer number of bits a second inside {@link VIDEO_BITRATE_RANGE};
 * `name` is what the error calls it (the option it came from).
 */
export function checkVideoBitrate(bitrate: unknown, name = 'videoBitrate'): number {
  const [min, max] = VIDEO_BITRATE_RANGE;
  if (typeof bitrate !== 'number' || !Number.isInteger(bitrate) || bitrate < min || bitrate > max) {
    throw new InvalidArgumentError(`${name} must be an integer number of bits a second from ${min} to ${max}, got ${String(bitrate)}`);
  }
  return bitrate;
}

/** Checks a video codec name against {@link VIDEO_CODECS}. */
export function checkVideoCodec(codec: unknown): VideoCodecName {
  if (typeof codec !== 'string' || !Object.hasOwn(VIDEO_CODECS, codec)) throw new InvalidArgumentError(`video codec must be one of ${Object.keys(VIDEO_CODECS).join(', ')}, got ${JSON.stringify(codec)}`);
  return codec as VideoCodecName;
}

/** One encoded video frame. */
export interface EncodedVideo {
  /** The chunk (H.264: Annex B, parameter sets in every keyframe). */
  data: Uint8Array;
  /** A keyframe: decodable without the frames before it. */
  key: boolean;
  width: number;
  height: number;
  /** Milliseconds from handing the frame over to its chunk coming out. */
  encodeMs: number;
  /** Encoded from the frame's I420 planes (made on the GPU), not from its RGBA. */
  fromPlanes: boolean;
}

/**
 * A video encoder of one setting (codec, bitrate, frame size), whichever backend makes it
 * (video-backend.ts): {@link VideoFrameEncoder} here, or the ffmpeg one (ffmpeg-encoder.ts).
 */
export interface FrameVideoEncoder {
  readonly codec: VideoCodecName;
  /** Bits a second the encoder aims at. */
  readonly bitrate: number;
  /** Aims at another bitrate from the next frame on, which is then a keyframe. */
  setBitrate(bitrate: number): void;
  /**
   * Encodes `pixels` (copied before this returns): their I420 planes when they have them (made on
   * the GPU), else their RGBA, converted by the backend. `key` forces a keyframe. One chunk per frame.
   */
  encode(pixels: Pixels, key: boolean): Promise<EncodedVideo>;
  /** Stops once the frames handed over came out. */
  closeWhenIdle(): void;
  /** Stops now; encodes waiting reject. */
  close(): void;
}

/**
 * Which form of its frames an encoder takes: I420 planes (made on the GPU) or RGBA (converted by
 * the encoder). The form of the frame that starts a run of the stream (a keyframe: the first,
 * one asked for, one after a new size or bitrate) holds until the next, so a delta never builds
 * on a picture converted the other way: the GPU's conversion and the encoders' filter chroma
 * differently (measured: the first delta after a switch mid-run came out larger than the
 * keyframe). Both backends ask it; neither decides it alone.
 */
export class InputForm {
  #last: { width: number; height: number; bitrate: number; planes: boolean } | undefined;

  /** For the next frame handed over (in order): whether it goes as planes. `hasPlanes`: it came with them. */
  next(width: number, height: number, bitrate: number, key: boolean, hasPlanes: boolean): boolean {
    const l = this.#last;
    const starts = key || !l || l.width !== width || l.height !== height || l.bitrate !== bitrate;
    const planes = starts ? hasPlanes : l.planes;
    this.#last = { width, height, bitrate, planes };
    return planes;
  }
}

/** A frame's I420 planes when it has them, of the right length for its size. */
export function framePlanes(pixels: Pixels): Uint8Array | undefined {
  return pixels.i420?.length === i420Bytes(pixels.width, pixels.height) ? pixels.i420 : undefined;
}

/** Whether frames of this size can be video (4:2:0 video needs even sides; encoders want 16 or more). */
export function fitsVideo(width: number, height: number): boolean {
  return width % 2 === 0 && height % 2 === 0 && width >= 16 && height >= 16;
}

// The part of @napi-rs/webcodecs used here (its own types are not needed to build dawn-rfb).
interface Chunk { readonly type: string; readonly byteLength: number; copyTo(destination: Uint8Array): void }
interface NodeVideoEncoder {
  configure(config: Record<string, unknown>): void;
  encode(frame: NodeVideoFrame, options?: { keyFrame?: boolean }): void;
  close(): void;
}
interface NodeVideoFrame { close(): void }
interface WebCodecsModule {
  VideoEncoder: new (init: { output: (chunk: Chunk) => void; error: (e: Error) => void }) => NodeVideoEncoder;
  VideoFrame: new (data: Uint8Array, init: { format: 'RGBA' | 'I420'; codedWidth: number; codedHeight: number; timestamp: number }) => NodeVideoFrame;
}

const MODULE_NAME = '@napi-rs/webcodecs';
/**
 * Environment variable naming another module to load instead of {@link MODULE_NAME} (one with the
 * same VideoEncoder / VideoFrame exports); the tests use it to make loading fail for real.
 */
export const VIDEO_MODULE_ENV = 'DAWN_RFB_VIDEO_MODULE';
const loading = new Map<string, Promise<WebCodecsModule>>();

/**
 * Loads the encoder package once (env {@link VIDEO_MODULE_ENV} may name another); rejects with a
 * {@link VideoEncoderError} saying how to install it when it is missing or its native binary
 * does not load.
 */
export function loadVideoCodecs(): Promise<WebCodecsModule> {
  // By a variable, so the build neither needs nor bundles the optional package.
  const name: string = process.env[VIDEO_MODULE_ENV] || MODULE_NAME;
  let load = loading.get(name);
  if (load) return load;
  load = (async () => {
    try {
      const m = await import(name) as Partial<WebCodecsModule> & { default?: Partial<WebCodecsModule> };
      const mod = (m.VideoEncoder ? m : m.default) as WebCodecsModule | undefined;
      if (typeof mod?.VideoEncoder !== 'function' || typeof mod.VideoFrame !== 'function') throw new Error('it has no VideoEncoder / VideoFrame');
      return mod;
    } catch (e) {
      throw new VideoEncoderError(`the video encoder (npm ${name}, an optional peer dependency) did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}. Install it with \`npm install ${MODULE_NAME}\`; until then frames go as stills (JPEG)`, { cause: e });
    }
  })();
  loading.set(name, load);
  return load;
}

/**
 * Environment variable choosing the encoder's `hardwareAcceleration` (WebCodecs' values:
 * `no-preference`, the default, which this package serves with libx264 on the CPU;
 * `prefer-hardware`, which tries the GPU's encoder, NVENC on NVIDIA, and falls back to the CPU;
 * `prefer-software`). A knob for measuring, as UV_THREADPOOL_SIZE is: a GPU encoder's latency and
 * keyframes were measured on the GPU machine only (README, "Video frames").
 */
export const VIDEO_HARDWARE_ENV = 'DAWN_RFB_VIDEO_HARDWARE';
const HARDWARE_VALUES = ['no-preference', 'prefer-hardware', 'prefer-software'];

/** The encoder's hardwareAcceleration from {@link VIDEO_HARDWARE_ENV}; an unknown value is an error naming the allowed ones. */
export function videoHardwarePreference(): string {
  const v = process.env[VIDEO_HARDWARE_ENV] || 'no-preference';
  if (!HARDWARE_VALUES.includes(v)) throw new VideoEncoderError(`${VIDEO_HARDWARE_ENV} must be one of ${HARDWARE_VALUES.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** The error for a frame {@link fitsVideo} refuses. */
export function unfitError(width: number, height: number): InvalidArgumentError {
  return new InvalidArgumentError(`video frames need even sides of at least 16 pixels, got ${width}x${height}`);
}

/** Longest a frame may take to come out of the encoder before the encoder counts as broken. */
export const ENCODE_TIMEOUT_MS = 5000;

/**
 * A video encoder of one setting: encodes RGBA frames of one size, in order. A frame of another
 * size reconfigures it (the next chunk is a keyframe). Errors reject the frame's promise with a
 * {@link VideoEncoderError}; after one, every later encode rejects too (make a new encoder).
 */
export class VideoFrameEncoder implements FrameVideoEncoder {
  readonly codec: VideoCodecName;
  #bitrate: number;
  readonly #mod: WebCodecsModule;
  #encoder: NodeVideoEncoder | undefined;
  #size: [number, number] = [0, 0];
  #failed: Error | undefined;
  readonly #waiting: { resolve: (chunk: Chunk) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }[] = [];
  #timestamp = 0;
  readonly #form = new InputForm();
  /** Settles when the frame handed over last came out (or failed). */
  #previous: Promise<void> = Promise.resolve();

  /** `mod` from {@link loadVideoCodecs}. */
  constructor(mod: WebCodecsModule, codec: VideoCodecName, bitrate: number) {
    checkVideoCodec(codec);
    this.#mod = mod;
    this.codec = codec;
    this.#bitrate = checkVideoBitrate(bitrate);
  }

  /** Bits a second the encoder aims at. */
  get bitrate(): number {
    return this.#bitrate;
  }

  /**
   * Aims at another bitrate from the next frame on (checked as {@link checkVideoBitrate}). The
   * encoder is set up anew for it, so that frame is a keyframe: change it in steps, not per frame.
   */
  setBitrate(bitrate: number): void {
    checkVideoBitrate(bitrate);
    if (bitrate === this.#bitrate) return;
    this.#bitrate = bitrate;
    this.#size = [0, 0]; // reconfigure before the next frame
  }

  /** Whether frames of this size can be encoded (4:2:0 video needs even sides). */
  static fits(width: number, height: number): boolean {
    return fitsVideo(width, height);
  }

  /**
   * Encodes `pixels`: their I420 planes when they have them, else their RGBA (the package
   * converts it); `key` forces a keyframe. The pixels are copied before this returns
   * (the caller may reuse them); frames are handed to the encoder one at a time, each once the
   * chunk of the one before came out, so a change of size never cuts a frame off.
   */
  encode(pixels: Pixels, key: boolean): Promise<EncodedVideo> {
    if (this.#failed) return Promise.reject(this.#failed);
    const { width, height } = pixels;
    if (!fitsVideo(width, height)) return Promise.reject(unfitError(width, height));
    const t0 = performance.now();
    let frame: NodeVideoFrame;
    let fromPlanes = false;
    try {
      // Microseconds, increasing: the encoder's rate control reads them.
      this.#timestamp = Math.max(this.#timestamp + 1, Math.round(performance.now() * 1000));
      // The package takes either format in one stream; which one: see InputForm. A frame of a
      // run of planes that came without them goes as RGBA (the package converts it).
      const planes = framePlanes(pixels);
      fromPlanes = this.#form.next(width, height, this.#bitrate, key, planes !== undefined) && planes !== undefined;
      frame = new this.#mod.VideoFrame(fromPlanes ? planes! : pixels.data, { format: fromPlanes ? 'I420' : 'RGBA', codedWidth: width, codedHeight: height, timestamp: this.#timestamp });
    } catch (e) {
      this.#fail(e);
      return Promise.reject(this.#failed);
    }
    const encoded = this.#previous.then(() => this.#encodeNow(frame, width, height, key)).then((c) => {
      const data = new Uint8Array(c.byteLength);
      c.copyTo(data);
      return { data, key: c.type === 'key', width, height, encodeMs: performance.now() - t0, fromPlanes };
    });
    this.#previous = encoded.then(() => {}, () => {});
    return encoded;
  }

  #encodeNow(frame: NodeVideoFrame, width: number, height: number, key: boolean): Promise<Chunk> {
    try {
      if (this.#failed) return Promise.reject(this.#failed);
      try {
        if (!this.#encoder || this.#size[0] !== width || this.#size[1] !== height) this.#configure(width, height);
      } catch (e) {
        this.#fail(e);
        return Promise.reject(this.#failed);
      }
      const chunk = new Promise<Chunk>((resolve, reject) => {
        const timer = setTimeout(() => this.#fail(new VideoEncoderError(`the ${this.codec} encoder gave no chunk for a frame within ${ENCODE_TIMEOUT_MS} ms`)), ENCODE_TIMEOUT_MS);
        this.#waiting.push({ resolve, reject, timer });
      });
      try {
        this.#encoder!.encode(frame, { keyFrame: key });
      } catch (e) {
        this.#fail(e); // rejects `chunk` too
      }
      return chunk;
    } finally {
      frame.close(); // the encoder copied the pixels
    }
  }

  /**
   * Stops the encoder once the frames already handed over came out (their promises resolve as
   * usual); for an encoder its owner no longer needs while a frame may still be in it.
   */
  closeWhenIdle(): void {
    void this.#previous.then(() => this.close());
  }

  /** Stops the encoder; encodes waiting reject. */
  close(): void {
    this.#fail(new VideoEncoderError('the video encoder was closed'));
  }

  #configure(width: number, height: number): void {
    // Nothing is owed by the old encoder: frames go in one at a time.
    this.#encoder?.close();
    this.#encoder = undefined;
    const encoder = new this.#mod.VideoEncoder({
      output: (chunk) => {
        if (encoder !== this.#encoder) return;
        const w = this.#waiting.shift();
        if (w) {
          clearTimeout(w.timer);
          w.resolve(chunk);
        }
      },
      error: (e) => {
        if (encoder === this.#encoder) this.#fail(e);
      },
    });
    encoder.configure({
      codec: VIDEO_CODECS[this.codec], width, height, bitrate: this.#bitrate, framerate: 60,
      // Not 'realtime': there this package fixes the keyframe interval at 10 frames (6 keyframes a
      // second at 60 fps, 1.6x the bytes: measured). Its x264 sends no B-frames (High profile
      // whatever profile the codec string asks for: see VIDEO_CODECS), so 'quality' still gives
      // one chunk per frame, at once (measured at 1280x720: no frame held, 9.4 ms p50), and
      // keyframes only where the caller asks for them.
      latencyMode: 'quality', bitrateMode: 'variable', hardwareAcceleration: videoHardwarePreference(),
      // Annex B: the parameter sets travel in each keyframe, so a view needs no out-of-band description.
      avc: { format: 'annexb' },
    });
    this.#encoder = encoder;
    this.#size = [width, height];
  }

  #fail(e: unknown): void {
    if (!this.#failed) {
      this.#failed = e instanceof VideoEncoderError ? e : new VideoEncoderError(`the ${this.codec} encoder failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const w of this.#waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(this.#failed);
    }
    try {
      this.#encoder?.close();
    } catch { /* closing a broken encoder may throw; it is gone either way */ }
    this.#encoder = undefined;
  }
}
