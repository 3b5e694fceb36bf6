// Offscreen canvases rendering on the real GPU: pixels, formats, sizes, frames.
import { describe, expect, test } from 'vitest';
import { getDefaultDevice, InvalidArgumentError, OffscreenCanvas, requestDevice } from '../src/index.js';
import { clearTexture, expectUniform, makeClearCanvas, pixel, thrown } from './helpers/gpu.js';

describe('rendering', () => {
  test('a triangle drawn offscreen has the expected colours at known pixels', async () => {
    const device = await getDefaultDevice();
    const [W, H] = [64, 48];
    const canvas = new OffscreenCanvas({ size: [W, H], updateMode: 'manual' });
    const context = canvas.getContext();
    context.configure({ device, format: 'rgba8unorm' });
    const module = device.createShaderModule({
      code: /* wgsl */ `
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  var p = array(vec2f(0.0, 0.8), vec2f(-0.8, -0.8), vec2f(0.8, -0.8));
  return vec4f(p[i], 0.0, 1.0);
}
@fragment fn fs() -> @location(0) vec4f { return vec4f(1.0, 0.5, 0.0, 1.0); }`,
    });
    const pipeline = device.createRenderPipeline({
      layout: 'auto', vertex: { module }, fragment: { module, targets: [{ format: 'rgba8unorm' }] },
    });
    canvas.requestDraw(() => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginRenderPass({
        colorAttachments: [{
          view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 1, 1],
        }],
      });
      pass.setPipeline(pipeline);
      pass.draw(3);
      pass.end();
      device.queue.submit([encoder.finish()]);
    });
    const frame = await canvas.draw();
    expect([frame.width, frame.height]).toEqual([W, H]);
    const orange = [255, 128, 0, 255];
    const blue = [0, 0, 255, 255];
    expect(pixel(frame, W / 2, H / 2)).toEqual(orange);
    // Near the bottom edge of the triangle (y = -0.8 -> row 43.2), left and right of centre.
    expect(pixel(frame, 12, 42)).toEqual(orange);
    expect(pixel(frame, 51, 42)).toEqual(orange);
    // Above the apex (row 4.8) and outside the slanted edges.
    expect(pixel(frame, W / 2, 2)).toEqual(blue);
    expect(pixel(frame, 8, 10)).toEqual(blue);
    expect(pixel(frame, 55, 10)).toEqual(blue);
    for (const [x, y] of [[0, 0], [W - 1, 0], [0, H - 1], [W - 1, H - 1]] as const) {
      expect(pixel(frame, x, y), `corner ${x},${y}`).toEqual(blue);
    }
    // Row 0 is the top: the triangle's apex is at the top, its wide base at the bottom.
    const orangeIn = (y: number) => [...Array(W).keys()].filter((x) => pixel(frame, x, y)[0] === 255).length;
    expect(orangeIn(40)).toBeGreaterThan(orangeIn(10));
    canvas.close();
  });

  test('default format rgba8unorm-srgb: red clears to 255,0,0,255 and linear 0.5 grey encodes to ~188', async () => {
    const c = await makeClearCanvas([8, 8], [1, 0, 0, 1]);
    expect(c.canvas.getContext().getConfiguration()!.format).toBe('rgba8unorm-srgb');
    expectUniform(await c.canvas.draw(), [255, 0, 0, 255]);
    c.color = [0.5, 0.5, 0.5, 1];
    const grey = await c.canvas.draw();
    const [r, g, b, a] = pixel(grey, 3, 3);
    expect(Math.abs(r! - 188)).toBeLessThanOrEqual(1);
    expect([g, b, a]).toEqual([r, r, 255]);
    expectUniform(grey, [r!, r!, r!, 255]);
    c.canvas.close();
  });

  test.each([[33, 17], [1, 1], [300, 2]] as const)('odd size %ix%i reads back exactly', async (w, h) => {
    const c = await makeClearCanvas([w, h], [0, 1, 0, 1], 'rgba8unorm');
    const frame = await c.canvas.draw();
    expect(frame.width).toBe(w);
    expect(frame.height).toBe(h);
    expect(frame.data.length).toBe(w * h * 4);
    expectUniform(frame, [0, 255, 0, 255]);
    c.canvas.close();
  });

  test("format 'bgra8unorm' reads back as RGBA", async () => {
    const c = await makeClearCanvas([5, 3], [1, 0, 0, 1], 'bgra8unorm');
    expectUniform(await c.canvas.draw(), [255, 0, 0, 255]);
    c.color = [0, 0, 1, 1];
    expectUniform(await c.canvas.draw(), [0, 0, 255, 255]);
    c.canvas.close();
  });

  test("format 'bgra8unorm-srgb' reads back as RGBA on a core device", async () => {
    const device = await requestDevice({ backend: 'vulkan', label: 'bgra srgb' });
    const canvas = new OffscreenCanvas({ size: [5, 3] });
    const context = canvas.getContext();
    context.configure({ device, format: 'bgra8unorm-srgb' });
    canvas.requestDraw(() => clearTexture(device, context.getCurrentTexture(), [0, 0, 1, 1]));
    expectUniform(await canvas.draw(), [0, 0, 255, 255]);
    canvas.close();
    device.destroy();
  });

  test("format 'bgra8unorm-srgb' is refused with a clear error on a compatibility-mode (OpenGL ES) device", async () => {
    const device = await requestDevice({ backend: 'opengles', label: 'gles' });
    const canvas = new OffscreenCanvas({ size: [5, 3] });
    const e = thrown(() => canvas.getContext().configure({ device, format: 'bgra8unorm-srgb' }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toMatch(/compatibility.*rgba8unorm-srgb/);
    canvas.close();
    device.destroy();
  });

  test('the pixel ratio scales the physical size and is recorded in the frame', async () => {
    const c = await makeClearCanvas([10, 6], [1, 1, 1, 1], 'rgba8unorm', { updateMode: 'manual', pixelRatio: 1.5 });
    expect(c.canvas.getPhysicalSize()).toEqual([15, 9]);
    expect(c.canvas.getLogicalSize()).toEqual([10, 6]);
    const frame = await c.canvas.draw();
    expect([frame.width, frame.height, frame.pixelRatio]).toEqual([15, 9, 1.5]);
    expect(frame.alphaMode).toBe('opaque');
    c.canvas.close();
  });
});

describe('sizes and textures', () => {
  test('setPhysicalSize between draws gives frames at the new size; the texture is kept while the size stays', async () => {
    const c = await makeClearCanvas([20, 10], [1, 0, 0, 1], 'rgba8unorm');
    const context = c.canvas.getContext();
    const f1 = await c.canvas.draw();
    const t1 = context.getCurrentTexture();
    const f2 = await c.canvas.draw();
    expect(context.getCurrentTexture()).toBe(t1);
    expect([f1.width, f1.height, f2.width, f2.height]).toEqual([20, 10, 20, 10]);

    c.canvas.setPhysicalSize(7, 31);
    c.color = [0, 0, 1, 1];
    const f3 = await c.canvas.draw();
    expect([f3.width, f3.height]).toEqual([7, 31]);
    expect(f3.data.length).toBe(7 * 31 * 4);
    expectUniform(f3, [0, 0, 255, 255]);
    const t3 = context.getCurrentTexture();
    expect(t3).not.toBe(t1);
    expect([t3.width, t3.height]).toEqual([7, 31]);
    expect(c.sizes.at(-1)).toEqual([7, 31]);

    const f4 = await c.canvas.draw();
    expect(context.getCurrentTexture()).toBe(t3);
    expect([f4.width, f4.height]).toEqual([7, 31]);
    c.canvas.close();
  });

  test('configure with the extra usage flag gives a texture with that usage', async () => {
    const device = await getDefaultDevice();
    const canvas = new OffscreenCanvas({ size: [4, 4], updateMode: 'manual' });
    const context = canvas.getContext();
    expect(context.getConfiguration()).toBeUndefined();
    context.configure({ device, usage: GPUTextureUsage.TEXTURE_BINDING });
    const t = context.getCurrentTexture();
    expect(t.usage & GPUTextureUsage.TEXTURE_BINDING).toBeTruthy();
    expect(t.usage & GPUTextureUsage.RENDER_ATTACHMENT).toBeTruthy();
    expect(t.usage & GPUTextureUsage.COPY_SRC).toBeTruthy();
    expect(canvas.getContext()).toBe(context);
    canvas.close();
  });
});

describe('frames', () => {
  test('two draw() calls started without awaiting both resolve with correct frames, in order', async () => {
    const c = await makeClearCanvas([16, 16], [1, 0, 0, 1], 'rgba8unorm');
    const p1 = c.canvas.draw();
    c.color = [0, 1, 0, 1]; // the first draw function has already run; the second sees this
    const p2 = c.canvas.draw();
    const [f1, f2] = await Promise.all([p1, p2]);
    expectUniform(f1, [255, 0, 0, 255]);
    expectUniform(f2, [0, 255, 0, 255]);
    expect(f2.index).toBe(f1.index + 1);
    expect(f2.timestamp).toBeGreaterThanOrEqual(f1.timestamp);
    expect(c.calls).toBe(2);
    expect(c.canvas.getLastFrame()).toBe(f2);
    c.canvas.close();
  });

  test('frames have increasing indexes starting at 1, and getLastFrame is the latest', async () => {
    const c = await makeClearCanvas([4, 4], [1, 1, 0, 1], 'rgba8unorm');
    expect(c.canvas.getLastFrame()).toBeUndefined();
    const indexes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const f = await c.canvas.draw();
      indexes.push(f.index);
      expect(c.canvas.getLastFrame()).toBe(f);
    }
    expect(indexes).toEqual([1, 2, 3, 4]);
    await c.canvas.forceDraw();
    expect(c.canvas.getLastFrame()!.index).toBe(5);
    expect(c.canvas.drawCount).toBe(5);
    c.canvas.close();
  });

  test('frames are independent copies: a later draw does not change an earlier frame', async () => {
    const c = await makeClearCanvas([6, 6], [1, 0, 0, 1], 'rgba8unorm');
    const f1 = await c.canvas.draw();
    c.color = [0, 0, 1, 1];
    await c.canvas.draw();
    await c.canvas.draw();
    expectUniform(f1, [255, 0, 0, 255]);
    c.canvas.close();
  });
});

describe('readback recycling', () => {
  test('recycled pixels are read into by the next read of the same size, and only then', async () => {
    const { TextureReadback } = await import('../src/canvas/readback.js');
    const device = await getDefaultDevice();
    const make = (w: number, h: number) => device.createTexture({
      size: [w, h], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
    });
    const readback = new TextureReadback(device);
    const texture = make(64, 32);
    clearTexture(device, texture, [1, 0, 0, 1]);
    const first = await readback.read(texture);
    expect([...first.data.subarray(0, 4)]).toEqual([255, 0, 0, 255]);
    // Without recycling every read gets its own array.
    clearTexture(device, texture, [0, 1, 0, 1]);
    const second = await readback.read(texture);
    expect(second.data).not.toBe(first.data);
    expect([...first.data.subarray(0, 4)]).toEqual([255, 0, 0, 255]);
    // Recycled (its last lease released): the next read of the same size reuses the array, every byte rewritten.
    readback.pixels.retain(first.data).release();
    clearTexture(device, texture, [0, 0, 1, 1]);
    const third = await readback.read(texture);
    expect(third.data).toBe(first.data);
    expectUniform({ ...third, index: 3, timestamp: 0, pixelRatio: 1, alphaMode: 'opaque' }, [0, 0, 255, 255]);
    // Still leased: no read gets it, whatever its size.
    const held = readback.pixels.retain(third.data);
    const again = await readback.read(texture);
    expect(again.data).not.toBe(third.data);
    expect([...third.data.subarray(0, 4)]).toEqual([0, 0, 255, 255]);
    held.release();
    // A read of another size never gets it.
    readback.pixels.retain(second.data).release();
    const small = make(16, 8);
    clearTexture(device, small, [1, 1, 0, 1]);
    const fourth = await readback.read(small);
    expect(fourth.data).not.toBe(second.data);
    expect(fourth.data.length).toBe(16 * 8 * 4);
    expectUniform({ ...fourth, index: 4, timestamp: 0, pixelRatio: 1, alphaMode: 'opaque' }, [255, 255, 0, 255]);
    readback.destroy();
    texture.destroy();
    small.destroy();
  });

  test('reads of a big texture stay right once the readback sleeps through the GPU time it expects', async () => {
    const { TextureReadback } = await import('../src/canvas/readback.js');
    const device = await getDefaultDevice();
    const texture = device.createTexture({
      size: [2048, 1024], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
    });
    const readback = new TextureReadback(device);
    // The first reads measure the GPU; later ones wait on a timer first (software GPU: several ms).
    for (const [i, color] of ([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1], [1, 1, 1, 1], [0, 0, 0, 1]] as const).entries()) {
      clearTexture(device, texture, color);
      const pixels = await readback.read(texture);
      expectUniform({ ...pixels, index: i, timestamp: 0, pixelRatio: 1, alphaMode: 'opaque' }, color.map((c) => c * 255));
    }
    readback.destroy();
    texture.destroy();
  });

  test('the GPU time it expects (how long it sleeps before mapping) is per frame size and learns from short maps', async () => {
    const { TextureReadback } = await import('../src/canvas/readback.js');
    const device = await getDefaultDevice();
    const make = (w: number, h: number) => device.createTexture({
      size: [w, h], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
    });
    const readback = new TextureReadback(device);
    const big = make(2048, 2048);
    for (let i = 0; i < 3; i++) {
      clearTexture(device, big, [1, 0, 0, 1]);
      await readback.read(big);
    }
    expect(readback.gpuEstimate.bytes).toBe(2048 * 2048 * 4);
    expect(readback.gpuEstimate.ms).toBeGreaterThan(0);
    // A frame of another size starts from nothing: a huge frame's time never delays small ones.
    const small = make(64, 48);
    clearTexture(device, small, [0, 1, 0, 1]);
    await readback.read(small);
    expect(readback.gpuEstimate.bytes).toBe(64 * 48 * 4);
    expect(readback.gpuEstimate.ms).toBeLessThan(1000);
    readback.destroy();
    big.destroy();
    small.destroy();
  });
});

describe('tile comparison on the GPU', () => {
  test('flags exactly the 64 px tiles whose pixels changed since the previous read, for odd sizes too', async () => {
    const { TextureReadback } = await import('../src/canvas/readback.js');
    const device = await getDefaultDevice();
    let seed = 11;
    const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    for (const [width, height] of [[300, 200], [64, 64], [130, 70]] as const) {
      const texture = device.createTexture({
        size: [width, height], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC | GPUTextureUsage.RENDER_ATTACHMENT,
      });
      const readback = new TextureReadback(device);
      const pixels = new Uint8Array(width * height * 4).map(() => random(256));
      const write = () => device.queue.writeTexture({ texture }, pixels, { bytesPerRow: width * 4 }, [width, height]);
      write();
      const first = await readback.read(texture, false, true);
      expect(first.changedTiles).toBeUndefined(); // nothing to compare with yet
      expect([...first.data]).toEqual([...pixels]);
      const cols = Math.ceil(width / 64);
      let since = first.readIndex!;
      for (let round = 0; round < 4; round++) {
        const expected = new Uint8Array(cols * Math.ceil(height / 64));
        for (let i = random(6); i > 0; i--) {
          const [x, y] = [random(width), random(height)];
          pixels[(y * width + x) * 4 + random(4)]! ^= 1 + random(255);
          expected[Math.floor(y / 64) * cols + Math.floor(x / 64)] = 1;
        }
        write();
        const read = await readback.read(texture, false, true);
        expect(read.changedTiles, `${width}x${height} round ${round}`).toMatchObject({ since, tile: 64, cols, rows: Math.ceil(height / 64) });
        expect([...read.changedTiles!.changed], `${width}x${height} round ${round}`).toEqual([...expected]);
        expect([...read.data]).toEqual([...pixels]);
        since = read.readIndex!;
      }
      // A read without the comparison starts it over: the next compared read has nothing to compare with.
      await readback.read(texture, false, false);
      expect((await readback.read(texture, false, true)).changedTiles).toBeUndefined();
      readback.destroy();
      texture.destroy();
    }
  });
});
