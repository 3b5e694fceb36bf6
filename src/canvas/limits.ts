// What frame sizes a device can render and read back. A canvas's texture is bound by the device's
// maxTextureDimension2D, but its readback staging buffer (rows padded to 256 bytes) is bound by
// maxBufferSize, which is the tighter limit (WebGPU's default 256 MiB: 8192x8192 RGBA is the
// largest square). Sizes a program sets are checked against both (a clear error naming the limit);
// sizes a view asks for are fitted into both, and into a pixel budget, keeping the aspect ratio.
import { InvalidArgumentError } from '../errors.js';
import { alignedBytesPerRow } from '../gpu/textures.js';

/** The device limits a canvas size depends on (a GPUDevice's `limits` fits). */
export interface SizeLimits {
  readonly maxTextureDimension2D: number;
  readonly maxBufferSize: number;
}

/** Bytes of the staging buffer that reads back an RGBA frame of this size (rows padded to 256). */
export function readbackBytes(width: number, height: number): number {
  return alignedBytesPerRow(width * 4) * height;
}

/** Why a physical size does not fit the limits (a sentence naming the limit), or undefined if it fits. */
export function sizeProblem(width: number, height: number, limits: SizeLimits): string | undefined {
  const max = limits.maxTextureDimension2D;
  if (width > max || height > max) return `canvas size ${width}x${height} exceeds this device's maxTextureDimension2D (${max})`;
  const bytes = readbackBytes(width, height);
  if (bytes > limits.maxBufferSize) {
    return `canvas size ${width}x${height} needs a ${bytes}-byte readback buffer, above this device's maxBufferSize (${limits.maxBufferSize}); `
      + `use a smaller size, or request a device with a larger maxBufferSize (requiredLimits)`;
  }
  return undefined;
}

/** Throws {@link InvalidArgumentError} naming the limit unless a physical size fits the device. */
export function checkSize([w, h]: [number, number], device: GPUDevice): void {
  const problem = sizeProblem(w, h, device.limits);
  if (problem) throw new InvalidArgumentError(problem);
}

/** A size fitted by {@link fitSize}: the size, and which bound made it smaller (if any did). */
export interface FittedSize {
  width: number;
  height: number;
  /** The bound that shrank it: `maxPixels`, `maxTextureDimension2D` or `maxBufferSize`. */
  limitedBy?: 'maxPixels' | 'maxTextureDimension2D' | 'maxBufferSize';
}

/**
 * The largest size with the aspect ratio of `width` x `height` (integers >= 1) that fits the
 * device limits and holds at most `maxPixels` pixels: the size itself when it fits. Each side
 * stays >= 1.
 */
export function fitSize(width: number, height: number, limits: SizeLimits, maxPixels = Infinity): FittedSize {
  let scale = 1;
  let limitedBy: FittedSize['limitedBy'];
  const tighten = (s: number, bound: NonNullable<FittedSize['limitedBy']>): void => {
    if (s < scale) [scale, limitedBy] = [s, bound];
  };
  tighten(Math.sqrt(maxPixels / (width * height)), 'maxPixels');
  tighten(limits.maxTextureDimension2D / Math.max(width, height), 'maxTextureDimension2D');
  // The padded row is at most 255 bytes over width x 4: ignoring it here, the loop below corrects.
  tighten(Math.sqrt(limits.maxBufferSize / (width * height * 4)), 'maxBufferSize');
  if (limitedBy === undefined) return { width, height };
  // (1e-9: a side scaled to exactly a bound must not round down to one pixel short of it)
  const size = (s: number): [number, number] => [Math.max(1, Math.floor(width * s + 1e-9)), Math.max(1, Math.floor(height * s + 1e-9))];
  let [w, h] = size(scale);
  // Rounding and row padding can leave it a little over a bound: shrink by steps of 0.1 % until
  // it fits (a few steps at most).
  while ((w * h > maxPixels || sizeProblem(w, h, limits) !== undefined) && (w > 1 || h > 1)) {
    scale *= 0.999;
    [w, h] = size(scale);
  }
  return { width: w, height: h, limitedBy };
}
