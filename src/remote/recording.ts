// Recordings of a canvas: RemoteCanvas.startRecording() returns a RecordingSession that takes a
// frame at each tick of the asked rate and encodes it at once into a video file (MP4 with H.264, or
// WebM with VP9: frames/clip-encoder.ts), so memory holds encoded bytes only, never the clip's raw
// frames (a 1280x720 RGBA frame is 3.7 MB; its chunk at 4 Mbit/s and 30 fps ~17 kB); stop() (or
// maxSeconds) ends it. The exception is an animated WebP (frames/webp-clip.ts: sharp, no optional
// package), made from raw frames at the end, so short clips only. RemoteCanvas.record({ seconds }) is the same session ended by its
// maxSeconds. The result, a Recording, is the file's bytes with what a script (save) and a notebook
// (show: a <video> output) do with them. The ticking and where each frame comes from are the
// canvas's (canvas.ts); the options, their checks, the session and the file are here.
import { writeFile } from 'node:fs/promises';
import type { Frame } from '../canvas/base.js';
import { CanvasClosedError, CanvasStateError, DawnRfbError, InvalidArgumentError } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { checkVideoBitrate, DEFAULT_VIDEO_BITRATE, VideoEncoderError } from './frames/video-encoder.js';
import { CLIP_FORMATS, ClipEncoder, loadClipCodecs } from './frames/clip-encoder.js';
import { WEBP_MAX_FRAMES, WEBP_MAX_RAW_BYTES, WebpClipWriter } from './frames/webp-clip.js';
import { currentDisplayWriter, newDisplayId, SHOW } from './notebook/output.js';

/** The file formats of a recording: 'mp4' (H.264), 'webm' (VP9), 'webp' (animated WebP, short clips). */
export type RecordingFormat = 'mp4' | 'webm' | 'webp';
/** {@link RecordingFormat}'s values, in the order messages list them. */
export const RECORDING_FORMATS: readonly RecordingFormat[] = Object.freeze(['mp4', 'webm', 'webp'] as const);

/** Per format: its name in messages, its mime type, what makes its pictures. */
const FORMATS: Readonly<Record<RecordingFormat, { name: string; mimeType: string; codecName: string }>> = Object.freeze({
  mp4: CLIP_FORMATS.mp4,
  webm: CLIP_FORMATS.webm,
  webp: { name: 'animated WebP', mimeType: 'image/webp', codecName: 'WebP' },
});

/** What a recording writes its frames into: a video file (ClipEncoder) or an animated WebP. */
interface ClipWriter {
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  add(pixels: Frame, key: boolean): Promise<void>;
  finish(): Promise<Uint8Array>;
  close(): void;
}

/** Options of {@link RemoteCanvas.startRecording}. All optional. */
export interface StartRecordingOptions {
  /** The recording stops by itself after this many seconds of clip (fps x maxSeconds frames, rounded, at least 1): more than 0 and at most {@link MAX_RECORD_SECONDS}, the default. */
  maxSeconds?: number;
  /** Frames a second, an integer from 1 to 120. Default 30. */
  fps?: number;
  /** Video bitrate in bits a second, an integer inside VIDEO_BITRATE_RANGE. Default 4_000_000 (DEFAULT_VIDEO_BITRATE). */
  bitrate?: number;
  /**
   * The file: 'mp4' (H.264, the default; plays everywhere), 'webm' (VP9) or 'webp' (an animated
   * WebP through sharp, no optional package; its frames stay raw until the end, so at most
   * 300 frames and 256 MB of them: it stops by itself there).
   */
  format?: RecordingFormat;
}

/** Options of {@link RemoteCanvas.record}. All optional. */
export interface RecordOptions {
  /** Length of the clip in seconds, more than 0 and at most {@link MAX_RECORD_SECONDS}. Default 5. */
  seconds?: number;
  /** Frames a second, an integer from 1 to 120. Default 30. */
  fps?: number;
  /** Video bitrate in bits a second, an integer inside VIDEO_BITRATE_RANGE. Default 4_000_000 (DEFAULT_VIDEO_BITRATE). */
  bitrate?: number;
  /**
   * The file: 'mp4' (H.264, the default; plays everywhere), 'webm' (VP9) or 'webp' (an animated
   * WebP through sharp, no optional package; at most 300 frames and 256 MB of raw frames).
   */
  format?: RecordingFormat;
}

/** The npm package of the video encoders (video-encoder.ts loads it). */
const VIDEO_ENCODER_PACKAGE = '@napi-rs/webcodecs';

/** The names of {@link RecordOptions}, for the unknown-option check. */
export const RECORD_OPTION_NAMES = optionNames<RecordOptions>({ seconds: true, fps: true, bitrate: true, format: true });
/** The names of {@link StartRecordingOptions}, for the unknown-option check. */
export const START_RECORDING_OPTION_NAMES = optionNames<StartRecordingOptions>({ maxSeconds: true, fps: true, bitrate: true, format: true });

/** Longest recording, seconds: ten minutes at 4 Mbit/s is ~300 MB of video in memory. */
export const MAX_RECORD_SECONDS = 600;
/** Highest recording frame rate (what fast displays show). */
export const MAX_RECORD_FPS = 120;

/** {@link RecordOptions} with defaults applied. */
export type ResolvedRecordOptions = Required<RecordOptions>;
/** {@link StartRecordingOptions} with defaults applied. */
export type ResolvedStartRecordingOptions = Required<StartRecordingOptions>;

/** Checks an options object's shape and names; `method` names the call in messages. */
function optionsObject(method: string, options: unknown, names: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${method}() takes an options object { ${names.join(', ')} }, got ${String(options)}`);
  }
  checkOptionNames(method, options, names);
  return options as Record<string, unknown>;
}

/** Checks a length in seconds (record's `seconds`, startRecording's `maxSeconds`). */
function checkSeconds(method: string, name: string, seconds: unknown): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_RECORD_SECONDS) {
    throw new InvalidArgumentError(`${method}(): ${name} must be a number more than 0 and at most ${MAX_RECORD_SECONDS}, got ${String(seconds)}`);
  }
  return seconds;
}

/** Checks and defaults the options both calls share: fps, bitrate, format. */
function resolveShared(method: string, o: Record<string, unknown>): { fps: number; bitrate: number; format: RecordingFormat } {
  const fps = o.fps ?? 30;
  if (typeof fps !== 'number' || !Number.isInteger(fps) || fps < 1 || fps > MAX_RECORD_FPS) {
    throw new InvalidArgumentError(`${method}(): fps must be an integer from 1 to ${MAX_RECORD_FPS}, got ${String(fps)}`);
  }
  const bitrate = checkVideoBitrate(o.bitrate ?? DEFAULT_VIDEO_BITRATE, `${method}(): bitrate`);
  const format = o.format ?? 'mp4';
  if (typeof format !== 'string' || !(RECORDING_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidArgumentError(`${method}(): format must be one of ${RECORDING_FORMATS.map((f) => `'${f}'`).join(', ')}, got ${typeof format === 'string' ? `'${format}'` : String(format)}`);
  }
  return { fps, bitrate, format: format as RecordingFormat };
}

/**
 * Checks record() options and applies the defaults (seconds 5, fps 30, bitrate 4 Mbit/s, format 'mp4').
 * @throws {InvalidArgumentError} for an unknown option name or a value out of range.
 */
export function resolveRecordOptions(options: unknown): ResolvedRecordOptions {
  const o = optionsObject('record', options, RECORD_OPTION_NAMES);
  const resolved = { seconds: checkSeconds('record', 'seconds', o.seconds ?? 5), ...resolveShared('record', o) };
  const frames = Math.max(1, Math.round(resolved.seconds * resolved.fps));
  if (resolved.format === 'webp' && frames > WEBP_MAX_FRAMES) {
    throw new InvalidArgumentError(`record(): an animated WebP holds at most ${WEBP_MAX_FRAMES} frames, and seconds x fps is ${frames}: record fewer, or use format 'mp4' or 'webm'`);
  }
  return resolved;
}

/**
 * Checks startRecording() options and applies the defaults (maxSeconds {@link MAX_RECORD_SECONDS},
 * fps 30, bitrate 4 Mbit/s, format 'mp4').
 * @throws {InvalidArgumentError} for an unknown option name or a value out of range.
 */
export function resolveStartRecordingOptions(options: unknown): ResolvedStartRecordingOptions {
  const o = optionsObject('startRecording', options, START_RECORDING_OPTION_NAMES);
  return { maxSeconds: checkSeconds('startRecording', 'maxSeconds', o.maxSeconds ?? MAX_RECORD_SECONDS), ...resolveShared('startRecording', o) };
}

/** save() was asked to write over a file that exists (and `overwrite` was not given). */
export class FileExistsError extends DawnRfbError {}

/** Options of {@link Recording.save}. */
export interface SaveOptions {
  /** Replace a file that exists at the path. Default false: an existing file is never rewritten unless asked. */
  overwrite?: boolean;
}

/** A clip recorded from a canvas (MP4 with H.264, WebM with VP9, or an animated WebP): its bytes, and how to save or show them. */
export class Recording {
  /** The file's bytes. */
  readonly data: Uint8Array;
  /** Frames in the clip. */
  readonly frames: number;
  /** Frame size in pixels (the canvas's physical size while recording). */
  readonly width: number;
  readonly height: number;
  /** Frames a second the clip plays at. */
  readonly fps: number;
  /** The file format ('mp4', 'webm' or 'webp'). */
  readonly format: RecordingFormat;

  constructor(data: Uint8Array, frames: number, width: number, height: number, fps: number, format: RecordingFormat = 'mp4') {
    this.data = data;
    this.frames = frames;
    this.width = width;
    this.height = height;
    this.fps = fps;
    this.format = format;
  }

  /** The file's mime type: 'video/mp4', 'video/webm' or 'image/webp'. */
  get mimeType(): string {
    return FORMATS[this.format].mimeType;
  }

  /** How long the clip plays: frames / fps. */
  get durationSeconds(): number {
    return this.frames / this.fps;
  }

  /**
   * Writes the file to `path` (the name's extension is the caller's: .mp4, .webm or .webp as {@link format} says).
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

  /** The notebook output: a playable <video> (an <img> for an animated WebP) with the file inline (base64). */
  html(): string {
    const src = `data:${this.mimeType};base64,${Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength).toString('base64')}`;
    if (this.format === 'webp') return `<img width="${this.width}" height="${this.height}" title="${this.toString()}" alt="${this.toString()}" src="${src}">`;
    return `<video controls loop muted playsinline width="${this.width}" height="${this.height}" title="${this.toString()}" src="${src}"></video>`;
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
    return `Recording ${this.width}x${this.height}, ${this.frames} frames at ${this.fps} fps (${this.durationSeconds.toFixed(2)} s), ${this.data.byteLength} bytes of ${FORMATS[this.format].name}`;
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
  /** Whether the canvas was closed (recording ends). */
  isClosed(): boolean;
}

/**
 * Why a {@link RecordingSession} ended: stop() was called, its maxSeconds were recorded, its
 * format's limit was reached (an animated WebP's frames), the canvas was closed, or an error ended
 * it (stop() rejects with the error then).
 */
export type RecordingEnd = 'stop' | 'maxSeconds' | 'limit' | 'closed' | 'error';

/**
 * A recording in progress, from {@link RemoteCanvas.startRecording}: it takes a frame every 1/fps s
 * (drawing one when nothing new was drawn) and encodes it at once, until stop() is called, its
 * `maxSeconds` are recorded, or the canvas closes. A tick that comes late (a slow draw or encode)
 * takes the next frame then: the clip still has every frame, played at `fps`. Not made directly.
 */
export class RecordingSession {
  /** The options it runs with, defaults applied. */
  readonly options: Readonly<ResolvedStartRecordingOptions>;
  /**
   * Settles when the recording has ended and its file is finished: resolves with the clip (also
   * after the canvas closed, with the frames taken until then), rejects with the error that ended
   * it. The promise that {@link stop} returns.
   */
  readonly finished: Promise<Recording>;
  readonly #source: RecordSource;
  readonly #method: string;
  #frames = 0;
  #stopRequested = false;
  /** The format's own limit (an animated WebP's frames) is below maxSeconds' frames. */
  #capped = false;
  #end: RecordingEnd | undefined;
  #active = true;
  /** Wakes the loop from its wait for the next tick (stop() calls it). */
  #wake: (() => void) | undefined;

  /** `method` names the public call in messages ('record' or 'startRecording'). */
  constructor(source: RecordSource, options: ResolvedStartRecordingOptions, method = 'startRecording') {
    this.options = Object.freeze({ ...options });
    this.#source = source;
    this.#method = method;
    this.finished = this.#run().finally(() => { this.#active = false; });
    // Nobody may ever await it (a session that fails and is never stopped): no unhandled rejection.
    this.finished.catch(() => {});
  }

  /** Frames recorded so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Seconds of clip recorded so far: frames / fps (what the clip will play, whatever the wall clock). */
  get seconds(): number {
    return this.#frames / this.options.fps;
  }

  /**
   * Whether it still takes frames: false from stop() on (a frame being taken then is still kept)
   * and once it has ended, while its file may still be finishing.
   */
  get active(): boolean {
    return this.#active && this.#end === undefined && !this.#stopRequested;
  }

  /** Why it ended; undefined while it records. */
  get endedBy(): RecordingEnd | undefined {
    return this.#end;
  }

  /**
   * Ends the recording and resolves with the clip once its file is finished (the encoder flushed).
   * A frame being taken right now is kept; a recording always has its first frame, so a stop()
   * before it came waits for it. Calling it again returns the same promise; after the recording
   * ended by itself (maxSeconds, canvas closed) it returns that outcome.
   * @throws (the promise rejects) {@link VideoEncoderError} when the encoder does not load (the
   *   message says how to install it) or fails; {@link CanvasClosedError} when the canvas closed
   *   before a frame was taken; {@link CanvasStateError} when the canvas renders nothing, changed
   *   size while recording, or has a size the codec cannot take (odd sides, under 16 pixels).
   */
  stop(): Promise<Recording> {
    if (!this.#stopRequested) {
      this.#stopRequested = true;
      this.#wake?.();
    }
    return this.finished;
  }

  /** One line: state, frames so far, rate, format. */
  toString(): string {
    const { fps, format } = this.options;
    return `RecordingSession ${this.active ? 'recording' : `ended (${this.#end ?? 'stop'})`}, ${this.#frames} frames at ${fps} fps (${this.seconds.toFixed(2)} s) of ${FORMATS[format].name}`;
  }

  /** What console.log shows: the summary line. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  async #run(): Promise<Recording> {
    try {
      const recording = await this.#record();
      this.#end ??= 'stop';
      return recording;
    } catch (e) {
      this.#end ??= 'error';
      throw e;
    }
  }

  /** Sleeps until `at` (performance.now() ms), or until stop() wakes it. */
  async #waitUntil(at: number): Promise<void> {
    const wait = at - performance.now();
    if (wait <= 0 || this.#stopRequested) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }

  async #record(): Promise<Recording> {
    const { fps, bitrate, format, maxSeconds } = this.options;
    const method = this.#method;
    const source = this.#source;
    const codecName = FORMATS[format].codecName;
    let mod: Awaited<ReturnType<typeof loadClipCodecs>> | undefined;
    // An animated WebP is sharp's: it needs no optional package.
    if (format !== 'webp') {
      try {
        mod = await loadClipCodecs();
      } catch (e) {
        // The loader's own message speaks of live views falling back to stills; a recording has no
        // fallback, so it says why the package did not load in its own words (the loader's cause).
        const cause = e instanceof Error && e.cause !== undefined ? e.cause : e;
        const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
        throw new VideoEncoderError(`${method}() needs the ${codecName} encoder (npm ${VIDEO_ENCODER_PACKAGE}, an optional peer dependency), which did not load: ${reason}. Install it with \`npm install ${VIDEO_ENCODER_PACKAGE}\``, { cause: e });
      }
    }
    let count = Math.max(1, Math.round(maxSeconds * fps));
    const interval = 1000 / fps;
    let clip: ClipWriter | undefined;
    // Every frame of the clip is drawn while recording: the one on show now may be minutes old.
    let previous = source.newest();
    const start = performance.now();
    try {
      for (let i = 0; i < count; i++) {
        await this.#waitUntil(start + i * interval);
        if (source.isClosed()) {
          this.#end = 'closed';
          break;
        }
        if (this.#stopRequested && i > 0) break;
        let taken;
        try {
          taken = await source.frameAt(previous);
        } catch (e) {
          // Closed while this tick drew: the frames so far are the clip.
          if (source.isClosed()) {
            this.#end = 'closed';
            break;
          }
          throw e;
        }
        if (!taken) throw new CanvasStateError(`${method}(): the canvas rendered nothing (the draw function must render to getContext().getCurrentTexture())`);
        const { frame } = taken;
        let adding;
        try {
          if (!clip) {
            if (format === 'webp') {
              const webp = new WebpClipWriter(frame.width, frame.height, fps);
              if (count > webp.cap) {
                // record() promised its frames: say so now rather than hand back fewer.
                if (method === 'record') {
                  throw new CanvasStateError(`${method}(): ${count} frames of ${frame.width}x${frame.height} do not fit an animated WebP, which holds its frames raw until the end: at most ${webp.cap} of this size (${WEBP_MAX_FRAMES} frames, ${WEBP_MAX_RAW_BYTES >> 20} MB); record fewer, or use format 'mp4' or 'webm'`);
                }
                count = webp.cap;
                this.#capped = true;
              }
              clip = webp;
            } else {
              if (!ClipEncoder.fits(frame.width, frame.height)) {
                throw new CanvasStateError(`${method}(): the canvas is ${frame.width}x${frame.height} physical pixels; ${codecName} needs even sides of at least 16 pixels (set a size that gives them)`);
              }
              clip = new ClipEncoder(mod!, format, frame.width, frame.height, fps, bitrate);
            }
          } else if (frame.width !== clip.width || frame.height !== clip.height) {
            throw new CanvasStateError(`${method}(): the canvas changed size from ${clip.width}x${clip.height} to ${frame.width}x${frame.height} while recording; a recording keeps one size`);
          }
          // The encoder copies the pixels before add() returns its promise: the hold ends right after.
          adding = clip.add(frame, i === 0 || i % (fps * 2) === 0);
        } finally {
          taken.release();
        }
        await adding;
        this.#frames++;
        previous = frame;
      }
      this.#end ??= this.#stopRequested ? 'stop' : this.#capped ? 'limit' : 'maxSeconds';
      if (!clip) throw new CanvasClosedError(`${method}(): the canvas was closed before a frame was recorded`);
      return new Recording(await clip.finish(), clip.frames, clip.width, clip.height, fps, format);
    } finally {
      clip?.close();
    }
  }
}

/**
 * What record() returns: `session` (started with `maxSeconds: options.seconds`) awaited to its
 * end, `options.seconds * options.fps` frames (rounded, at least 1).
 * @throws as {@link RecordingSession.stop}, and {@link CanvasClosedError} when the canvas closes
 *   before the clip is complete (a clip shorter than asked is not what record() promised).
 */
export async function record(session: RecordingSession, options: ResolvedRecordOptions): Promise<Recording> {
  const closed = (): CanvasClosedError => new CanvasClosedError(`record(): the canvas was closed while recording (after ${session.frames} of ${Math.max(1, Math.round(options.seconds * options.fps))} frames)`);
  let recording;
  try {
    recording = await session.finished;
  } catch (e) {
    if (session.endedBy === 'closed' || e instanceof CanvasClosedError) throw closed();
    throw e;
  }
  if (session.endedBy === 'closed') throw closed();
  return recording;
}
