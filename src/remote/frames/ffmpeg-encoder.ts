// H.264 through an ffmpeg subprocess (libx264): the second video backend, beside the in-process
// WebCodecs one (video-encoder.ts), behind the same FrameVideoEncoder interface. Why a
// subprocess: the WebCodecs package runs x264 at its `superfast` preset and no field of its
// config changes that (measured: README, "Why this encoder"); x264 at `veryfast` sends 6.6x
// fewer bytes than JPEG at equal PSNR on the benchmark's mesh at 1280x720 against the package's
// 4.6x (`npm run bench:quality`), for more CPU a frame (idle: 16.1 ms against 14.5), spent in
// the ffmpeg process rather than in the kernel's.
//
// How a command-line encoder serves a live stream:
// - One frame in, one packet out: `-tune zerolatency` (no B-frames, no lookahead). Frames go in
//   one at a time, each once the one before came out, so nothing is held back.
// - Framing: the output is FLV (flv.ts), whose tag headers give each packet's length, so a frame
//   is complete when its last byte arrives.
// - Keyframes when asked: the ffmpeg command line takes no requests mid-stream, but a new process
//   starts with one. So each encoder keeps a standby process, already started and past x264's
//   set-up (it encoded one black frame, whose packet is dropped), whose next frame is forced to
//   be a keyframe (`-force_key_frames expr:lte(n,1)`). A keyframe request, a new size or a new
//   bitrate hands the next frame to the standby (or a new process when the standby's settings
//   differ) and retires the old process; a new standby starts after that frame came out.
// - Rate control: x264 here budgets bits per frame from the declared frame rate, not from
//   timestamps (measured: the same bytes a frame whether frames came at 30 or 60 a second), as
//   the WebCodecs package does; both declare 60 fps, so a setting means the same in either.
import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { InvalidArgumentError } from '../../errors.js';
import { i420Bytes, rgbaToI420 } from '../../canvas/i420.js';
import type { Pixels } from '../../canvas/readback.js';
import type { VideoCodecName } from '../protocol.js';
import { avccToAnnexB, FlvReader, parseAvcConfig, type AvcConfig } from './flv.js';
import {
  checkVideoBitrate, checkVideoCodec, ENCODE_TIMEOUT_MS, fitsVideo, framePlanes, InputForm, unfitError, VideoEncoderError,
  type EncodedVideo, type FrameVideoEncoder,
} from './video-encoder.js';

/** Environment variable naming the ffmpeg binary (default: `ffmpeg` on PATH). */
export const FFMPEG_ENV = 'DAWN_RFB_FFMPEG';
/** The x264 preset by default: `veryfast` (see the file's header for the measurement behind it). */
export const X264_PRESET = 'veryfast';
/**
 * Environment variable choosing another x264 preset, one of {@link X264_PRESETS}: a knob for
 * a machine with CPU to spare (`faster`: 7.6x JPEG's bytes at equal PSNR on the mesh, ~50% more
 * CPU than `veryfast`) or none (`superfast`, the WebCodecs package's), as UV_THREADPOOL_SIZE is.
 */
export const X264_PRESET_ENV = 'DAWN_RFB_X264_PRESET';
/** The presets {@link X264_PRESET_ENV} takes: x264's, from fastest to `medium`. */
export const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'] as const;

const isX264Preset = (v: string): boolean => (X264_PRESETS as readonly string[]).includes(v);
const presetChoices = (got: string): string => `must be one of ${X264_PRESETS.join(', ')}, got ${JSON.stringify(got)}`;

/** The preset from {@link X264_PRESET_ENV} (default {@link X264_PRESET}); an unknown one is an error naming the allowed ones. */
export function x264Preset(): string {
  const v = process.env[X264_PRESET_ENV] || X264_PRESET;
  if (!isX264Preset(v)) throw new VideoEncoderError(`${X264_PRESET_ENV} ${presetChoices(v)}`);
  return v;
}
/** The frame rate declared to x264, whose rate control budgets bits per frame from it. */
const DECLARED_FPS = 60;
/** How long a retired process may take to exit by itself before it is killed. */
const RETIRE_MS = 2000;
/** The last bytes of ffmpeg's stderr kept for error messages. */
const STDERR_KEEP = 2000;

const finding = new Map<string, Promise<string>>();

/**
 * Finds an ffmpeg with libx264 (env {@link FFMPEG_ENV}, else `ffmpeg` on PATH), once per binary;
 * resolves its path, or rejects with a {@link VideoEncoderError} saying what was missing and how to
 * install it.
 */
export function findFfmpeg(): Promise<string> {
  const bin = process.env[FFMPEG_ENV] || 'ffmpeg';
  let found = finding.get(bin);
  if (found) return found;
  found = new Promise<string>((resolve, reject) => {
    execFile(bin, ['-hide_banner', '-encoders'], { timeout: 10_000, maxBuffer: 4 << 20 }, (error, stdout) => {
      if (error) {
        const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'was not found' : `did not run (${error.message.split('\n')[0]})`;
        reject(new VideoEncoderError(`ffmpeg (${bin}) ${why}: install it (Debian: apt-get install ffmpeg) or set ${FFMPEG_ENV} to its path`, { cause: error }));
      } else if (!/^\s*V\S*\s+libx264\s/m.test(stdout)) {
        reject(new VideoEncoderError(`ffmpeg (${bin}) has no libx264 encoder (\`${bin} -encoders\` does not list it): use a build with libx264, such as Debian's`));
      } else {
        resolve(bin);
      }
    });
  });
  finding.set(bin, found);
  return found;
}

/**
 * What a process reads on stdin: raw RGBA (ffmpeg converts it), or I420 planes made on the GPU
 * (2.7x fewer bytes through the pipe, and no conversion in ffmpeg).
 */
export type FfmpegInput = 'rgba' | 'yuv420p';

/** Bytes of one frame of `input`. */
function inputBytes(input: FfmpegInput, width: number, height: number): number {
  return input === 'rgba' ? width * height * 4 : i420Bytes(width, height);
}

/** The ffmpeg command line for one process: raw frames in on stdin, H.264 in FLV out on stdout. */
export function ffmpegArgs(width: number, height: number, bitrate: number, preset: string = X264_PRESET, input: FfmpegInput = 'rgba'): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'rawvideo', '-pix_fmt', input, '-s', `${width}x${height}`, '-framerate', String(DECLARED_FPS), '-i', 'pipe:0',
    '-an', '-c:v', 'libx264', '-preset', preset, '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    // A VBV buffer of a quarter second: a frame may not burst far past the link's share.
    '-b:v', String(bitrate), '-maxrate', String(bitrate), '-bufsize', String(Math.round(bitrate / 4)),
    // Keyframes: frame 0 (the warm-up) and frame 1 (the first real one); later ones come from a
    // new process, or from x264 itself at a scene cut.
    '-g', '100000', '-force_key_frames', 'expr:lte(n,1)', '-fps_mode', 'passthrough',
    '-flush_packets', '1', '-f', 'flv', '-flvflags', 'no_duration_filesize', 'pipe:1',
  ];
}

interface Waiter {
  resolve: (chunk: { data: Uint8Array; key: boolean }) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** One ffmpeg process: one size, one bitrate, one input format; its first frame handed over is a keyframe. */
class FfmpegProcess {
  readonly width: number;
  readonly height: number;
  readonly bitrate: number;
  readonly input: FfmpegInput;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #reader = new FlvReader();
  #config: AvcConfig | undefined;
  readonly #waiting: Waiter[] = [];
  /** Packets still to drop: the warm-up frame's. */
  #discard = 1;
  #stderr = '';
  #dead: Error | undefined;
  #retired = false;

  constructor(bin: string, width: number, height: number, bitrate: number, preset: string, input: FfmpegInput) {
    this.width = width;
    this.height = height;
    this.bitrate = bitrate;
    this.input = input;
    this.#child = spawn(bin, ffmpegArgs(width, height, bitrate, preset, input), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.on('error', (e) => this.#die(new VideoEncoderError(`ffmpeg (${bin}) did not start: ${e.message}`, { cause: e })));
    this.#child.on('exit', (code, signal) => {
      const tail = this.#stderr.trim().split('\n').slice(-3).join(' / ');
      this.#die(new VideoEncoderError(`ffmpeg exited (${code === null ? `signal ${signal}` : `code ${code}`}) while encoding ${width}x${height}${tail ? `: ${tail}` : ''}`));
    });
    this.#child.stdin.on('error', () => { /* EPIPE when ffmpeg died: 'exit' says why */ });
    this.#child.stdout.on('data', (bytes: Buffer) => this.#onData(bytes));
    this.#child.stderr.on('data', (bytes: Buffer) => { this.#stderr = (this.#stderr + bytes.toString()).slice(-STDERR_KEEP); });
    // The warm-up frame: x264's set-up and ffmpeg's probing of the input happen now, not in the
    // first real frame's time.
    this.#child.stdin.write(Buffer.alloc(inputBytes(input, width, height)));
  }

  get usable(): boolean {
    return !this.#dead && !this.#retired;
  }

  /** Encodes one frame (in this process's input format; bytes the caller no longer touches). */
  encode(frame: Uint8Array): Promise<{ data: Uint8Array; key: boolean }> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#die(new VideoEncoderError(`ffmpeg gave no packet for a ${this.width}x${this.height} frame within ${ENCODE_TIMEOUT_MS} ms`));
        this.#child.kill('SIGKILL');
      }, ENCODE_TIMEOUT_MS);
      this.#waiting.push({ resolve, reject, timer });
      this.#child.stdin.write(frame);
    });
  }

  #onData(bytes: Buffer): void {
    if (this.#dead) return;
    try {
      for (const packet of this.#reader.push(bytes)) {
        if (packet.packetType === 0) {
          this.#config = parseAvcConfig(packet.payload);
        } else if (packet.packetType === 1) {
          if (!this.#config) throw new VideoEncoderError('ffmpeg sent a frame before its H.264 sequence header');
          if (this.#discard > 0) {
            this.#discard--;
            continue;
          }
          const w = this.#waiting.shift();
          if (!w) throw new VideoEncoderError('ffmpeg sent a packet for no frame');
          clearTimeout(w.timer);
          w.resolve({ data: avccToAnnexB(packet.payload, this.#config.lengthSize, packet.key ? this.#config.parameterSets : []), key: packet.key });
        }
      }
    } catch (e) {
      this.#die(e instanceof VideoEncoderError ? e : new VideoEncoderError(`ffmpeg's output did not parse: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      this.#child.kill('SIGKILL');
    }
  }

  #die(e: Error): void {
    if (this.#dead) return;
    this.#dead = e;
    for (const w of this.#waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }

  /** Done with it: its input ends (it exits by itself); killed if it has not after RETIRE_MS. */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), RETIRE_MS);
    timer.unref();
    this.#child.once('exit', () => clearTimeout(timer));
  }

  /** Stops it now; a frame in it rejects with `reason`. */
  kill(reason: Error): void {
    this.#retired = true;
    this.#die(reason);
    this.#child.kill('SIGKILL');
  }
}

/**
 * A video encoder of one setting over ffmpeg processes (see the file's header): H.264 chunks in
 * Annex B with the parameter sets in each keyframe, as {@link VideoFrameEncoder}'s. `bin` from
 * {@link findFfmpeg}. A failure (ffmpeg exits, stalls or sends what does not parse) rejects that
 * frame with a {@link VideoEncoderError}, and every later encode rejects too.
 */
export class FfmpegFrameEncoder implements FrameVideoEncoder {
  readonly codec: VideoCodecName;
  readonly #bin: string;
  readonly #preset: string;
  #bitrate: number;
  #active: FfmpegProcess | undefined;
  /** Frames handed to the active process. */
  #activeFrames = 0;
  #standby: FfmpegProcess | undefined;
  #failed: Error | undefined;
  #previous: Promise<unknown> = Promise.resolve();
  readonly #form = new InputForm();

  /** `preset`: x264's (default: {@link x264Preset}, from env {@link X264_PRESET_ENV}). */
  constructor(bin: string, codec: VideoCodecName, bitrate: number, preset: string = x264Preset()) {
    this.codec = checkVideoCodec(codec);
    if (codec !== 'h264') throw new InvalidArgumentError(`the ffmpeg video encoder makes h264 only, got ${JSON.stringify(codec)}`);
    if (!isX264Preset(preset)) throw new InvalidArgumentError(`x264 preset ${presetChoices(preset)}`);
    this.#bin = bin;
    this.#preset = preset;
    this.#bitrate = checkVideoBitrate(bitrate);
  }

  get bitrate(): number {
    return this.#bitrate;
  }

  /** Aims at another bitrate (checked as {@link checkVideoBitrate}); the next frame comes from a new process, as a keyframe. */
  setBitrate(bitrate: number): void {
    this.#bitrate = checkVideoBitrate(bitrate);
  }

  encode(pixels: Pixels, key: boolean): Promise<EncodedVideo> {
    if (this.#failed) return Promise.reject(this.#failed);
    const { width, height, data } = pixels;
    if (!fitsVideo(width, height)) return Promise.reject(unfitError(width, height));
    if (data.length !== width * height * 4) return Promise.reject(new InvalidArgumentError(`a ${width}x${height} RGBA frame has ${width * height * 4} bytes, got ${data.length}`));
    const t0 = performance.now();
    const planes = framePlanes(pixels);
    const form: FfmpegInput = planes ? 'yuv420p' : 'rgba';
    // The process reads the form its run started with (InputForm): a frame that starts a process
    // gives it its input format; a frame without planes to a process of planes is converted here.
    const input: FfmpegInput = this.#form.next(width, height, this.#bitrate, key, planes !== undefined) ? 'yuv420p' : 'rgba';
    // A copy: the caller may reuse its pixels once this returns.
    const bytes = input === 'rgba' ? Buffer.from(data) : planes ? Buffer.from(planes) : rgbaToI420(data, width, height);
    const encoded = this.#previous.then(() => this.#encodeNow(bytes, input, form, width, height, key))
      .then((chunk) => ({ ...chunk, width, height, encodeMs: performance.now() - t0, fromPlanes: input === 'yuv420p' && planes !== undefined }));
    this.#previous = encoded.catch(() => {});
    return encoded;
  }

  async #encodeNow(bytes: Uint8Array, input: FfmpegInput, form: FfmpegInput, width: number, height: number, key: boolean): Promise<{ data: Uint8Array; key: boolean }> {
    if (this.#failed) throw this.#failed;
    let proc = this.#active;
    const settingChanged = !proc || !proc.usable || proc.width !== width || proc.height !== height || proc.bitrate !== this.#bitrate || proc.input !== input;
    if (settingChanged || (key && this.#activeFrames > 0)) {
      proc?.retire();
      proc = this.#takeStandby(width, height, input) ?? new FfmpegProcess(this.#bin, width, height, this.#bitrate, this.#preset, input);
      this.#active = proc;
      this.#activeFrames = 0;
    }
    this.#activeFrames++;
    try {
      const chunk = await proc!.encode(bytes);
      // The standby reads what frames come as: planes once they come (the GPU makes them now; a
      // frame without them among them is rare, and converted), RGBA after a process whose first
      // frame had none.
      const follow = form === 'yuv420p' && this.#standby?.input !== form;
      if ((this.#activeFrames === 1 || follow) && !this.#failed) this.#startStandby(width, height, form);
      return chunk;
    } catch (e) {
      this.#fail(e);
      throw this.#failed;
    }
  }

  /** The standby if it is alive and set for frames of this size at this encoder's bitrate. */
  #standbyFor(width: number, height: number, input: FfmpegInput): FfmpegProcess | undefined {
    const s = this.#standby;
    return s?.usable && s.width === width && s.height === height && s.bitrate === this.#bitrate && s.input === input ? s : undefined;
  }

  #takeStandby(width: number, height: number, input: FfmpegInput): FfmpegProcess | undefined {
    const s = this.#standbyFor(width, height, input);
    if (!s) this.#standby?.retire();
    this.#standby = undefined;
    return s;
  }

  #startStandby(width: number, height: number, input: FfmpegInput): void {
    if (this.#standbyFor(width, height, input)) return;
    this.#standby?.retire();
    this.#standby = new FfmpegProcess(this.#bin, width, height, this.#bitrate, this.#preset, input);
  }

  closeWhenIdle(): void {
    void this.#previous.then(() => this.close());
  }

  close(): void {
    this.#fail(new VideoEncoderError('the video encoder was closed'));
  }

  #fail(e: unknown): void {
    if (!this.#failed) {
      this.#failed = e instanceof VideoEncoderError ? e : new VideoEncoderError(`the ffmpeg ${this.codec} encoder failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const p of [this.#active, this.#standby]) p?.kill(this.#failed);
    this.#active = undefined;
    this.#standby = undefined;
  }
}
