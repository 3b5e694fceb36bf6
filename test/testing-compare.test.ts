// compareImages on frames rendered by Dawn on the software GPU: pixels, not bytes, are compared;
// thresholds, anti-aliasing, masks, sizes, JPEG input, artifacts and bad input.
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { compareImages, DEFAULT_MAX_DECODE_PIXELS, ImageDecodeError, InvalidArgumentError, type ComparisonResult, type PixelComparison } from '../src/index.js';
import { renderScene } from './helpers/scene.js';

function pixels(r: ComparisonResult): PixelComparison {
  expect(r.sizeMismatch).toBe(false);
  return r as PixelComparison;
}

async function png(frame: { width: number; height: number; data: Uint8Array }): Promise<Buffer> {
  return sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 4 } }).png().toBuffer();
}

/** A small PNG whose header declares width x height (RGBA, 8 bits); its data holds a few rows only. */
function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const rows = deflateSync(Buffer.alloc(4 * (width * 4 + 1)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', rows), chunk('IEND', Buffer.alloc(0))]);
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

  test('a small PNG declaring 16000x16000 fails with ImageDecodeError from its header, before decoding; maxPixels raises the bound', async () => {
    const huge = pngDeclaring(16000, 16000);
    expect(huge.length).toBeLessThan(100_000);
    expect(DEFAULT_MAX_DECODE_PIXELS).toBe(8192 * 8192);
    const a = await renderScene();
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    for (const [actual, expected, what] of [[a, huge, 'expected'], [huge, a, 'actual']] as const) {
      const error = await compareImages(actual, expected).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect((error as Error).message).toBe(`${what}: the PNG declares 16000x16000 = 256000000 pixels, more than the 67108864 decoded at most (raise it with the maxPixels option)`);
    }
    expect(performance.now() - t0).toBeLessThan(2000); // decoding it took 12.9 s and 2 GB
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 2 ** 20);
    // The bound is an option: a 96x64 PNG fails under 6000 pixels and compares under 6144.
    const small = await png(a);
    await expect(compareImages(small, a, { maxPixels: 6000 })).rejects.toThrow(/actual: the PNG declares 96x64 = 6144 pixels, more than the 6000 decoded at most/);
    expect(pixels(await compareImages(small, a, { maxPixels: 6144 })).pass).toBe(true);
    await expect(compareImages(a, a, { maxPixels: 0 })).rejects.toThrow('maxPixels must be an integer from 1 to');
    // Under a raised bound sharp's own limit follows it; this file's rows are missing, so it is unreadable, still typed.
    await expect(compareImages(a, pngDeclaring(300, 300), { maxPixels: 300 * 300 })).rejects.toThrow(/expected: unreadable PNG data/);
  });
});
