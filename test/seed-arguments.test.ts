// Issue 11's GPU/canvas half: every public function and constructor of src/gpu and src/canvas
// checks its arguments and throws a DawnRfbError whose message says what was expected; no raw
// TypeError, RangeError or empty-message exception escapes. Real GPU objects where one is needed.
import { describe, expect, test } from 'vitest';
import {
  adapterSummary, CanvasContext, computeWithBuffers, createBufferWithData, DawnRfbError, enumerateAdapters,
  EventEmitter, formatAdapterSummary, getDefaultDevice, OffscreenCanvas, parseBackends,
  parseWgpuBackendType, readBuffer, readMapped, readTexture, requestAdapter, requestDevice, setReporter,
  texelBytes, writeMapped,
} from '../src/index.js';

async function outcome(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectClear(e: unknown, label: string): void {
  expect(e, `${label} did not throw`).toBeInstanceOf(Error);
  const err = e as Error;
  expect(err, `${label} threw ${err.name}: ${err.message}`).toBeInstanceOf(DawnRfbError);
  expect(err.message.length, `${label}: empty message`).toBeGreaterThan(15);
}

describe('argument checks', () => {
  // First in the file: the default device does not exist yet in this process.
  test('adapterSummary() before the default device exists says what to do', () => {
    const e = (() => { try { adapterSummary(); } catch (x) { return x as Error; } return undefined; })();
    expectClear(e, 'adapterSummary()');
    expect(e!.message).toContain('await getDefaultDevice()');
  });

  test('src/gpu: bad arguments give DawnRfbErrors that say what was expected', async () => {
    const device = await getDefaultDevice();
    const buffer = createBufferWithData(device, new Uint32Array([1, 2]));
    const texture = device.createTexture({ size: [2, 2], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_SRC });
    const calls: [string, () => unknown][] = [
      ['formatAdapterSummary(undefined)', () => formatAdapterSummary(undefined as never)],
      ['parseBackends(42)', () => parseBackends(42 as never)],
      ['parseWgpuBackendType(undefined)', () => parseWgpuBackendType(undefined as never)],
      ['enumerateAdapters(null)', () => enumerateAdapters(null as never)],
      ['requestAdapter(null)', () => requestAdapter(null as never)],
      ['requestAdapter({ dawnOptions: "x" })', () => requestAdapter({ dawnOptions: 'x' as never })],
      ['requestDevice({ label: 3 })', () => requestDevice({ label: 3 as never })],
      ['requestDevice({ requiredFeatures: "x" })', () => requestDevice({ requiredFeatures: 'x' as never })],
      ['createBufferWithData(device, "abc")', () => createBufferWithData(device, 'abc' as never)],
      ['createBufferWithData({}, data)', () => createBufferWithData({} as never, new Uint8Array(4))],
      ['createBufferWithData(device, data, "x")', () => createBufferWithData(device, new Uint8Array(4), 'x' as never)],
      ['readBuffer(undefined)', () => readBuffer(undefined as never)],
      ['readBuffer(buffer, "x")', () => readBuffer(buffer, 'x' as never)],
      ['readBuffer(buffer, 0, 12)', () => readBuffer(buffer, 0, 12)],
      ['readTexture(undefined)', () => readTexture(undefined as never)],
      ['readTexture({ texture: 1 }, {}, [1])', () => readTexture({ texture: 1 as never }, {}, [1])],
      ['readTexture({ texture }, null, [1])', () => readTexture({ texture }, null as never, [1])],
      ['readTexture({ texture }, {})', () => readTexture({ texture }, {})],
      ['readTexture({ texture }, {}, "2x2")', () => readTexture({ texture }, {}, '2x2' as never)],
      ['texelBytes(undefined)', () => texelBytes(undefined as never)],
      ['computeWithBuffers({}, { 0: 4 }, "")', () => computeWithBuffers({}, { 0: 4 }, '')],
      ['computeWithBuffers({}, { 0: 4 }, wgsl, "x")', () => computeWithBuffers({}, { 0: 4 }, '@compute @workgroup_size(1) fn main() {}', 'x' as never)],
      ['computeWithBuffers(..., { entryPoint: 3 })', () => computeWithBuffers({}, { 0: 4 }, '@compute @workgroup_size(1) fn main() {}', 1, { entryPoint: 3 as never })],
      ['readMapped(undefined)', () => readMapped(undefined as never)],
      ['writeMapped(buffer, null)', () => writeMapped(buffer, null as never)],
    ];
    for (const [label, call] of calls) expectClear(await outcome(call), label);
    texture.destroy();
    buffer.destroy();
  });

  test('src/canvas: bad arguments give DawnRfbErrors that say what was expected', async () => {
    const device = await getDefaultDevice();
    const canvas = new OffscreenCanvas({ size: [4, 4], updateMode: 'manual' });
    const context = canvas.getContext();
    const custom = new CanvasContext({ getPhysicalSize: () => [0, 3] as [number, number] });
    custom.configure({ device });
    const calls: [string, () => unknown][] = [
      ['new OffscreenCanvas(null)', () => new OffscreenCanvas(null as never)],
      ['new OffscreenCanvas({ size: 5 })', () => new OffscreenCanvas({ size: 5 as never })],
      ['new OffscreenCanvas({ pixelRatio: "2" })', () => new OffscreenCanvas({ pixelRatio: '2' as never })],
      ['new OffscreenCanvas({ updateMode: "sometimes" })', () => new OffscreenCanvas({ updateMode: 'sometimes' as never })],
      ['setLogicalSize("a", 1)', () => canvas.setLogicalSize('a' as never, 1)],
      ['setPhysicalSize(1.5, 2)', () => canvas.setPhysicalSize(1.5, 2)],
      ['setPixelRatio(0)', () => canvas.setPixelRatio(0)],
      ['setUpdateMode("x")', () => canvas.setUpdateMode('x' as never)],
      ['setUpdateMode("continuous", { maxFps: -1 })', () => canvas.setUpdateMode('continuous', { maxFps: -1 })],
      ['getContext("2d")', () => canvas.getContext('2d' as never)],
      ['requestDraw(5)', () => canvas.requestDraw(5 as never)],
      ['setTitle(5)', () => canvas.setTitle(5 as never)],
      ['setCursor("hand")', () => canvas.setCursor('hand' as never)],
      ['configure(undefined)', () => context.configure(undefined as never)],
      ['configure({ device, format: "r8unorm" })', () => context.configure({ device, format: 'r8unorm' })],
      ['configure({ device, alphaMode: "x" })', () => context.configure({ device, alphaMode: 'x' as never })],
      ['getCurrentTexture() before configure', () => new CanvasContext(canvas).getCurrentTexture()],
      ['getCurrentTexture() of a custom canvas of size 0x3', () => custom.getCurrentTexture()],
      ['new CanvasContext(undefined)', () => new CanvasContext(undefined as never)],
      ['EventEmitter.add(fn, "wheel")', () => new EventEmitter().add(() => {}, 'wheel' as never)],
      ['EventEmitter.submit({ type: "wheel" })', () => new EventEmitter().submit({ type: 'wheel' } as never)],
      ['EventEmitter.emit(null)', () => new EventEmitter().emit(null as never)],
      ['setReporter(42)', () => setReporter(42 as never)],
    ];
    for (const [label, call] of calls) expectClear(await outcome(call), label);
    canvas.close();
  });
});
