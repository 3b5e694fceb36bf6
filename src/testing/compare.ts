// compareImages: decoded pixels compared with pixelmatch (YIQ colour distance, anti-aliasing
// detection), with pass limits, masks, and diff / side-by-side PNGs for people to look at.
import pixelmatch from 'pixelmatch';
import sharp, { type OverlayOptions } from 'sharp';
import { InvalidArgumentError } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { DEFAULT_MAX_DECODE_PIXELS, decodeImage, encodePng, type ImageInput, type RgbaImage } from './image.js';

/** A rectangle in pixels, from the top-left corner. */
export interface MaskRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Options of {@link compareImages}; every one is optional. */
export interface CompareOptions {
  /** Per-pixel colour distance (YIQ, 0..1) below which two pixels count as equal. Default `0.1`. */
  threshold?: number;
  /** Pixels that look like anti-aliasing (in either image) are detected and not counted. Default `true`. */
  ignoreAntialiasing?: boolean;
  /** At most this many differing pixels still pass. Default `0` (when `maxDiffPixelRatio` is unset). */
  maxDiffPixels?: number;
  /** At most this fraction (0..1) of all pixels may differ and still pass. Default: unset. With both limits set, both must hold. */
  maxDiffPixelRatio?: number;
  /** Rectangles ignored in both images (painted one colour before comparing). Default none. */
  mask?: readonly MaskRect[];
  /** Compare the alpha channel too; when false both images are compared as opaque. Default `false`. */
  includeAlpha?: boolean;
  /** Which PNGs to produce: `always`, `failure` (default: only when the comparison fails) or `never`. */
  images?: 'always' | 'failure' | 'never';
  /**
   * The most pixels decoded from each PNG/JPEG input; a larger declared size fails with
   * `ImageDecodeError` before anything is allocated. Default `DEFAULT_MAX_DECODE_PIXELS` (2^26,
   * 8192x8192). Raw pixel input is not bounded.
   */
  maxPixels?: number;
}

/** The options in force for a comparison (defaults filled in). */
export interface ResolvedCompareOptions {
  threshold: number;
  ignoreAntialiasing: boolean;
  maxDiffPixels: number | undefined;
  maxDiffPixelRatio: number | undefined;
  mask: MaskRect[];
  includeAlpha: boolean;
  images: 'always' | 'failure' | 'never';
  maxPixels: number;
}

/** PNGs of a comparison, for artifacts and reports. */
export interface ComparisonImages {
  expected: Buffer;
  actual: Buffer;
  /** Differing pixels in red (anti-aliased ones in yellow) over a faded copy of the expected image; absent on a size mismatch. */
  diff?: Buffer;
  /** expected | actual | diff in a row, labelled. */
  sideBySide: Buffer;
}

interface ResultBase {
  /** Whether the images match within the limits. */
  pass: boolean;
  actualSize: { width: number; height: number };
  expectedSize: { width: number; height: number };
  /** The options in force. */
  options: ResolvedCompareOptions;
  /** The PNGs, as asked for by `options.images`. */
  images?: ComparisonImages;
}

/** The images have equal sizes and were compared pixel by pixel. */
export interface PixelComparison extends ResultBase {
  sizeMismatch: false;
  /** Pixels that differ beyond the threshold (anti-aliasing and masks excluded). */
  diffPixels: number;
  /** `diffPixels / totalPixels`. */
  diffRatio: number;
  totalPixels: number;
  /** The largest number of differing pixels that passes under the limits in force. */
  allowedDiffPixels: number;
}

/** The images differ in size; pixels were not compared. */
export interface SizeMismatch extends ResultBase {
  pass: false;
  sizeMismatch: true;
}

/** What {@link compareImages} finds. */
export type ComparisonResult = PixelComparison | SizeMismatch;

function checkNumber(name: string, value: unknown, min: number, max: number, integer = false): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The names of {@link CompareOptions}, for the unknown-option check. */
export const COMPARE_OPTION_NAMES = optionNames<CompareOptions>({
  threshold: true, ignoreAntialiasing: true, maxDiffPixels: true, maxDiffPixelRatio: true, mask: true, includeAlpha: true, images: true, maxPixels: true,
});

/** Checks options and fills in the defaults. */
export function resolveCompareOptions(options: CompareOptions = {}): ResolvedCompareOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('compare options must be an object');
  checkOptionNames('compare', options, COMPARE_OPTION_NAMES);
  const images = options.images ?? 'failure';
  if (!['always', 'failure', 'never'].includes(images)) throw new InvalidArgumentError(`images must be "always", "failure" or "never", got ${JSON.stringify(images)}`);
  const mask = options.mask ?? [];
  if (!Array.isArray(mask)) throw new InvalidArgumentError('mask must be an array of rectangles {x, y, width, height}');
  mask.forEach((r: MaskRect, i) => {
    for (const k of ['x', 'y', 'width', 'height'] as const) {
      const v = (r as unknown as Record<string, unknown>)?.[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || ((k === 'width' || k === 'height') && v < 1)) {
        throw new InvalidArgumentError(`mask[${i}].${k} must be a ${k === 'width' || k === 'height' ? 'positive' : 'non-negative'} integer (pixels), got ${JSON.stringify(v)}`);
      }
    }
  });
  return {
    threshold: checkNumber('threshold', options.threshold, 0, 1) ?? 0.1,
    ignoreAntialiasing: options.ignoreAntialiasing ?? true,
    maxDiffPixels: checkNumber('maxDiffPixels', options.maxDiffPixels, 0, Number.MAX_SAFE_INTEGER, true),
    maxDiffPixelRatio: checkNumber('maxDiffPixelRatio', options.maxDiffPixelRatio, 0, 1),
    mask: mask.map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height })),
    includeAlpha: options.includeAlpha ?? false,
    images,
    maxPixels: checkNumber('maxPixels', options.maxPixels, 1, Number.MAX_SAFE_INTEGER, true) ?? DEFAULT_MAX_DECODE_PIXELS,
  };
}

const MASK_COLOUR = [255, 0, 255, 255] as const;

function prepare(image: RgbaImage, o: ResolvedCompareOptions): RgbaImage {
  const data = new Uint8Array(image.data);
  if (!o.includeAlpha) for (let i = 3; i < data.length; i += 4) data[i] = 255;
  for (const r of o.mask) {
    for (let y = r.y; y < Math.min(r.y + r.height, image.height); y++) {
      for (let x = r.x; x < Math.min(r.x + r.width, image.width); x++) data.set(MASK_COLOUR, (y * image.width + x) * 4);
    }
  }
  return { width: image.width, height: image.height, data };
}

/**
 * Compares two images by their decoded pixels (PNG/JPEG bytes or raw RGBA), with pixelmatch.
 * Passes when the count of pixels differing beyond `threshold` is within `maxDiffPixels` and
 * `maxDiffPixelRatio`. Different sizes give a `sizeMismatch` result (never a throw).
 * @throws {ImageDecodeError} for input that is not an image; {@link InvalidArgumentError} for bad options.
 */
export async function compareImages(actual: ImageInput, expected: ImageInput, options: CompareOptions = {}): Promise<ComparisonResult> {
  const o = resolveCompareOptions(options);
  const [a, e] = await Promise.all([decodeImage(actual, 'actual', o), decodeImage(expected, 'expected', o)]);
  const actualSize = { width: a.width, height: a.height };
  const expectedSize = { width: e.width, height: e.height };
  if (a.width !== e.width || a.height !== e.height) {
    const result: SizeMismatch = { pass: false, sizeMismatch: true, actualSize, expectedSize, options: o };
    if (o.images !== 'never') result.images = await makeImages(a, e, undefined);
    return result;
  }
  const pa = prepare(a, o);
  const pe = prepare(e, o);
  const diff = new Uint8Array(a.data.length);
  const diffPixels = pixelmatch(pa.data, pe.data, diff, a.width, a.height, {
    threshold: o.threshold, includeAA: !o.ignoreAntialiasing, alpha: 0.2,
  });
  const totalPixels = a.width * a.height;
  const limits = [o.maxDiffPixels, o.maxDiffPixelRatio === undefined ? undefined : Math.floor(o.maxDiffPixelRatio * totalPixels)]
    .filter((v): v is number => v !== undefined);
  const allowedDiffPixels = limits.length > 0 ? Math.min(...limits) : 0;
  const result: PixelComparison = {
    pass: diffPixels <= allowedDiffPixels, sizeMismatch: false, actualSize, expectedSize, options: o,
    diffPixels, diffRatio: diffPixels / totalPixels, totalPixels, allowedDiffPixels,
  };
  if (o.images === 'always' || (o.images === 'failure' && !result.pass)) {
    result.images = await makeImages(a, e, { width: a.width, height: a.height, data: diff });
  }
  return result;
}

const GAP = 8;
const LABEL = 20;

async function makeImages(actual: RgbaImage, expected: RgbaImage, diff: RgbaImage | undefined): Promise<ComparisonImages> {
  const [a, e, d] = await Promise.all([encodePng(actual), encodePng(expected), diff ? encodePng(diff) : undefined]);
  const parts: [string, Buffer, RgbaImage][] = [['expected', e, expected], ['actual', a, actual]];
  if (d && diff) parts.push(['diff', d, diff]);
  return { expected: e, actual: a, ...(d ? { diff: d } : {}), sideBySide: await sideBySide(parts) };
}

/** Images in a row on a grey background, each under its label. */
async function sideBySide(parts: [string, Buffer, RgbaImage][]): Promise<Buffer> {
  const width = parts.reduce((w, [, , img]) => w + img.width, 0) + GAP * (parts.length + 1);
  const height = Math.max(...parts.map(([, , img]) => img.height)) + LABEL + GAP * 2;
  const overlays: OverlayOptions[] = [];
  let x = GAP;
  const labels: string[] = [];
  for (const [name, png, img] of parts) {
    overlays.push({ input: png, left: x, top: GAP + LABEL });
    labels.push(`<text x="${x}" y="${GAP + 13}" font-family="sans-serif" font-size="13" fill="#222">${name} ${img.width}x${img.height}</text>`);
    x += img.width + GAP;
  }
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${labels.join('')}</svg>`);
  const base = sharp({ create: { width, height, channels: 4, background: { r: 232, g: 232, b: 232, alpha: 1 } } });
  try {
    return await base.clone().composite([{ input: svg, left: 0, top: 0 }, ...overlays]).png().toBuffer();
  } catch {
    // No text rendering (a libvips without fonts): the images alone, in the documented order.
    return base.composite(overlays).png().toBuffer();
  }
}
