// Frames as I420 planes: the CPU conversion against BT.601's reference colours, and the GPU's
// compute pass (i420-convert.ts, on Dawn over lavapipe) against the CPU conversion of the same
// pixels, through the real readback: padded widths, BGRA and sRGB textures, beside the tile
// comparison (which hands it its frame copy), and sizes it must leave alone.
import { afterAll, describe, expect, test } from 'vitest';
import { fitsI420, i420Bytes, MATRIX, rgbaToI420 } from '../src/canvas/i420.js';
import { I420Convert, i420Layout } from '../src/canvas/i420-convert.js';
import { TextureReadback } from '../src/canvas/readback.js';
import { alignedBytesPerRow } from '../src/gpu/textures.js';
import { getDefaultDevice } from '../src/index.js';

const solid = (w: number, h: number, rgb: [number, number, number]): Uint8Array => {
  const d = new Uint8Array(w * h * 4);
  for (let i = 0; i < d.length; i += 4) d.set([...rgb, 255], i);
  return d;
};

describe('rgbaToI420 (CPU)', () => {
  // BT.601's 8-bit studio-range values of the primaries, black and white (ITU-R BT.601 tables).
  test.each([
    ['black', [0, 0, 0], [16, 128, 128]],
    ['white', [255, 255, 255], [235, 128, 128]],
    ['red', [255, 0, 0], [81, 90, 240]],
    ['green', [0, 255, 0], [145, 54, 34]],
    ['blue', [0, 0, 255], [41, 240, 110]],
  ] as const)('%s gives BT.601 limited range', (_name, rgb, [y, u, v]) => {
    const planes = rgbaToI420(solid(4, 2, [...rgb]), 4, 2);
    expect(planes.length).toBe(i420Bytes(4, 2));
    expect([...planes]).toEqual([...Array(8).fill(y), u, u, v, v]);
  });

  test('one Y per pixel, one U and V per 2x2 block: the block\'s mean colour', () => {
    // A block of black and white pixels: its Y per pixel, its chroma neutral (grey mean).
    const d = new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255]);
    const planes = rgbaToI420(d, 2, 2);
    expect([...planes]).toEqual([16, 235, 235, 16, 128, 128]);
    // Red beside blue: the chroma of their mean colour (127.5, 0, 127.5), not of either.
    const rb = new Uint8Array([255, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0, 255, 0, 0, 255, 255]);
    const [u, v] = [...rgbaToI420(rb, 2, 2).subarray(4)];
    expect(u).toBe(Math.round(MATRIX.u[3] + (MATRIX.u[0] * 127.5 + MATRIX.u[2] * 127.5) / 255));
    expect(v).toBe(Math.round(MATRIX.v[3] + (MATRIX.v[0] * 127.5 + MATRIX.v[2] * 127.5) / 255));
    expect([u, v]).not.toEqual([90, 240]); // red's
  });

  test('odd sides and arrays of the wrong length are refused, saying what was wrong', () => {
    expect(fitsI420(4, 3)).toBe(false);
    expect(() => rgbaToI420(new Uint8Array(3 * 2 * 4), 3, 2)).toThrow('I420 needs even sides, got 3x2');
    expect(() => rgbaToI420(new Uint8Array(10), 2, 2)).toThrow('a 2x2 RGBA frame has 16 bytes, got 10');
    expect(() => rgbaToI420(new Uint8Array(16), 2, 2, new Uint8Array(5))).toThrow('a 2x2 I420 frame has 6 bytes, got 5');
  });
});

/** A picture with gradients, edges and fine texture, RGBA (alpha varied: the planes ignore it). */
function picture(w: number, h: number): Uint8Array {
  const d = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      d[i] = (x * 255) / w;
      d[i + 1] = (x ^ y) & 1 ? 240 : (y * 255) / h;
      d[i + 2] = ((x * 7 + y * 13) % 256);
      d[i + 3] = (x + y) & 255;
    }
  }
  return d;
}

/** Byte equality of two arrays (vitest's deep equality is slow on frames). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

/** Bytes where the GPU's planes differ from the CPU's by more than 1, and the largest difference. */
function compare(gpu: Uint8Array, cpu: Uint8Array): { over1: number; max: number } {
  let over1 = 0;
  let max = 0;
  for (let i = 0; i < cpu.length; i++) {
    const e = Math.abs(gpu[i]! - cpu[i]!);
    if (e > 1) over1++;
    max = Math.max(max, e);
  }
  return { over1, max };
}

describe('the GPU pass through the readback (Dawn on lavapipe)', () => {
  const textures: GPUTexture[] = [];
  afterAll(() => { for (const t of textures) t.destroy(); });

  async function texture(w: number, h: number, format: GPUTextureFormat, rgba: Uint8Array): Promise<GPUTexture> {
    const device = await getDefaultDevice();
    const t = device.createTexture({ size: [w, h], format, usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC | GPUTextureUsage.RENDER_ATTACHMENT });
    textures.push(t);
    let bytes = rgba;
    if (format.startsWith('bgra')) {
      bytes = rgba.slice();
      for (let i = 0; i < bytes.length; i += 4) [bytes[i], bytes[i + 2]] = [bytes[i + 2]!, bytes[i]!];
    }
    device.queue.writeTexture({ texture: t }, bytes, { bytesPerRow: w * 4 }, [w, h]);
    return t;
  }

  // 96: rows of whole 8-pixel blocks (no padding); 102 and 38: padded rows, a partial last block.
  test.each([
    [96, 64, 'rgba8unorm'], [102, 38, 'rgba8unorm'], [102, 38, 'bgra8unorm'], [640, 480, 'rgba8unorm-srgb'], [94, 30, 'bgra8unorm-srgb'],
  ] as const)('%ix%i %s: the planes equal the CPU conversion of the pixels read, within 1', async (w, h, format) => {
    const device = await getDefaultDevice();
    const readback = new TextureReadback(device);
    const t = await texture(w, h, format, picture(w, h));
    const pixels = await readback.read(t, false, false, true);
    readback.destroy();
    // The RGBA is what it was without the planes (the texture's bytes, sRGB-encoded as stored).
    expect(same(pixels.data, picture(w, h))).toBe(true);
    expect(pixels.i420?.length).toBe(i420Bytes(w, h));
    const { over1, max } = compare(pixels.i420!, rgbaToI420(pixels.data, w, h));
    expect(over1, `bytes off by more than 1 (largest: ${max})`).toBe(0);
  });

  test('beside the tile comparison (its frame copies, alternating): every read\'s planes are its own frame\'s', async () => {
    const device = await getDefaultDevice();
    const readback = new TextureReadback(device);
    const [w, h] = [128, 64];
    for (let i = 0; i < 4; i++) {
      const rgba = picture(w, h).map((v, k) => (k % 4 === 0 ? (v + 40 * i) & 255 : v));
      const t = await texture(w, h, 'rgba8unorm', rgba);
      const pixels = await readback.read(t, false, true, true);
      expect(same(pixels.data, rgba)).toBe(true);
      if (i > 0) expect(pixels.changedTiles).toBeDefined(); // the comparison ran too
      expect(compare(pixels.i420!, rgbaToI420(rgba, w, h)).over1).toBe(0);
    }
    // Asked no more: no planes, and the pass's buffers go.
    const t = await texture(w, h, 'rgba8unorm', picture(w, h));
    const plain = await readback.read(t, false, true, false);
    expect(plain.i420).toBeUndefined();
    expect(same(plain.data, picture(w, h))).toBe(true);
    readback.destroy();
  });

  test('a frame larger than a storage binding gets no planes (it is read without them); one within it does', async () => {
    const device = await getDefaultDevice();
    const convert = new I420Convert(device);
    const binding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const width = 4096;
    const stride = alignedBytesPerRow(width * 4);
    const rows = Math.floor(binding / stride) & ~1; // the most even rows within the binding
    expect(convert.fits(width, rows, stride)).toBe(true);
    expect(convert.fits(width, rows + 2, stride)).toBe(false);
    expect(convert.fits(width + 1, rows - 2, alignedBytesPerRow((width + 1) * 4))).toBe(false); // odd width
    convert.destroy();
  });

  test('odd sides get no planes (4:2:0 needs even ones) and their pixels as before; the staging holds both only when planes are made', async () => {
    const device = await getDefaultDevice();
    const readback = new TextureReadback(device);
    const t = await texture(101, 37, 'rgba8unorm', picture(101, 37));
    const pixels = await readback.read(t, false, false, true);
    expect(pixels.i420).toBeUndefined();
    expect(same(pixels.data, picture(101, 37))).toBe(true);
    readback.destroy();
    const other = new TextureReadback(device);
    const even = await texture(96, 64, 'rgba8unorm', picture(96, 64));
    await other.read(even, false, false, false);
    const pixelBytes = alignedBytesPerRow(96 * 4) * 64;
    expect(other.stagingBytes).toBe(pixelBytes);
    await other.read(even, false, false, true);
    // One staging buffer of the pixels and the planes (one map per frame), in place of the smaller one.
    expect(other.stagingBytes).toBe(pixelBytes + i420Layout(96, 64).bytes);
    other.destroy();
  });
});
