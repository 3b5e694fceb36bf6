// Which program encodes video: ffmpeg (a subprocess, x264 at `veryfast`: fewer bytes) or the
// WebCodecs package (in-process, x264 at `superfast`). Both make the same chunks behind one
// interface (FrameVideoEncoder), so the frame stream does not know which one runs. `auto` takes
// ffmpeg where it is installed with libx264, else the package, else none (frames go as stills).
import { FfmpegFrameEncoder, findFfmpeg, x264Preset } from './ffmpeg-encoder.js';
import { loadVideoCodecs, VideoEncoderError, VideoFrameEncoder, type FrameVideoEncoder } from './video-encoder.js';
import type { VideoCodecName } from '../protocol.js';

/** Environment variable choosing the video backend: `auto` (the default), `ffmpeg` or `webcodecs`. */
export const VIDEO_ENCODER_ENV = 'DAWN_RFB_VIDEO_ENCODER';
/** The values {@link VIDEO_ENCODER_ENV} takes. */
export const VIDEO_ENCODER_CHOICES = ['auto', 'ffmpeg', 'webcodecs'] as const;

/** A loaded video backend: makes encoders of one setting each. */
export interface VideoBackend {
  readonly name: 'ffmpeg' | 'webcodecs';
  create(codec: VideoCodecName, bitrate: number): FrameVideoEncoder;
}

/** The backend chosen by {@link VIDEO_ENCODER_ENV} (read at each call). */
export function videoEncoderChoice(): (typeof VIDEO_ENCODER_CHOICES)[number] {
  const v = process.env[VIDEO_ENCODER_ENV] || 'auto';
  if (!(VIDEO_ENCODER_CHOICES as readonly string[]).includes(v)) {
    throw new VideoEncoderError(`${VIDEO_ENCODER_ENV} must be one of ${VIDEO_ENCODER_CHOICES.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as (typeof VIDEO_ENCODER_CHOICES)[number];
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
 * Loads the backend {@link VIDEO_ENCODER_ENV} names; under `auto`, ffmpeg, else the package
 * (ffmpeg's x264 preset from env `DAWN_RFB_X264_PRESET`, checked here).
 * Rejects with a {@link VideoEncoderError} that says why each candidate did not load.
 */
export async function loadVideoBackend(): Promise<VideoBackend> {
  const choice = videoEncoderChoice();
  if (choice === 'webcodecs') return webcodecsBackend();
  // A bad preset is an error even under auto (not a quiet fall-back to the package).
  const preset = x264Preset();
  if (choice === 'ffmpeg') return ffmpegBackend(preset);
  try {
    return await ffmpegBackend(preset);
  } catch (ffmpegError) {
    try {
      return await webcodecsBackend();
    } catch (packageError) {
      const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
      throw new VideoEncoderError(`no video encoder loaded: ${why(ffmpegError)}; and ${why(packageError)}`, { cause: packageError });
    }
  }
}
