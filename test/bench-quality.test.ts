// The pure helpers of the quality-per-byte benchmark (bench/quality-math.mjs): PSNR of identical
// images, of a known perturbation, and where a bytes-vs-PSNR curve reaches a target.
import { expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs module of the benchmark, without types
import { bytesAtPsnr, psnr, squaredError } from '../bench/quality-math.mjs';

function image(pixels: number, fill: (i: number) => [number, number, number]): Uint8Array {
  const data = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) data.set([...fill(i), 255], 4 * i);
  return data;
}

test('PSNR of identical images is Infinity', () => {
  const a = image(64, (i) => [i, 255 - i, (7 * i) % 256]);
  const e = squaredError(a, a.slice());
  expect(e).toEqual({ rgb: 0, y: 0, rgbSamples: 192, ySamples: 64 });
  expect(psnr(e.rgb, e.rgbSamples)).toBe(Infinity);
  expect(psnr(e.y, e.ySamples)).toBe(Infinity);
});

test('PSNR of a known perturbation is the known value; alpha is ignored', () => {
  const a = image(100, (i) => [100, 150, (3 * i) % 200]);
  // Every sample off by 5: MSE 25, PSNR 10 log10(65025 / 25) = 34.151 dB (luma: the same, as
  // 0.299 + 0.587 + 0.114 = 1).
  const b = image(100, (i) => [105, 145, (3 * i) % 200 + 5]);
  b[3] = 0; // alpha differs: not counted
  const e = squaredError(a, b);
  expect(e.rgb).toBe(100 * 3 * 25);
  expect(psnr(e.rgb, e.rgbSamples)).toBeCloseTo(10 * Math.log10(65025 / 25), 10);
  expect(psnr(e.rgb, e.rgbSamples)).toBeCloseTo(34.151, 3);
  // Luma of (+5, -5, +5): 0.299 x 5 - 0.587 x 5 + 0.114 x 5 = -0.87: MSE 0.7569.
  expect(psnr(e.y, e.ySamples)).toBeCloseTo(10 * Math.log10(65025 / 0.7569), 10);
  // One pixel of 10 fully wrong in one channel: MSE = 255^2 / 30, PSNR = 10 log10(30).
  const c = image(10, () => [0, 0, 0]);
  const d = image(10, (i) => [i === 0 ? 255 : 0, 0, 0]);
  const f = squaredError(c, d);
  expect(psnr(f.rgb, f.rgbSamples)).toBeCloseTo(10 * Math.log10(30), 10);
  expect(() => squaredError(c, d.subarray(4))).toThrow(/both must be RGBA of one size/);
});

test('bytesAtPsnr interpolates in log(bytes), and says when the target is exceeded or not reached', () => {
  const curve = [{ bytes: 4000, psnr: 40 }, { bytes: 1000, psnr: 30 }, { bytes: 2000, psnr: 36 }]; // any order
  // Between 1000 (30 dB) and 2000 (36 dB), a third of the way: 1000 x 2^(1/3).
  const at32 = bytesAtPsnr(curve, 32);
  expect(at32.how).toBe('interpolated');
  expect(at32.bytes).toBeCloseTo(1000 * 2 ** (1 / 3), 6);
  expect(bytesAtPsnr(curve, 36)).toEqual({ bytes: 2000, how: 'interpolated' }); // on a point
  expect(bytesAtPsnr(curve, 40)).toEqual({ bytes: 4000, how: 'interpolated' });
  expect(bytesAtPsnr(curve, 25)).toEqual({ bytes: 1000, how: 'exceeded' });
  expect(bytesAtPsnr(curve, 41)).toEqual({ bytes: null, how: 'not reached' });
  expect(bytesAtPsnr([], 30)).toEqual({ bytes: null, how: 'not reached' });
  // A curve that dips: the first crossing going up in bytes counts.
  const dip = [{ bytes: 1000, psnr: 30 }, { bytes: 2000, psnr: 34 }, { bytes: 4000, psnr: 33 }, { bytes: 8000, psnr: 38 }];
  const at34 = bytesAtPsnr(dip, 34);
  expect(at34).toEqual({ bytes: 2000, how: 'interpolated' });
  const at35 = bytesAtPsnr(dip, 35);
  expect(at35.bytes).toBeCloseTo(4000 * 2 ** (2 / 5), 6);
});
