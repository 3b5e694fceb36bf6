// Bad arguments and misuse of canvases: every case throws or rejects with a typed error, never hangs.
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import {
  CanvasBase, CanvasClosedError, CanvasStateError, CURSORS, getDefaultDevice, GpuOutOfMemoryError, InvalidArgumentError, OffscreenCanvas,
  requestDevice, type CanvasOptions,
} from '../src/index.js';
import { fitSize, readbackBytes, sizeProblem } from '../src/canvas/limits.js';
import { TextureReadback } from '../src/canvas/readback.js';
import { captureReports, clearTexture, expectUniform, makeClearCanvas, rejection, sleep, thrown, until } from './helpers/gpu.js';

const open: OffscreenCanvas[] = [];
afterEach(() => { for (const c of open.splice(0)) c.close(); });
function canvas(options: CanvasOptions = { size: [8, 8], updateMode: 'manual' }): OffscreenCanvas {
  const c = new OffscreenCanvas(options);
  open.push(c);
  return c;
}

describe('a backend (subclass of CanvasBase)', () => {
  test('without _rfbPresentFrame is refused at construction, naming the hook (and the rename, for one written against _presentFrame)', () => {
    // As a JavaScript backend would be written: TypeScript refuses the class already.
    const Base = CanvasBase as unknown as new () => object;
    class Old extends Base { _presentFrame(): void {} }
    class None extends Base {}
    const old = thrown(() => new Old());
    expect(old).toBeInstanceOf(CanvasStateError);
    expect(old.message).toBe('Old implements no _rfbPresentFrame(frame), the hook every canvas backend must implement (it has _presentFrame: the backend hooks are now named _rfb*, see the header of src/canvas/base.ts)');
    expect(thrown(() => new None()).message).toBe('None implements no _rfbPresentFrame(frame), the hook every canvas backend must implement');
  });
});

describe('constructor options', () => {
  test.each([
    [{ size: [0, 10] }, 'size[0]'],
    [{ size: [10, -1] }, 'size[1]'],
    [{ size: [NaN, 10] }, 'NaN'],
    [{ size: [Infinity, 10] }, 'Infinity'],
    [{ size: ['10', 10] }, 'size[0]'],
    [{ pixelRatio: 0 }, 'pixelRatio'],
    [{ pixelRatio: -2 }, 'pixelRatio'],
    [{ updateMode: 'sometimes' }, 'sometimes'],
    [{ maxFps: 0 }, 'maxFps'],
    [{ maxFps: NaN }, 'maxFps'],
    [{ minFps: -1 }, 'minFps'],
  ] as [CanvasOptions, string][])('%j throws InvalidArgumentError mentioning %s', (options, word) => {
    const e = thrown(() => new OffscreenCanvas(options));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain(word);
  });

  test('the error for an unknown updateMode lists the allowed modes', () => {
    const e = thrown(() => new OffscreenCanvas({ updateMode: 'sometimes' as never }));
    expect(e.message).toContain('ondemand, continuous, fastest, manual');
  });

  test('maxFps Infinity is allowed; a small logical size with a small ratio rounds to at least 1 pixel', () => {
    const c = canvas({ size: [1, 1], pixelRatio: 0.1, maxFps: Infinity, updateMode: 'manual' });
    expect(c.getPhysicalSize()).toEqual([1, 1]);
    expect(c.getUpdateMode().maxFps).toBe(Infinity);
  });
});

describe('sizes', () => {
  test.each([[0, 5, '0'], [-1, 5, '-1'], [NaN, 5, 'NaN'], [1.5, 5, '1.5'], [5, 2.25, '2.25']])(
    'setPhysicalSize(%d, %d) throws InvalidArgumentError naming %s', (w, h, bad) => {
      const c = canvas();
      const e = thrown(() => c.setPhysicalSize(w, h));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toContain(`got ${bad}`);
      expect(c.getPhysicalSize()).toEqual([8, 8]);
    });

  test('setLogicalSize and setPixelRatio reject non-positive values', () => {
    const c = canvas();
    expect(() => c.setLogicalSize(0, 5)).toThrow(InvalidArgumentError);
    expect(() => c.setLogicalSize(5, NaN)).toThrow(InvalidArgumentError);
    expect(() => c.setPixelRatio(0)).toThrow(InvalidArgumentError);
    expect(() => c.setPixelRatio(-1)).toThrow(InvalidArgumentError);
    expect(c.getPhysicalSize()).toEqual([8, 8]);
    expect(c.getPixelRatio()).toBe(1);
  });

  test("a size above the device's maxTextureDimension2D on a configured canvas throws", async () => {
    const device = await getDefaultDevice();
    const max = device.limits.maxTextureDimension2D;
    const c = canvas();
    c.getContext().configure({ device });
    const e = thrown(() => c.setPhysicalSize(max + 1, 4));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('maxTextureDimension2D');
    expect(e.message).toContain(String(max));
    expect(() => c.setPhysicalSize(4, max + 1)).toThrow(InvalidArgumentError);
    expect(c.getPhysicalSize()).toEqual([8, 8]);
  });

  test('a canvas that is already too large configures; its draws fail naming the limit, and work once resized', async () => {
    const device = await getDefaultDevice();
    const state = await makeClearCanvas([device.limits.maxTextureDimension2D + 1, 1], [0, 1, 0, 1]);
    open.push(state.canvas);
    const e = await rejection(state.canvas.draw());
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('maxTextureDimension2D');
    state.canvas.setLogicalSize(4, 4);
    expectUniform(await state.canvas.draw(), [0, 255, 0, 255]);
  });
});

describe("sizes beyond the readback's maxBufferSize (a device with WebGPU's default limits)", () => {
  const DEFAULT_MAX_BUFFER = 268_435_456;
  let small: GPUDevice | undefined;
  afterAll(() => small?.destroy());
  // WebGPU's default maxBufferSize: 8192x8192 RGBA is the largest square its readback fits.
  const smallDevice = async (): Promise<GPUDevice> => (small ??= await requestDevice({ requiredLimits: { maxBufferSize: DEFAULT_MAX_BUFFER } }));

  test('the issue\'s snippet: an 8193x8192 canvas fails its draw naming maxBufferSize; after setLogicalSize(64, 64) it draws', async () => {
    const device = await smallDevice();
    expect(device.limits.maxBufferSize).toBe(DEFAULT_MAX_BUFFER);
    expect(device.limits.maxTextureDimension2D).toBeGreaterThanOrEqual(8193); // the texture alone would fit
    const capture = captureReports();
    try {
      const c = canvas({ size: [8193, 8192], updateMode: 'manual' });
      const context = c.getContext();
      context.configure({ device, format: 'rgba8unorm' });
      c.requestDraw(() => clearTexture(device, context.getCurrentTexture(), [0, 0, 1, 1]));
      const e = await rejection(c.draw());
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toContain(`maxBufferSize (${DEFAULT_MAX_BUFFER})`);
      expect(e.message).toContain('8193x8192');
      c.setLogicalSize(64, 64);
      const frame = await c.draw();
      expect([frame.width, frame.height]).toEqual([64, 64]);
      expectUniform(frame, [0, 0, 255, 255]);
      // Nothing was created at the size that did not fit: no uncaptured GPU error either.
      expect(capture.reports).toEqual([]);
    } finally {
      capture.restore();
    }
  });

  test('setPhysicalSize and setLogicalSize (times the pixel ratio) past maxBufferSize throw naming it, and keep the size', async () => {
    const device = await smallDevice();
    const c = canvas({ size: [4, 4], pixelRatio: 2, updateMode: 'manual' });
    c.getContext().configure({ device });
    // 4097 x 4096 logical pixels at ratio 2 are 8194 x 8192 physical: the texture fits, its readback does not.
    for (const resize of [() => c.setPhysicalSize(8193, 8192), () => c.setLogicalSize(4097, 4096)]) {
      const e = thrown(resize);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toContain(`maxBufferSize (${DEFAULT_MAX_BUFFER})`);
    }
    expect(c.getPhysicalSize()).toEqual([8, 8]);
    c.setLogicalSize(4096, 4096); // 8192 x 8192: exactly 256 MiB
    expect(c.getPhysicalSize()).toEqual([8192, 8192]);
  });

  test('a readback whose staging buffer cannot exist fails clearly, and leaves nothing behind in the pool', async () => {
    const device = await smallDevice();
    const readback = new TextureReadback(device);
    // Its readback needs 16384 x 4 x 4097 bytes > 256 MiB. Never written: no memory is touched.
    const big = device.createTexture({ size: [16384, 4097], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_SRC | GPUTextureUsage.RENDER_ATTACHMENT });
    const smallTexture = device.createTexture({ size: [8, 8], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_SRC | GPUTextureUsage.RENDER_ATTACHMENT });
    const capture = captureReports();
    try {
      const e = await rejection(readback.read(big));
      expect(e).toBeInstanceOf(GpuOutOfMemoryError);
      expect(e.message).toContain(`maxBufferSize (${DEFAULT_MAX_BUFFER})`);
      expect(readback.stagingBytes).toBe(0);
      clearTexture(device, smallTexture, [1, 0, 0, 1]);
      for (let i = 0; i < 3; i++) {
        const pixels = await readback.read(smallTexture);
        expect([...pixels.data.subarray(0, 4)]).toEqual([255, 0, 0, 255]);
      }
      expect(capture.reports).toEqual([]);
    } finally {
      capture.restore();
      big.destroy();
      smallTexture.destroy();
      readback.destroy();
    }
  });
});

describe('the readback pool', () => {
  test('after frames shrink, big staging buffers of the large size are given back', async () => {
    const device = await getDefaultDevice();
    const readback = new TextureReadback(device);
    const texture = (size: number): GPUTexture => device.createTexture({ size: [size, size], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_SRC | GPUTextureUsage.RENDER_ATTACHMENT });
    // 2304 x 2304 x 4 = 21 MB a buffer: above the 16 MiB under which buffers are kept whenever they fit.
    const [large, small] = [texture(2304), texture(16)];
    try {
      await Promise.all([readback.read(large), readback.read(large)]);
      expect(readback.stagingBytes).toBe(2 * 2304 * 2304 * 4);
      for (let i = 0; i < 3; i++) await Promise.all([readback.read(small), readback.read(small)]);
      expect(readback.stagingBytes).toBe(2 * 256 * 16); // rows padded to 256 bytes
    } finally {
      readback.destroy();
      large.destroy();
      small.destroy();
    }
  });
});

describe('fitSize: a view\'s size fitted into the device and a pixel budget', () => {
  const limits = { maxTextureDimension2D: 16384, maxBufferSize: 268_435_456 };
  const aspect = (w: number, h: number): number => w / h;

  test.each([
    [8193, 8192, Infinity, 'maxBufferSize'],
    [10240, 7680, 4096 * 4096, 'maxPixels'],
    [16384 + 5000, 4, Infinity, 'maxTextureDimension2D'],
    [1e9, 1e9, 4096 * 4096, 'maxPixels'],
  ] as const)('%i x %i (maxPixels %d) is limited by %s, keeps its aspect ratio and fits', (w, h, maxPixels, bound) => {
    const fitted = fitSize(w, h, limits, maxPixels);
    expect(fitted.limitedBy).toBe(bound);
    expect(sizeProblem(fitted.width, fitted.height, limits)).toBeUndefined();
    expect(fitted.width * fitted.height).toBeLessThanOrEqual(maxPixels);
    expect(Math.abs(aspect(fitted.width, fitted.height) - aspect(w, h)) / aspect(w, h)).toBeLessThan(0.35); // 4 px high: one row is 25 %
    expect(readbackBytes(fitted.width, fitted.height)).toBeGreaterThan(limits.maxBufferSize * 0.9 * (bound === 'maxBufferSize' ? 1 : 0));
  });

  test('a size within every bound is kept as it is; one bound to the pixel is exact', () => {
    expect(fitSize(640, 480, limits, 4096 * 4096)).toEqual({ width: 640, height: 480 });
    expect(fitSize(8192, 8192, limits)).toEqual({ width: 8192, height: 8192 });
    expect(fitSize(16384 + 5000, 4, limits)).toEqual({ width: 16384, height: 3, limitedBy: 'maxTextureDimension2D' });
  });
});
describe('context', () => {
  test('configure without a device throws InvalidArgumentError mentioning device', () => {
    const ctx = canvas().getContext();
    for (const config of [{}, { device: undefined }, { device: {} }, undefined]) {
      const e = thrown(() => ctx.configure(config as never));
      expect(e, JSON.stringify(config)).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toMatch(/device/i);
    }
    expect(ctx.getConfiguration()).toBeUndefined();
  });

  test("configure with format 'r8unorm' throws InvalidArgumentError listing the allowed formats", async () => {
    const device = await getDefaultDevice();
    const e = thrown(() => canvas().getContext().configure({ device, format: 'r8unorm' }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('"r8unorm"');
    for (const f of ['rgba8unorm', 'rgba8unorm-srgb', 'bgra8unorm', 'bgra8unorm-srgb']) expect(e.message).toContain(f);
  });

  test('configure with a bad alphaMode or usage throws InvalidArgumentError', async () => {
    const device = await getDefaultDevice();
    const ctx = canvas().getContext();
    expect(() => ctx.configure({ device, alphaMode: 'transparent' as never })).toThrow(InvalidArgumentError);
    expect(() => ctx.configure({ device, usage: -1 })).toThrow(InvalidArgumentError);
    expect(() => ctx.configure({ device, usage: 1.5 })).toThrow(InvalidArgumentError);
    ctx.configure({ device, alphaMode: 'premultiplied' });
    expect(ctx.getConfiguration()!.alphaMode).toBe('premultiplied');
  });

  test('getCurrentTexture before configure (and after unconfigure) throws InvalidArgumentError', async () => {
    const ctx = canvas().getContext();
    const e = thrown(() => ctx.getCurrentTexture());
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('configure');
    ctx.configure({ device: await getDefaultDevice() });
    expect(ctx.getCurrentTexture().width).toBe(8);
    ctx.unconfigure();
    expect(() => ctx.getCurrentTexture()).toThrow(InvalidArgumentError);
  });

  test("getContext('webgl') throws InvalidArgumentError", () => {
    const e = thrown(() => canvas().getContext('webgl' as never));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('webgpu');
  });
});

describe('after close', () => {
  test('requestDraw is a no-op; draw and forceDraw reject with CanvasClosedError; getContext throws', async () => {
    const c = await makeClearCanvas([4, 4]);
    const ctx = c.canvas.getContext();
    c.canvas.close();
    c.canvas.requestDraw();
    c.canvas.requestDraw(() => { throw new Error('never called'); });
    // the rule is about time: a closed canvas takes no events (no fence to wait for); a draw
    // requested would start within a tick
    await sleep(50);
    expect(c.calls).toBe(0);
    expect(await rejection(c.canvas.draw())).toBeInstanceOf(CanvasClosedError);
    expect(await rejection(c.canvas.forceDraw())).toBeInstanceOf(CanvasClosedError);
    expect(() => c.canvas.getContext()).toThrow(CanvasClosedError);
    // The context is released once the scheduler has stopped (a draw in flight ended).
    await until(() => { try { ctx.getCurrentTexture(); return false; } catch (e) { return e instanceof CanvasClosedError; } }, 3000, 'the context released');
    expect(() => ctx.getCurrentTexture()).toThrow(CanvasClosedError);
    expect(() => ctx.configure({ device: c.device })).toThrow(CanvasClosedError);
    // Size changes after close are ignored, but still validated.
    c.canvas.setPhysicalSize(9, 9);
    expect(c.canvas.getPhysicalSize()).toEqual([4, 4]);
    expect(() => c.canvas.setPhysicalSize(0, 9)).toThrow(InvalidArgumentError);
  });

  test('closing while a draw is in flight lets that draw finish', async () => {
    const c = await makeClearCanvas([4, 4], [0, 1, 0, 1], 'rgba8unorm');
    const p = c.canvas.draw();
    c.canvas.close();
    expectUniform(await p, [0, 255, 0, 255]);
  });
});

describe('draw function misuse', () => {
  test('forceDraw or draw from inside the draw function throws CanvasStateError at once, failing that draw (no deadlock)', async () => {
    const c = await makeClearCanvas([4, 4], [1, 0, 0, 1], 'rgba8unorm');
    c.canvas.requestDraw(() => {
      void c.canvas.forceDraw();
    });
    const e = await rejection(c.canvas.draw());
    expect(e).toBeInstanceOf(CanvasStateError);
    expect(e.message).toContain('inside the draw function');
    c.canvas.requestDraw(() => {
      void c.canvas.draw();
    });
    expect(await rejection(c.canvas.draw())).toBeInstanceOf(CanvasStateError);
    // The canvas still works afterwards.
    c.canvas.requestDraw(() => clearTexture(c.device, c.canvas.getContext().getCurrentTexture(), [1, 0, 0, 1]));
    expectUniform(await c.canvas.draw(), [255, 0, 0, 255]);
    c.canvas.close();
  });

  test('draw() rejects with CanvasStateError when the draw function never gets the texture', async () => {
    const c = await makeClearCanvas([4, 4]);
    c.canvas.requestDraw(() => {});
    const e = await rejection(c.canvas.draw());
    expect(e).toBeInstanceOf(CanvasStateError);
    expect(e.message).toContain('getCurrentTexture');
    c.canvas.close();
  });

  test('draw() rejects with CanvasStateError when there is no draw function at all', async () => {
    const c = canvas();
    c.getContext().configure({ device: await getDefaultDevice() });
    expect(await rejection(c.draw())).toBeInstanceOf(CanvasStateError);
  });

  test('a draw function that throws: draw() rejects with that error, and the next draw works', async () => {
    const c = await makeClearCanvas([4, 4], [0, 0, 1, 1], 'rgba8unorm');
    const boom = new Error('draw boom');
    let fail = true;
    c.canvas.requestDraw(() => {
      const texture = c.canvas.getContext().getCurrentTexture(); // acquired, then the frame is discarded
      if (fail) throw boom;
      clearTexture(c.device, texture, [0, 0, 1, 1]);
    });
    expect(await rejection(c.canvas.draw())).toBe(boom);
    expect(c.canvas.getLastFrame()).toBeUndefined();
    fail = false;
    const frame = await c.canvas.draw();
    expect(frame.index).toBe(1);
    expectUniform(frame, [0, 0, 255, 255]);
    c.canvas.close();
  });

  test('forceDraw reports a draw function error instead of rejecting', async () => {
    const cap = captureReports();
    try {
      const c = await makeClearCanvas([4, 4]);
      c.canvas.requestDraw(() => { throw new Error('forced draw boom'); });
      await c.canvas.forceDraw();
      expect(cap.reports).toEqual([['draw function', expect.objectContaining({ message: 'forced draw boom' })]]);
      c.canvas.close();
    } finally {
      cap.restore();
    }
  });

  test('requestDraw with a non-function throws InvalidArgumentError', () => {
    expect(() => canvas().requestDraw(42 as never)).toThrow(InvalidArgumentError);
  });
});

describe('title, cursor, update mode', () => {
  test("setCursor('bogus') throws InvalidArgumentError listing the cursors; valid ones are kept", () => {
    const c = canvas();
    const e = thrown(() => c.setCursor('bogus' as never));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('"bogus"');
    expect(e.message).toContain('crosshair');
    expect(c.getCursor()).toBe('default');
    c.setCursor('crosshair');
    expect(c.getCursor()).toBe('crosshair');
    expect(CURSORS).toContain('pointer');
  });

  test('setTitle with a non-string throws InvalidArgumentError', () => {
    const c = canvas({ title: 'first' });
    expect(c.getTitle()).toBe('first');
    expect(() => c.setTitle(5 as never)).toThrow(InvalidArgumentError);
    c.setTitle('second');
    expect(c.getTitle()).toBe('second');
  });

  test("setUpdateMode('sometimes') and maxFps 0 throw InvalidArgumentError and keep the old mode", () => {
    const c = canvas();
    expect(() => c.setUpdateMode('sometimes' as never)).toThrow(InvalidArgumentError);
    expect(() => c.setUpdateMode('continuous', { maxFps: 0 })).toThrow(InvalidArgumentError);
    expect(() => c.setUpdateMode('ondemand', { minFps: -3 })).toThrow(InvalidArgumentError);
    expect(c.getUpdateMode()).toEqual({ updateMode: 'manual', minFps: 0, maxFps: 30 });
  });
});
