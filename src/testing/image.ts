// Decoding what the comparison accepts (PNG/JPEG bytes or raw RGBA) into RGBA pixels, and encoding
// RGBA back to PNG for diff artifacts. sharp does the codecs; pixels are compared, never bytes.
import sharp from 'sharp';
import type { Pixels } from '../canvas/readback.js';
import { InvalidArgumentError } from '../errors.js';
import { ImageDecodeError } from './errors.js';

/**
 * An image to compare: PNG or JPEG bytes, or raw RGBA pixels `{width, height, data}` (what
 * `OffscreenCanvas.draw()` returns; a frame whose `alphaMode` is `opaque` is compared as opaque).
 */
export type ImageInput = Uint8Array | ArrayBuffer | (Pixels & { alphaMode?: string });

/** RGBA pixels with a plain `Uint8Array` (4 bytes per pixel, rows top to bottom). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * The most pixels {@link decodeImage} decodes from PNG or JPEG bytes unless told otherwise:
 * 2^26 = 67,108,864 (e.g. 8192x8192), the largest frame a canvas can read back under Dawn's
 * default 256 MiB `maxBufferSize`; decoded it is 256 MiB of RGBA. Baselines come from pull
 * requests, so a small file that declares a huge size must not make the test run allocate it.
 */
export const DEFAULT_MAX_DECODE_PIXELS = 2 ** 26;

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /** The most pixels (width x height) decoded from PNG/JPEG bytes. Default {@link DEFAULT_MAX_DECODE_PIXELS}. */
  maxPixels?: number;
}

function isPixels(input: unknown): input is Pixels & { alphaMode?: string } {
  return typeof input === 'object' && input !== null && !ArrayBuffer.isView(input) && !(input instanceof ArrayBuffer)
    && 'width' in input && 'height' in input && 'data' in input;
}

/**
 * Decodes an image input to RGBA.
 * PNG/JPEG bytes are checked by their header first: an image declaring more than
 * `maxPixels` pixels is refused before any pixel memory is allocated (raw pixels are already in
 * memory and are not bounded).
 * @param what names the input in error messages ("actual", "expected", a file name).
 * @throws {ImageDecodeError} for bytes that are not PNG or JPEG, an image over `maxPixels`, or raw pixels whose size does not add up.
 */
export async function decodeImage(input: ImageInput, what = 'image', options: DecodeOptions = {}): Promise<RgbaImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_DECODE_PIXELS;
  if (!Number.isInteger(maxPixels) || maxPixels < 1) throw new InvalidArgumentError(`maxPixels must be a positive integer, got ${JSON.stringify(maxPixels)}`);
  if (isPixels(input)) {
    const { width, height, data } = input;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new ImageDecodeError(`${what}: raw pixels need positive integer width and height, got ${String(width)}x${String(height)}`);
    }
    if (!((data as unknown) instanceof Uint8Array || (data as unknown) instanceof Uint8ClampedArray) || data.length !== width * height * 4) {
      throw new ImageDecodeError(`${what}: raw pixels need data of width*height*4 = ${width * height * 4} RGBA bytes (Uint8Array), got ${describe(data)}`);
    }
    const copy = new Uint8Array(data);
    // An opaque canvas's alpha bytes mean nothing (its PNG has no alpha); compare what is shown.
    if (input.alphaMode === 'opaque') for (let i = 3; i < copy.length; i += 4) copy[i] = 255;
    return { width, height, data: copy };
  }
  if (!(input instanceof Uint8Array) && !(input instanceof ArrayBuffer)) {
    throw new ImageDecodeError(`${what}: expected PNG or JPEG bytes (Buffer/Uint8Array) or raw pixels {width, height, data}, got ${describe(input)}`);
  }
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  const format = sniff(bytes);
  if (!format) {
    const head = Buffer.from(bytes.subarray(0, 8)).toString('hex');
    throw new ImageDecodeError(`${what}: not a PNG or JPEG image (${bytes.length} bytes, starting ${head || 'with nothing'}); give PNG or JPEG bytes or raw RGBA pixels`);
  }
  await checkDeclaredSize(bytes, format, what, maxPixels);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    throw new ImageDecodeError(`${what}: unreadable ${format.toUpperCase()} data (${(e as Error).message})`, { cause: e });
  }
}

/** Reads the header only (sharp's metadata()) and refuses a declared size over the bound. */
async function checkDeclaredSize(bytes: Uint8Array, format: string, what: string, maxPixels: number): Promise<void> {
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(bytes, { limitInputPixels: false }).metadata());
  } catch (e) {
    throw new ImageDecodeError(`${what}: unreadable ${format.toUpperCase()} data (${(e as Error).message})`, { cause: e });
  }
  if (width !== undefined && height !== undefined && width * height > maxPixels) {
    throw new ImageDecodeError(`${what}: the ${format.toUpperCase()} declares ${width}x${height} = ${width * height} pixels, more than the ${maxPixels} decoded at most (raise it with the maxPixels option)`);
  }
}

function sniff(b: Uint8Array): 'png' | 'jpeg' | undefined {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${value.byteLength} bytes`;
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/** Encodes RGBA pixels as PNG (alpha kept). */
export async function encodePng(image: RgbaImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).png().toBuffer();
}
