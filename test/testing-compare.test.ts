// compareImages on frames rendered by Dawn on the software GPU: pixels, not bytes, are compared;
// thresholds, anti-aliasing, masks, sizes, JPEG input, artifacts and bad input.
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { compareImages, ImageDecodeError, InvalidArgumentError, type ComparisonResult, type PixelComparison } from '../src/index.js';
import { renderScene } from './helpers/scene.js';

function pixels(r: ComparisonResult): PixelComparison {
  expect(r.sizeMismatch).toBe(false);
  return r as PixelComparison;
}

async function png(frame: { width: number; height: number; data: Uint8Array }): Promise<Buffer> {
  return sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 4 } }).png().toBuffer();
}

describe('compareImages', () => {
  test('identical renders pass with no differing pixels, as raw pixels and as PNG bytes', async () => {
    const [a, b] = [await renderScene(), await renderScene()];
    const raw = pixels(await compareImages(a, b));
    expect(raw).toMatchObject({ pass: true, diffPixels: 0, diffRatio: 0, totalPixels: 96 * 64 });
    expect(raw.images).toBeUndefined(); // images only on failure by default
    // Pixels are compared, not bytes: two PNG encodings of one frame at different compression levels.
    const fast = await sharp(a.data, { raw: { width: a.width, height: a.height, channels: 4 } }).png({ compressionLevel: 0 }).toBuffer();
    const small = await sharp(a.data, { raw: { width: a.width, height: a.height, channels: 4 } }).png({ compressionLevel: 9 }).toBuffer();
    expect(fast.equals(small)).toBe(false);
    expect(pixels(await compareImages(fast, small)).pass).toBe(true);
  });

  test('one pixel changed beyond the threshold fails with count 1, with diff and side-by-side PNGs', async () => {
    const a = await renderScene();
    const b = { ...a, data: new Uint8Array(a.data) };
    const i = (10 * a.width + 5) * 4; // background pixel at (5, 10)
    b.data.set([255, 255, 255, 255], i);
    const r = pixels(await compareImages(b, a));
    expect(r).toMatchObject({ pass: false, diffPixels: 1, allowedDiffPixels: 0 });
    expect(r.diffRatio).toBeCloseTo(1 / (96 * 64), 10);
    const images = r.images!;
    const diff = await sharp(images.diff!).raw().toBuffer({ resolveWithObject: true });
    expect([diff.info.width, diff.info.height]).toEqual([96, 64]);
    // pixelmatch paints the differing pixel red.
    expect([...diff.data.subarray(i, i + 3)]).toEqual([255, 0, 0]);
    const side = await sharp(images.sideBySide).metadata();
    expect(side.width).toBe(3 * 96 + 4 * 8);
    // A tolerance lets it pass; a change below the threshold is no difference at all.
    expect(pixels(await compareImages(b, a, { maxDiffPixels: 1 })).pass).toBe(true);
    expect(pixels(await compareImages(b, a, { maxDiffPixelRatio: 0.001 })).pass).toBe(true);
    expect(pixels(await compareImages(b, a, { maxDiffPixels: 1, maxDiffPixelRatio: 0.0001 })).pass).toBe(false); // both must hold
    const c = { ...a, data: new Uint8Array(a.data) };
    c.data[i] = c.data[i]! + 2;
    expect(pixels(await compareImages(c, a)).diffPixels).toBe(0);
    expect(pixels(await compareImages(c, a, { threshold: 0 })).diffPixels).toBe(1);
  });

  test('anti-aliasing-only differences (MSAA on/off, a quarter-pixel shift) pass by default and fail with detection off', async () => {
    const reference = await renderScene({ samples: 4 });
    for (const other of [await renderScene({ samples: 1 }), await renderScene({ shiftPx: 0.25 })]) {
      expect(pixels(await compareImages(other, reference)).diffPixels).toBe(0);
      const counted = pixels(await compareImages(other, reference, { ignoreAntialiasing: false }));
      expect(counted.pass).toBe(false);
      expect(counted.diffPixels).toBeGreaterThan(20);
    }
    // A real change (another colour) is not anti-aliasing.
    const recoloured = pixels(await compareImages(await renderScene({ colour: [0, 0.8, 0.3] }), reference));
    expect(recoloured.pass).toBe(false);
    expect(recoloured.diffRatio).toBeGreaterThan(0.2);
  });

  test('a size mismatch is reported as one, with both sizes', async () => {
    const r = await compareImages(await renderScene({ size: [80, 64] }), await renderScene());
    expect(r).toMatchObject({ pass: false, sizeMismatch: true, actualSize: { width: 80, height: 64 }, expectedSize: { width: 96, height: 64 } });
    expect('diffPixels' in r).toBe(false);
    expect((await sharp(r.images!.sideBySide).metadata()).width).toBe(80 + 96 + 3 * 8);
    expect(r.images!.diff).toBeUndefined();
  });

  test('a mask hides a changing region', async () => {
    const a = await renderScene({ square: [4, 4, 10] });
    const b = await renderScene({ square: [6, 8, 10] });
    expect(pixels(await compareImages(b, a)).diffPixels).toBeGreaterThan(20);
    expect(pixels(await compareImages(b, a, { mask: [{ x: 0, y: 0, width: 20, height: 20 }] }))).toMatchObject({ pass: true, diffPixels: 0 });
    // A mask elsewhere hides nothing.
    expect(pixels(await compareImages(b, a, { mask: [{ x: 40, y: 0, width: 20, height: 20 }] })).pass).toBe(false);
  });

  test('JPEG input (quality 90) compares with its lossless original within threshold 0.2, not 0.1', async () => {
    const a = await renderScene();
    const jpeg = await sharp(a.data, { raw: { width: a.width, height: a.height, channels: 4 } }).removeAlpha().jpeg({ quality: 90 }).toBuffer();
    expect(pixels(await compareImages(jpeg, await png(a), { threshold: 0.2 }))).toMatchObject({ pass: true, diffPixels: 0 });
    expect(pixels(await compareImages(jpeg, a)).pass).toBe(false);
  });

  test('alpha is ignored unless includeAlpha', async () => {
    const a = await renderScene();
    const b = { ...a, alphaMode: 'premultiplied' as const, data: new Uint8Array(a.data) };
    for (let i = 3; i < b.data.length; i += 4) b.data[i] = 128;
    expect(pixels(await compareImages(b, a)).pass).toBe(true);
    expect(pixels(await compareImages(b, a, { includeAlpha: true })).pass).toBe(false);
  });

  test('bad input: unreadable bytes, wrong raw sizes and bad options give typed errors that say what is allowed', async () => {
    const a = await renderScene();
    await expect(compareImages(Buffer.from('definitely not an image'), a)).rejects.toThrow(ImageDecodeError);
    await expect(compareImages(Buffer.from('definitely not an image'), a)).rejects.toThrow(/actual: not a PNG or JPEG image \(23 bytes/);
    const truncated = (await png(a)).subarray(0, 60);
    await expect(compareImages(a, truncated)).rejects.toThrow(/expected: unreadable PNG data/);
    await expect(compareImages({ width: 2, height: 2, data: new Uint8Array(3) }, a)).rejects.toThrow(/width\*height\*4 = 16 RGBA bytes/);
    await expect(compareImages('x.png' as never, a)).rejects.toThrow(/expected PNG or JPEG bytes .* got string/);
    await expect(compareImages(a, a, { threshold: 2 })).rejects.toThrow(InvalidArgumentError);
    await expect(compareImages(a, a, { threshold: 2 })).rejects.toThrow('threshold must be a number from 0 to 1, got 2');
    await expect(compareImages(a, a, { mask: [{ x: 0, y: 0, width: 0, height: 3 }] })).rejects.toThrow('mask[0].width must be a positive integer');
    await expect(compareImages(a, a, { maxDiffPixels: 1.5 })).rejects.toThrow('maxDiffPixels must be an integer');
  });
});
