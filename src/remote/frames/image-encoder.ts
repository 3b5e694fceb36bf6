// Frame encoding with sharp (libvips). Encodes run on libvips' thread pool, off the JS thread, so
// several frames can be encoding while the next one renders.
import sharp from 'sharp';
import { InvalidArgumentError } from '../../errors.js';
import { checkOptionNames, optionNames } from '../../options-check.js';
import type { Pixels } from '../../canvas/readback.js';
import { MAX_FRAME_PARTS } from '../protocol.js';
import type { Region } from './tiles.js';

/** Image formats frames can be sent in. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';
/** Every image format. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp'];
/** MIME type per format. */
export const MIME_TYPES: Readonly<Record<ImageFormat, string>> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** Options of {@link encodeFrame}. */
export interface EncodeOptions {
  /** Image format. Default `png`. */
  format?: ImageFormat;
  /** Quality 1..100 for JPEG and WebP; 100 means lossless (PNG, or lossless WebP). Default 80. */
  quality?: number;
  /** Keep the alpha channel (JPEG has none: frames with alpha go PNG/WebP). Default false. */
  alpha?: boolean;
  /** Encode only this rectangle of the frame (dirty tiles). Default: the whole frame. */
  region?: Region;
  /** Resolution scale, 0 < scale <= 1: the image is resized to round(width x scale) first. Default 1. */
  scale?: number;
  /**
   * How hard a PNG is compressed (other formats ignore it). `'fast'` (default): zlib level 2
   * without adaptive filtering, for live frames, each sent once. `'small'`: level 6 with adaptive
   * filtering, for an image that waits for a link rather than for the CPU (the lossless refresh
   * after the scene goes idle). Measured on the benchmark's `mesh` at 1280x720 on a 2-core machine: 151 kB in 31 ms
   * against 262 kB in 9.5 ms; noise does not compress either way. Both are exact.
   */
  effort?: PngEffort;
}

/** How hard a PNG is compressed (see {@link EncodeOptions.effort}). */
export type PngEffort = 'fast' | 'small';
const PNG_EFFORTS: Readonly<Record<PngEffort, { compressionLevel: number; adaptiveFiltering: boolean }>> = {
  fast: { compressionLevel: 2, adaptiveFiltering: false },
  small: { compressionLevel: 6, adaptiveFiltering: true },
};

const ENCODE_OPTION_NAMES = optionNames<EncodeOptions>({ format: true, quality: true, alpha: true, region: true, scale: true, effort: true });

/** An encoded image. */
export interface EncodedImage {
  data: Buffer;
  mimeType: string;
  lossless: boolean;
  /** Size of the encoded image (the frame's, times the scale). */
  width: number;
  height: number;
  /** Milliseconds the encode took (wall clock, including waiting for a libvips thread). */
  encodeMs: number;
}

/** Checks a quality value: an integer 1..100. */
export function checkQuality(quality: unknown): number {
  if (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new InvalidArgumentError(`quality must be an integer from 1 to 100 (100 = lossless), got ${String(quality)}`);
  }
  return quality;
}

/** Checks that `pixels` is { width, height, data } with width x height x 4 bytes of RGBA. */
function checkPixels(pixels: unknown): asserts pixels is Pixels {
  const p = pixels as Partial<Pixels> | null | undefined;
  if (typeof p !== 'object' || p === null || !(p.data instanceof Uint8Array)) {
    throw new InvalidArgumentError('encodeFrame takes pixels { width, height, data }: data a Uint8Array of width x height x 4 RGBA bytes');
  }
  for (const key of ['width', 'height'] as const) {
    const v = p[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw new InvalidArgumentError(`pixels.${key} must be an integer from 1 to 65535, got ${String(v)}`);
  }
  const expected = p.width! * p.height! * 4;
  if (p.data.length !== expected) {
    throw new InvalidArgumentError(`pixels.data must hold width x height x 4 = ${expected} bytes (RGBA), got ${p.data.length}`);
  }
}

/** Checks that `region` is a rectangle of integers inside the frame of `pixels`. */
function checkRegion(pixels: Pixels, region: Region): void {
  const inside = [region.x, region.y, region.width, region.height].every(Number.isInteger) && region.x >= 0 && region.y >= 0
    && region.width >= 1 && region.height >= 1 && region.x + region.width <= pixels.width && region.y + region.height <= pixels.height;
  if (!inside) throw new InvalidArgumentError(`region must be a rectangle of integers inside the ${pixels.width}x${pixels.height} frame, got ${JSON.stringify(region)}`);
}

/**
 * Encodes RGBA pixels. JPEG is lossy and drops alpha; PNG is lossless; WebP is lossy below
 * quality 100 and lossless at 100. JPEG at quality 100, or with alpha, becomes PNG.
 */
export async function encodeFrame(pixels: Pixels, options: EncodeOptions = {}): Promise<EncodedImage> {
  checkPixels(pixels);
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`encodeFrame options must be an object like { format: 'png' }, got ${String(options)}`);
  checkOptionNames('encodeFrame', options, ENCODE_OPTION_NAMES);
  const quality = checkQuality(options.quality ?? 80);
  let format = options.format ?? 'png';
  if (!IMAGE_FORMATS.includes(format)) throw new InvalidArgumentError(`format must be one of ${IMAGE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  const alpha = options.alpha ?? false;
  const scale = options.scale ?? 1;
  if (typeof scale !== 'number' || !(scale > 0 && scale <= 1)) throw new InvalidArgumentError(`scale must be a number in (0, 1], got ${String(scale)}`);
  const effort = options.effort ?? 'fast';
  if (!Object.hasOwn(PNG_EFFORTS, effort)) throw new InvalidArgumentError(`effort must be one of ${Object.keys(PNG_EFFORTS).join(', ')}, got ${JSON.stringify(effort)}`);
  if (format === 'jpeg' && (quality === 100 || alpha)) format = 'png';
  const t0 = performance.now();
  let image = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 4 } });
  const region = options.region;
  if (region) {
    checkRegion(pixels, region);
    image = image.extract({ left: region.x, top: region.y, width: region.width, height: region.height });
  }
  const width = Math.max(1, Math.round((region?.width ?? pixels.width) * scale));
  const height = Math.max(1, Math.round((region?.height ?? pixels.height) * scale));
  // Linear filtering: a reduced frame is a stopgap for a slow link, worth no expensive kernel.
  if (scale < 1) image = image.resize(width, height, { kernel: 'linear', fit: 'fill' });
  if (!alpha) image = image.removeAlpha();
  let lossless: boolean;
  switch (format) {
    case 'jpeg':
      // optimiseCoding off: ~40% faster for a few % more bytes; frames are short-lived.
      image = image.jpeg({ quality, optimiseCoding: false, chromaSubsampling: '4:2:0' });
      lossless = false;
      break;
    case 'webp':
      lossless = quality === 100;
      image = image.webp(lossless ? { lossless: true, effort: 0 } : { quality, effort: 0 });
      break;
    default:
      image = image.png(PNG_EFFORTS[effort]);
      lossless = true;
  }
  const data = await image.toBuffer();
  return { data, mimeType: MIME_TYPES[format], lossless, width, height, encodeMs: performance.now() - t0 };
}

/** An image encoded in horizontal strips (see {@link encodeFrameParts}). */
export interface EncodedParts {
  /** The strips, top to bottom: their height in pixels and encoded bytes. */
  parts: { height: number; data: Buffer }[];
  mimeType: string;
  lossless: boolean;
  /** Size of the whole encoded image. */
  width: number;
  height: number;
  /** Milliseconds from the start until the last strip was encoded. */
  encodeMs: number;
}

/** Strip heights are multiples of this: JPEG's 16-row blocks (4:2:0) then line up with a whole image's. */
const PART_ROWS = 16;

/**
 * Encodes RGBA pixels (or `options.region` of them) as up to `parts` horizontal strips at once,
 * each a complete image, so a big frame's encode (and its decode in the view) runs on several
 * cores instead of one: the latency of one frame falls with the cores. Strips are whole multiples
 * of 16 rows. A reduced image (`scale` < 1) is encoded in one piece (resizing strips apart would
 * seam them). Same options and errors as {@link encodeFrame}.
 */
export async function encodeFrameParts(pixels: Pixels, options: EncodeOptions & { parts?: number } = {}): Promise<EncodedParts> {
  checkPixels(pixels);
  checkOptionNames('encodeFrameParts', options, [...ENCODE_OPTION_NAMES, 'parts']);
  const { parts: wantedParts, ...encodeOptions } = options;
  const wanted = wantedParts ?? 1;
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_FRAME_PARTS) {
    throw new InvalidArgumentError(`parts must be an integer from 1 to ${MAX_FRAME_PARTS}, got ${String(wanted)}`);
  }
  if (options.region) checkRegion(pixels, options.region);
  const t0 = performance.now();
  const region = options.region ?? { x: 0, y: 0, width: pixels.width, height: pixels.height };
  const rows = Math.ceil(region.height / wanted / PART_ROWS) * PART_ROWS;
  const count = (options.scale ?? 1) < 1 ? 1 : Math.ceil(region.height / rows);
  const strips = Array.from({ length: count }, (_, i): Region => ({
    x: region.x, y: region.y + i * rows, width: region.width, height: Math.min(rows, region.height - i * rows),
  }));
  const images = count === 1
    ? [await encodeFrame(pixels, encodeOptions)]
    : await Promise.all(strips.map((strip) => encodeFrame(pixels, { ...encodeOptions, region: strip })));
  const first = images[0]!;
  return {
    parts: images.map((image) => ({ height: image.height, data: image.data })),
    mimeType: first.mimeType,
    lossless: first.lossless,
    width: first.width,
    height: images.reduce((sum, image) => sum + image.height, 0),
    encodeMs: performance.now() - t0,
  };
}

/** PNG images placed left to right, `gap` px apart, top-aligned, on a transparent background. */
export async function composeSideBySide(pngs: readonly Buffer[], gap = 8): Promise<Buffer> {
  const sizes = await Promise.all(pngs.map(async (p) => {
    const m = await sharp(p).metadata();
    return { width: m.width ?? 0, height: m.height ?? 0 };
  }));
  let left = 0;
  const layers = pngs.map((input, i) => {
    const layer = { input, left, top: 0 };
    left += sizes[i]!.width + gap;
    return layer;
  });
  return sharp({
    create: { width: Math.max(1, left - gap), height: Math.max(1, ...sizes.map((s) => s.height)), channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
  }).composite(layers).png({ compressionLevel: 2 }).toBuffer();
}
