// encodeFrame's PNG effort: 'small' (the lossless refresh's) is exact like 'fast' and smaller on a
// shaded image; noise does not compress either way; a bad value is an error naming the allowed
// ones. And the frame stream sends its refresh after idle at that effort.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeFrame, encodeFrameParts, InvalidArgumentError } from '../src/index.js';

/** A shaded 320x240 image (smooth gradients with stripes: like a lit mesh), opaque. */
function shaded(): { width: number; height: number; data: Uint8Array } {
  const width = 320;
  const height = 240;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const light = Math.round(255 * (0.5 + 0.5 * Math.sin(x / 37) * Math.cos(y / 23)));
      const stripe = ((x + y) >> 4) & 1 ? 1 : 0.6;
      data.set([Math.round(light * stripe), Math.round(light * 0.8), Math.round(200 * stripe), 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

const rgbaOf = async (png: Buffer): Promise<Buffer> => sharp(png).ensureAlpha().raw().toBuffer();

describe("encodeFrame's PNG effort", () => {
  it("'small' is exact like 'fast' (the default) and smaller on a shaded image", async () => {
    const pixels = shaded();
    const fast = await encodeFrame(pixels, { format: 'png' });
    const fastSaid = await encodeFrame(pixels, { format: 'png', effort: 'fast' });
    const small = await encodeFrame(pixels, { format: 'png', effort: 'small' });
    expect(fastSaid.data.equals(fast.data)).toBe(true);
    for (const image of [fast, small]) {
      expect(image.lossless).toBe(true);
      expect((await rgbaOf(image.data)).equals(Buffer.from(pixels.data))).toBe(true);
    }
    expect(small.data.length).toBeLessThan(fast.data.length * 0.9);
    // Strips too (the refresh is encoded in parts).
    const parts = await encodeFrameParts(pixels, { format: 'png', effort: 'small', parts: 3 });
    expect(parts.parts.length).toBe(3);
    expect(parts.parts.reduce((n, p) => n + p.data.length, 0)).toBeLessThan(fast.data.length);
  });

  it('other formats ignore it; a bad value names the allowed ones', async () => {
    const pixels = shaded();
    const jpeg = await encodeFrame(pixels, { format: 'jpeg', quality: 80 });
    const jpegSmall = await encodeFrame(pixels, { format: 'jpeg', quality: 80, effort: 'small' });
    expect(jpegSmall.data.equals(jpeg.data)).toBe(true);
    for (const effort of ['smallest', 9, '']) {
      const e = await encodeFrame(pixels, { format: 'png', effort: effort as never }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(String((e as Error).message)).toBe(`effort must be one of fast, small, got ${JSON.stringify(effort)}`);
    }
  });
});
