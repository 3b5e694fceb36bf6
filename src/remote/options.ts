// The options of a RemoteCanvas, their defaults (documented on each field and in the README),
// their validation, and their resolution: resolveRemoteCanvasOptions applies every default here,
// once, and the canvas and its frame stream read only the resolved object (no `?? 80` elsewhere).
import { availableParallelism } from 'node:os';
import { CANVAS_OPTION_NAMES, type CanvasOptions } from '../canvas/base.js';
import type { GpuPassChoice } from '../canvas/context.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { InvalidArgumentError } from '../errors.js';
import { checkQuality } from './frames/image-encoder.js';
import { checkVideoBitrate, DEFAULT_VIDEO_BITRATE } from './frames/video-encoder.js';
import { MAX_FRAME_PARTS } from './protocol.js';
import { checkServerOptions, type ServerOptions } from './transport/server.js';

/** Options of a RemoteCanvas (and those of every canvas). All optional. */
export interface RemoteCanvasOptions extends CanvasOptions {
  /** JPEG/WebP quality 1..100 while frames change; 100 sends every frame lossless (PNG). Default 80. */
  quality?: number;
  /** Lossy format while frames change: `jpeg` (default) or `webp`. */
  lossyFormat?: 'jpeg' | 'webp';
  /**
   * How changing frames are encoded: `'auto'` (default: stills, and video (H.264) to a view that
   * can decode it while its link is what limits it and the content is busy: the rule is in
   * frames/codec-choice.ts and the README, "Video frames"), `'jpeg'` (stills in `lossyFormat`
   * only), or `'h264'` (video to every view that can decode it, stills to the others). Video
   * needs the optional npm package `@napi-rs/webcodecs` (else stills, with one report); `'auto'`
   * loads it only when a view first wants video. `'vp9'` and `'av1'` are refused: their encoders
   * in that package hold 24 frames before the first comes out. The lossless refresh after idle is
   * PNG whatever the codec.
   */
  codec?: RemoteCanvasCodec;
  /** Bits a second of video frames at full quality and size (`codec: 'h264'` or `'auto'`), 100000..200000000. Default 4000000. */
  videoBitrate?: number;
  /** After this many ms without a new frame, the last one is re-sent lossless (PNG). Default 300; `Infinity` disables. */
  losslessDelayMs?: number;
  /**
   * Frames a view may have unacknowledged before drawing waits for it. Default 2 (minimum 1). The
   * adaptive control (`adaptive`) may raise a view's count: over a long link, and over a short one
   * while one frame more shows more frames.
   */
  maxBufferedFrames?: number;
  /** Encodes in flight at once. Default: the number of CPU cores (at most 8). */
  maxEncodes?: number;
  /**
   * Most horizontal strips one frame is encoded in, in parallel (each strip at least 256 K
   * pixels, so 640x480 stays whole): a big frame's encode and the view's decode then take a
   * fraction of the time, which cuts latency on a machine with cores to spare. Default: the
   * number of CPU cores (at most 8); 1 encodes every frame whole.
   */
  maxFrameParts?: number;
  /**
   * Adapt each view's frames in flight, and the quality and resolution of lossy frames, to what
   * its acknowledgements say of the link (back off while a queue builds, recover when it clears;
   * more frames in flight over a long link). The lossless refresh is always full. Default true.
   */
  adaptive?: boolean;
  /**
   * Send only the changed part of a frame (the bounding rectangle of its changed 64 px tiles)
   * when at most half of the tiles changed; views draw it onto the frame they have. Whole frames
   * still go after a resize, to a view that joins or fell behind, every 120 frames, and as the
   * lossless refresh. Default true.
   */
  dirtyTiles?: boolean;
  /**
   * Find the changed tiles on the GPU, during the readback (a compute pass comparing the frame
   * with the previous one), instead of comparing the two frames on the JS thread. Default
   * `'auto'`: on a hardware GPU, not on a software one (there the compute pass runs on the same
   * CPU cores and costs more than the JS thread's memcmp). Only with `dirtyTiles`.
   */
  gpuTileCompare?: boolean | 'auto';
  /**
   * Convert frames that go as video to the encoder's colour format (I420) on the GPU, during
   * the readback (a compute pass), so the encoder takes the planes as they are: no RGB -> YUV
   * step on the CPU before each encode, and 2.7x fewer bytes into it. Default `'auto'`: on a
   * hardware GPU, not on a software one (there the pass runs on the CPU's cores and costs more
   * than the encoder's own conversion). Only while frames go as video.
   */
  gpuColorConvert?: boolean | 'auto';
  /** CSS width of views. Default: the logical width in px. */
  cssWidth?: string;
  /** CSS height of views. Default: the logical height in px. */
  cssHeight?: string;
  /**
   * Most pixels a frame may have when a view sets the size (a resize, a browser zoomed in): a
   * larger request renders at the largest size within it, keeping the aspect ratio, and the view
   * scales the frames up. This bounds what a view can make the canvas hold: ~20-22 bytes per
   * pixel were measured (texture, staging buffers, pixel arrays, encodes), so ~330 MB at the
   * default 16777216 (4096x4096). With views open the canvas renders at its primary view's size, so
   * setLogicalSize (which asks the views to resize) is bound by it too; without views, sizes the
   * program sets are bound only by the device. `Infinity`: only the device limits.
   */
  maxViewPixels?: number;
  /** Whether views show a resize handle. Default true. */
  resizable?: boolean;
  /** Where the shared server listens (used by the first canvas only). */
  server?: ServerOptions;
  /**
   * Where notebook pages reach the server: a URL prefix with {proto} {host} {base} {port}
   * {token}, e.g. `{proto}://{host}{base}proxy/{port}`. Default: env `DAWN_RFB_URL_TEMPLATE`,
   * else the widget tries the JupyterHub prefix, jupyter-server-proxy, then the port directly.
   */
  urlTemplate?: string;
}

/** Values of {@link RemoteCanvasOptions.codec}. */
export type RemoteCanvasCodec = 'auto' | 'jpeg' | 'h264' | 'vp9' | 'av1';
const CODECS: readonly RemoteCanvasCodec[] = ['auto', 'jpeg', 'h264', 'vp9', 'av1'];

const REMOTE_OPTION_NAMES = [...CANVAS_OPTION_NAMES, ...optionNames<Omit<RemoteCanvasOptions, keyof CanvasOptions>>({
  quality: true, codec: true, videoBitrate: true, lossyFormat: true, losslessDelayMs: true, maxBufferedFrames: true, maxEncodes: true, maxFrameParts: true, maxViewPixels: true,
  adaptive: true, dirtyTiles: true, gpuTileCompare: true, gpuColorConvert: true, cssWidth: true, cssHeight: true, resizable: true, server: true, urlTemplate: true,
})];

const CSS_SIZE = /^\d+(\.\d+)?(px|em|rem|%|vw|vh)$/;

/** Checks the RemoteCanvas-specific options; throws {@link InvalidArgumentError} saying what is allowed. */
export function checkOptions(o: RemoteCanvasOptions): void {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new InvalidArgumentError(`RemoteCanvas options must be an object like { size: [640, 480] }, got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}`);
  }
  checkOptionNames('RemoteCanvas', o, REMOTE_OPTION_NAMES);
  if (o.quality !== undefined) checkQuality(o.quality);
  if (o.codec !== undefined) {
    if (!CODECS.includes(o.codec)) throw new InvalidArgumentError(`codec must be one of ${CODECS.join(', ')}, got ${JSON.stringify(o.codec)}`);
    if (o.codec === 'vp9' || o.codec === 'av1') {
      throw new InvalidArgumentError(`codec ${o.codec} is not available: its encoder (npm @napi-rs/webcodecs) holds 24 frames before the first comes out, too late for an interactive view; use "h264" (or "jpeg")`);
    }
  }
  if (o.videoBitrate !== undefined) checkVideoBitrate(o.videoBitrate);
  if (o.server !== undefined) checkServerOptions(o.server);
  if (o.urlTemplate !== undefined && (typeof o.urlTemplate !== 'string' || o.urlTemplate === '')) {
    throw new InvalidArgumentError(`urlTemplate must be a URL prefix string such as "{proto}://{host}{base}proxy/{port}", got ${JSON.stringify(o.urlTemplate)}`);
  }
  if (o.lossyFormat !== undefined && o.lossyFormat !== 'jpeg' && o.lossyFormat !== 'webp') {
    throw new InvalidArgumentError(`lossyFormat must be "jpeg" or "webp", got ${JSON.stringify(o.lossyFormat)}`);
  }
  if (o.losslessDelayMs !== undefined && !(o.losslessDelayMs >= 0)) {
    throw new InvalidArgumentError(`losslessDelayMs must be >= 0 (Infinity disables), got ${o.losslessDelayMs}`);
  }
  for (const key of ['gpuTileCompare', 'gpuColorConvert'] as const) {
    const v = o[key];
    if (v !== undefined && typeof v !== 'boolean' && v !== 'auto') throw new InvalidArgumentError(`${key} must be true, false or "auto", got ${JSON.stringify(v)}`);
  }
  for (const key of ['adaptive', 'dirtyTiles'] as const) {
    const v = o[key];
    if (v !== undefined && typeof v !== 'boolean') throw new InvalidArgumentError(`${key} must be true or false, got ${JSON.stringify(v)}`);
  }
  for (const key of ['maxBufferedFrames', 'maxEncodes'] as const) {
    const v = o[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new InvalidArgumentError(`${key} must be an integer >= 1, got ${v}`);
  }
  if (o.maxViewPixels !== undefined && !(typeof o.maxViewPixels === 'number' && o.maxViewPixels >= 1)) {
    throw new InvalidArgumentError(`maxViewPixels must be a number of pixels >= 1 (Infinity: no bound but the device's), got ${String(o.maxViewPixels)}`);
  }
  const parts = o.maxFrameParts;
  if (parts !== undefined && (!Number.isInteger(parts) || parts < 1 || parts > MAX_FRAME_PARTS)) {
    throw new InvalidArgumentError(`maxFrameParts must be an integer from 1 to ${MAX_FRAME_PARTS} (1 encodes every frame whole), got ${parts}`);
  }
  for (const key of ['cssWidth', 'cssHeight'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || !CSS_SIZE.test(v))) {
      throw new InvalidArgumentError(`${key} must be a CSS length like "640px" or "100%", got ${JSON.stringify(v)}`);
    }
  }
}

/**
 * The RemoteCanvas-specific options with every default applied (as documented on
 * {@link RemoteCanvasOptions}): derived from that interface, so a new option cannot be left
 * unresolved. `server` is passed on as given (the server resolves its own options, and reads the
 * environment, when it starts); `urlTemplate` stays undefined when neither it nor env
 * `DAWN_RFB_URL_TEMPLATE` is set (the widget then tries its routes).
 */
export type ResolvedRemoteCanvasOptions = Readonly<Required<Omit<RemoteCanvasOptions, keyof CanvasOptions | 'urlTemplate'>>>
  & { readonly urlTemplate: string | undefined };

/** Default of {@link RemoteCanvasOptions.maxViewPixels}: 4096 x 4096. */
export const DEFAULT_MAX_VIEW_PIXELS = 4096 * 4096;

/** A boolean-or-`'auto'` GPU option (`gpuTileCompare`, `gpuColorConvert`) as the readback's choice of its pass. */
export function passChoice(option: boolean | 'auto'): GpuPassChoice {
  return option === 'auto' ? 'auto' : option ? 'on' : 'off';
}

/**
 * Checks `options` (as {@link checkOptions}) and resolves them: the given value, else the
 * documented default. `logicalSize` is the canvas's (the CSS size's default, in px).
 * @throws {InvalidArgumentError} saying which option is wrong and what is allowed.
 */
export function resolveRemoteCanvasOptions(options: RemoteCanvasOptions, logicalSize: readonly [number, number]): ResolvedRemoteCanvasOptions {
  checkOptions(options);
  const cores = Math.min(8, availableParallelism());
  return Object.freeze({
    quality: options.quality ?? 80,
    codec: options.codec ?? 'auto',
    videoBitrate: options.videoBitrate ?? DEFAULT_VIDEO_BITRATE,
    lossyFormat: options.lossyFormat ?? 'jpeg',
    losslessDelayMs: options.losslessDelayMs ?? 300,
    maxBufferedFrames: options.maxBufferedFrames ?? 2,
    maxEncodes: options.maxEncodes ?? cores,
    maxFrameParts: options.maxFrameParts ?? cores,
    adaptive: options.adaptive ?? true,
    dirtyTiles: options.dirtyTiles ?? true,
    gpuTileCompare: options.gpuTileCompare ?? 'auto',
    gpuColorConvert: options.gpuColorConvert ?? 'auto',
    cssWidth: options.cssWidth ?? `${logicalSize[0]}px`,
    cssHeight: options.cssHeight ?? `${logicalSize[1]}px`,
    maxViewPixels: options.maxViewPixels ?? DEFAULT_MAX_VIEW_PIXELS,
    resizable: options.resizable ?? true,
    server: options.server ?? {},
    urlTemplate: options.urlTemplate ?? process.env.DAWN_RFB_URL_TEMPLATE,
  });
}
