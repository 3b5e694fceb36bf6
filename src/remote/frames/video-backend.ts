// Which program encodes video: ffmpeg (a subprocess, x264 at `veryfast`: fewer bytes) or the
// WebCodecs package (in-process, x264 at `superfast`: less CPU and latency). Both make the same
// chunks behind one interface (FrameVideoEncoder), so the frame stream does not know which one
// runs. `auto` orders them by the machine (autoOrder), takes the first that loads, and sends
// stills when neither does.
import os from 'node:os';
import { FfmpegFrameEncoder, findFfmpeg, x264Preset } from './ffmpeg-encoder.js';
import { loadVideoCodecs, VideoEncoderError, VideoFrameEncoder, type FrameVideoEncoder } from './video-encoder.js';
import type { VideoCodecName } from '../protocol.js';

/** Environment variable choosing the video backend: `auto` (the default), `ffmpeg` or `webcodecs`. */
export const VIDEO_ENCODER_ENV = 'DAWN_RFB_VIDEO_ENCODER';
/** The values {@link VIDEO_ENCODER_ENV} takes. */
export const VIDEO_ENCODER_CHOICES = ['auto', 'ffmpeg', 'webcodecs'] as const;
/** A value of {@link VIDEO_ENCODER_ENV}: `'auto'` or a backend's name. */
export type VideoEncoderChoice = (typeof VIDEO_ENCODER_CHOICES)[number];

/**
 * Cores from which `auto` puts ffmpeg first. Measured on the dev machine (2 cores, software GPU,
 * Chromium beside the kernel; mesh at 1280x720 over 5 Mbit/s / 100 ms): ffmpeg's encode took
 * 50 ms a frame against the package's 23 ms, and latency p50 was 226-233 ms against 199-200 ms,
 * as its extra CPU (x264 `veryfast`, a copy through a pipe) competes with rendering; on the same
 * machine idle it took 16.1 ms against 14.5 ms. With cores to spare, its 6.6x against 4.6x
 * JPEG's bytes at equal PSNR is the better deal (README, "Why this encoder").
 */
export const AUTO_FFMPEG_MIN_CORES = 4;

/** A video backend: `'ffmpeg'` (a subprocess) or `'webcodecs'` (the in-process package). */
export type VideoBackendName = Exclude<VideoEncoderChoice, 'auto'>;

/** The order in which `auto` tries the backends on a machine of `cores` cores. */
export function autoOrder(cores: number = os.availableParallelism()): readonly VideoBackendName[] {
  return cores >= AUTO_FFMPEG_MIN_CORES ? ['ffmpeg', 'webcodecs'] : ['webcodecs', 'ffmpeg'];
}

/** A loaded video backend: makes encoders of one setting each. */
export interface VideoBackend {
  readonly name: VideoBackendName;
  create(codec: VideoCodecName, bitrate: number): FrameVideoEncoder;
}

/** The backend chosen by {@link VIDEO_ENCODER_ENV} (read at each call). */
export function videoEncoderChoice(): VideoEncoderChoice {
  const v = process.env[VIDEO_ENCODER_ENV] || 'auto';
  if (!(VIDEO_ENCODER_CHOICES as readonly string[]).includes(v)) {
    throw new VideoEncoderError(`${VIDEO_ENCODER_ENV} must be one of ${VIDEO_ENCODER_CHOICES.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as VideoEncoderChoice;
}

async function ffmpegBackend(preset: string): Promise<VideoBackend> {
  const bin = await findFfmpeg();
  return { name: 'ffmpeg', create: (codec, bitrate) => new FfmpegFrameEncoder(bin, codec, bitrate, preset) };
}

async function webcodecsBackend(): Promise<VideoBackend> {
  const mod = await loadVideoCodecs();
  return { name: 'webcodecs', create: (codec, bitrate) => new VideoFrameEncoder(mod, codec, bitrate) };
}

/**
 * Loads the backend `choice` names (default: the one {@link VIDEO_ENCODER_ENV} names); under
 * `auto`, the first of {@link autoOrder} that loads (ffmpeg's x264 preset from env
 * `DAWN_RFB_X264_PRESET`, checked here). Rejects with a {@link VideoEncoderError} that says why
 * each candidate did not load.
 */
export async function loadVideoBackend(choice: VideoEncoderChoice = videoEncoderChoice()): Promise<VideoBackend> {
  if (choice === 'webcodecs') return webcodecsBackend();
  // A bad preset is an error even under auto (not a quiet fall-back to the package).
  const preset = x264Preset();
  if (choice === 'ffmpeg') return ffmpegBackend(preset);
  const [first, second] = autoOrder().map((name) => () => (name === 'ffmpeg' ? ffmpegBackend(preset) : webcodecsBackend()));
  try {
    return await first!();
  } catch (firstError) {
    try {
      return await second!();
    } catch (secondError) {
      const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
      throw new VideoEncoderError(`no video encoder loaded: ${why(firstError)}; and ${why(secondError)}`, { cause: secondError });
    }
  }
}
