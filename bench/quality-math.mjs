// Pure helpers of the quality-per-byte benchmark (bench/quality.mjs), kept apart so a unit test
// (test/bench-quality.test.ts) checks them without a GPU or an encoder:
//   squaredError(a, b)   summed squared differences of two RGBA images, over R, G, B (alpha
//                        ignored: frames are opaque) and over luma Y (BT.601: 0.299 R + 0.587 G
//                        + 0.114 B, full range)
//   psnr(sse, samples)   PSNR in dB of 8-bit samples from a summed squared error (Infinity at 0)
//   bytesAtPsnr(points, target)  where a codec's bytes-vs-PSNR curve reaches a target PSNR

/**
 * Summed squared errors of RGBA images `a` and `b` (equal-length Uint8Arrays): `rgb` over the
 * three colour channels (3 samples a pixel), `y` over BT.601 luma (1 sample a pixel), with the
 * sample counts to turn them into PSNR. Summed rather than averaged so frames can be pooled.
 */
export function squaredError(a, b) {
  if (a.length !== b.length || a.length % 4 !== 0) throw new Error(`squaredError: images of ${a.length} and ${b.length} bytes; both must be RGBA of one size`);
  let rgb = 0;
  let y = 0;
  for (let i = 0; i < a.length; i += 4) {
    const dr = a[i] - b[i];
    const dg = a[i + 1] - b[i + 1];
    const db = a[i + 2] - b[i + 2];
    rgb += dr * dr + dg * dg + db * db;
    const dy = 0.299 * dr + 0.587 * dg + 0.114 * db;
    y += dy * dy;
  }
  const pixels = a.length / 4;
  return { rgb, y, rgbSamples: 3 * pixels, ySamples: pixels };
}

/** PSNR (dB) of 8-bit samples: 10 log10(255^2 / MSE), MSE = sse / samples; Infinity when sse is 0. */
export function psnr(sse, samples) {
  if (!(samples > 0)) throw new Error(`psnr: samples must be > 0, got ${samples}`);
  if (sse === 0) return Infinity;
  return 10 * Math.log10((255 * 255 * samples) / sse);
}

/**
 * The bytes a codec needs to reach `target` dB, from its measured points [{bytes, psnr}] (any
 * order): the first crossing going up in bytes, interpolated linearly in log(bytes) between the
 * last point below the target and the first at or above it (PSNR grows about linearly with the
 * logarithm of the rate). Returns {bytes, how}: how 'interpolated'; 'exceeded' when even the
 * fewest bytes measured reach the target (bytes then is that point's: an upper bound); 'not
 * reached' when no point does (bytes null).
 */
export function bytesAtPsnr(points, target) {
  const sorted = [...points].sort((p, q) => p.bytes - q.bytes);
  if (sorted.length === 0) return { bytes: null, how: 'not reached' };
  if (sorted[0].psnr >= target) return { bytes: sorted[0].bytes, how: 'exceeded' };
  for (let i = 1; i < sorted.length; i++) {
    const hi = sorted[i];
    if (hi.psnr < target) continue;
    const lo = sorted[i - 1];
    if (hi.psnr === target || hi.psnr === Infinity) return { bytes: hi.bytes, how: 'interpolated' };
    const f = (target - lo.psnr) / (hi.psnr - lo.psnr);
    return { bytes: Math.exp(Math.log(lo.bytes) + f * (Math.log(hi.bytes) - Math.log(lo.bytes))), how: 'interpolated' };
  }
  return { bytes: null, how: 'not reached' };
}
