// Recordings of a canvas: RemoteCanvas.record() takes a frame at each tick of the asked rate,
// encodes it at once (H.264, video-encoder.ts) and puts the chunk into an MP4 (frames/mp4.ts), so
// memory holds encoded bytes only, never raw frames (a 1280x720 RGBA frame is 3.7 MB; its chunk
// at 4 Mbit/s and 30 fps ~17 kB). The result, a Recording, is the file's bytes with what a script
// (save) and a notebook (show: a <video> output) do with them. The ticking and where each frame
// comes from are the canvas's (canvas.ts); the options, their checks and the file are here.
import { writeFile } from 'node:fs/promises';
import type { Frame } from '../canvas/base.js';
import { CanvasClosedError, CanvasStateError, DawnRfbError, InvalidArgumentError } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { DEFAULT_VIDEO_BITRATE, loadVideoCodecs, VIDEO_BITRATE_RANGE, VideoEncoderError, VideoFrameEncoder } from './frames/video-encoder.js';
import { Mp4Writer } from './frames/mp4.js';
import { currentDisplayWriter, newDisplayId, SHOW } from './notebook/output.js';

/** Options of {@link RemoteCanvas.record}. All optional. */
export interface RecordOptions {
  /** Length of the clip in seconds, more than 0 and at most {@link MAX_RECORD_SECONDS}. Default 5. */
  seconds?: number;
  /** Frames a second, an integer from 1 to 120. Default 30. */
  fps?: number;
  /** H.264 bitrate in bits a second, an integer inside VIDEO_BITRATE_RANGE. Default 4_000_000 (DEFAULT_VIDEO_BITRATE). */
  bitrate?: number;
}

/** The npm package of the H.264 encoder (video-encoder.ts loads it). */
const VIDEO_ENCODER_PACKAGE = '@napi-rs/webcodecs';

/** The names of {@link RecordOptions}, for the unknown-option check. */
export const RECORD_OPTION_NAMES = optionNames<RecordOptions>({ seconds: true, fps: true, bitrate: true });

/** Longest recording, seconds: ten minutes at 4 Mbit/s is ~300 MB of MP4 in memory. */
export const MAX_RECORD_SECONDS = 600;
/** Highest recording frame rate (what fast displays show). */
export const MAX_RECORD_FPS = 120;

/** {@link RecordOptions} with defaults applied. */
export type ResolvedRecordOptions = Required<RecordOptions>;

/**
 * Checks record() options and applies the defaults (seconds 5, fps 30, bitrate 4 Mbit/s).
 * @throws {InvalidArgumentError} for an unknown option name or a value out of range.
 */
export function resolveRecordOptions(options: unknown): ResolvedRecordOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`record() takes an options object { seconds, fps, bitrate }, got ${String(options)}`);
  }
  checkOptionNames('record', options, RECORD_OPTION_NAMES);
  const o = options as RecordOptions;
  const seconds = o.seconds ?? 5;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_RECORD_SECONDS) {
    throw new InvalidArgumentError(`record(): seconds must be a number more than 0 and at most ${MAX_RECORD_SECONDS}, got ${String(seconds)}`);
  }
  const fps = o.fps ?? 30;
  if (typeof fps !== 'number' || !Number.isInteger(fps) || fps < 1 || fps > MAX_RECORD_FPS) {
    throw new InvalidArgumentError(`record(): fps must be an integer from 1 to ${MAX_RECORD_FPS}, got ${String(fps)}`);
  }
  const bitrate = o.bitrate ?? DEFAULT_VIDEO_BITRATE;
  const [min, max] = VIDEO_BITRATE_RANGE;
  if (typeof bitrate !== 'number' || !Number.isInteger(bitrate) || bitrate < min || bitrate > max) {
    throw new InvalidArgumentError(`record(): bitrate must be an integer number of bits a second from ${min} to ${max}, got ${String(bitrate)}`);
  }
  return { seconds, fps, bitrate };
}

/** save() was asked to write over a file that exists (and `overwrite` was not given). */
export class FileExistsError extends DawnRfbError {}

/** Options of {@link Recording.save}. */
export interface SaveOptions {
  /** Replace a file that exists at the path. Default false: an existing file is never rewritten unless asked. */
  overwrite?: boolean;
}

/** An MP4 clip (H.264) recorded from a canvas: its bytes, and how to save or show them. */
export class Recording {
  /** The MP4 file. */
  readonly data: Uint8Array;
  /** Frames in the clip. */
  readonly frames: number;
  /** Frame size in pixels (the canvas's physical size while recording). */
  readonly width: number;
  readonly height: number;
  /** Frames a second the clip plays at. */
  readonly fps: number;

  constructor(data: Uint8Array, frames: number, width: number, height: number, fps: number) {
    this.data = data;
    this.frames = frames;
    this.width = width;
    this.height = height;
    this.fps = fps;
  }

  /** How long the clip plays: frames / fps. */
  get durationSeconds(): number {
    return this.frames / this.fps;
  }

  /**
   * Writes the MP4 to `path`.
   * @throws {FileExistsError} when a file is there and `overwrite` is not true; {@link InvalidArgumentError} for bad arguments.
   */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    if (typeof path !== 'string' || path === '') throw new InvalidArgumentError(`save() takes a file path, got ${JSON.stringify(path)}`);
    checkOptionNames('save', options, ['overwrite']);
    const overwrite = options?.overwrite ?? false;
    if (typeof overwrite !== 'boolean') throw new InvalidArgumentError(`save(): overwrite must be true or false, got ${String(overwrite)}`);
    try {
      await writeFile(path, this.data, { flag: overwrite ? 'w' : 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new FileExistsError(`save(): ${path} exists; it is left as it is. Pass { overwrite: true } to replace it`);
      }
      throw e;
    }
  }

  /** The notebook output: a playable <video> (the file inline, base64), and this summary as text. */
  html(): string {
    return `<video controls loop muted playsinline width="${this.width}" height="${this.height}" title="${this.toString()}" `
      + `src="data:video/mp4;base64,${Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength).toString('base64')}"></video>`;
  }

  /**
   * Shows the clip as a video output of the running notebook cell (a new output per call);
   * outside a notebook prints the summary. A cell whose last expression is a Recording shows it
   * by itself under the dawn-rfb kernel.
   */
  show(): void {
    const writer = currentDisplayWriter();
    if (!writer) {
      console.log(`${this.toString()} (save(path) writes it; in a notebook show() plays it)`);
      return;
    }
    writer({ data: { 'text/html': this.html(), 'text/plain': this.toString() }, metadata: {}, transient: { display_id: newDisplayId() } }, false);
  }

  /** Called by the dawn-rfb kernel for a cell whose last expression is this recording. */
  [SHOW](): void {
    this.show();
  }

  /** One line: size, frames, rate, bytes. */
  toString(): string {
    return `Recording ${this.width}x${this.height}, ${this.frames} frames at ${this.fps} fps (${this.durationSeconds.toFixed(2)} s), ${this.data.byteLength} bytes of MP4`;
  }

  /** What console.log and a cell's printed value show: the summary, not megabytes of bytes. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** What recording needs of a canvas. */
export interface RecordSource {
  /**
   * The frame to record at this tick (drawing one if nothing new was drawn since `previous`),
   * with a release of the hold on its pixels; undefined when the canvas has rendered nothing.
   */
  frameAt(previous: Frame | undefined): Promise<{ frame: Frame; release: () => void } | undefined>;
  /** The newest frame drawn so far (before recording starts: the first tick wants a newer one). */
  newest(): Frame | undefined;
  /** Whether the canvas was closed (recording stops with an error). */
  isClosed(): boolean;
}

/**
 * Records `options.seconds * options.fps` frames (rounded, at least 1) from `source`, one per tick
 * of 1/fps s; each is encoded as it comes. A tick that comes late (a slow draw or encode) takes
 * the next frame then: the clip still has every frame, played at `fps`.
 * @throws {VideoEncoderError} when the encoder does not load or fails; {@link CanvasClosedError}
 *   when the canvas closes; {@link CanvasStateError} when it renders nothing, changes size or has
 *   a size H.264 cannot take.
 */
export async function record(source: RecordSource, options: ResolvedRecordOptions): Promise<Recording> {
  let mod;
  try {
    mod = await loadVideoCodecs();
  } catch (e) {
    // The loader's own message speaks of live views falling back to stills; a recording has no
    // fallback, so it says why the package did not load in its own words (the loader's cause).
    const cause = e instanceof Error && e.cause !== undefined ? e.cause : e;
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new VideoEncoderError(`record() needs the H.264 encoder (npm ${VIDEO_ENCODER_PACKAGE}, an optional peer dependency), which did not load: ${reason}. Install it with \`npm install ${VIDEO_ENCODER_PACKAGE}\``, { cause: e });
  }
  const count = Math.max(1, Math.round(options.seconds * options.fps));
  const encoder = new VideoFrameEncoder(mod, 'h264', options.bitrate);
  const interval = 1000 / options.fps;
  let writer: Mp4Writer | undefined;
  // Every frame of the clip is drawn while recording: the one on show now may be minutes old.
  let previous = source.newest();
  const start = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (source.isClosed()) throw new CanvasClosedError(`record(): the canvas was closed while recording (after ${i} of ${count} frames)`);
      const taken = await source.frameAt(previous);
      if (!taken) throw new CanvasStateError('record(): the canvas rendered nothing (the draw function must render to getContext().getCurrentTexture())');
      const { frame } = taken;
      let encoding;
      try {
        if (!writer) {
          if (!VideoFrameEncoder.fits(frame.width, frame.height)) {
            throw new CanvasStateError(`record(): the canvas is ${frame.width}x${frame.height} physical pixels; H.264 needs even sides of at least 16 pixels (set a size that gives them)`);
          }
          writer = new Mp4Writer(frame.width, frame.height, options.fps);
        } else if (frame.width !== writer.width || frame.height !== writer.height) {
          throw new CanvasStateError(`record(): the canvas changed size from ${writer.width}x${writer.height} to ${frame.width}x${frame.height} while recording; a recording keeps one size`);
        }
        // The encoder copies the pixels before encode() returns: the hold ends right after.
        encoding = encoder.encode(frame, i === 0 || i % (options.fps * 2) === 0);
      } finally {
        taken.release();
      }
      writer.add(await encoding);
      previous = frame;
    }
    return new Recording(writer!.finish(), count, writer!.width, writer!.height, options.fps);
  } finally {
    encoder.close();
  }
}
