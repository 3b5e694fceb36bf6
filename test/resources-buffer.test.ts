// Buffer (pygfx semantics) and gloo buffers (vispy semantics) on the real GPU: what reaches the
// GPU, in which writes, and the errors for bad input.
import { describe, expect, test } from 'vitest';
import {
  Buffer, DataBuffer, DeviceMismatchError, getDefaultDevice, GlooBuffer, IndexBuffer, InvalidArgumentError,
  MeshBasicMaterial, OffscreenCanvas, readBuffer, requestDevice, VertexBuffer,
} from '../src/index.js';
import { pixel, thrown } from './helpers/gpu.js';

async function gpuFloats(buffer: GPUBuffer, n: number): Promise<number[]> {
  return [...new Float32Array((await readBuffer(buffer, 0, n * 4)).buffer, 0, n)];
}

describe('Buffer (pygfx)', () => {
  test('keeps data by reference and infers format, itemsize and nitems', () => {
    const data = new Float32Array(30);
    const b = new Buffer(data, { nitems: 10 });
    expect(b.data).toBe(data);
    expect([b.nbytes, b.nitems, b.itemsize, b.format, b.vertexFormat]).toEqual([120, 10, 12, '3xf4', 'float32x3']);
    const idx = new Buffer(new Uint16Array([0, 1, 2]));
    expect([idx.format, idx.indexFormat, idx.nitems]).toEqual(['u2', 'uint16', 3]);
    expect(new Buffer(new Uint8Array(8), { format: 'unorm8x4' }).format).toBe('unorm8x4');
    expect(new Buffer(null, { nbytes: 64, nitems: 4 }).itemsize).toBe(16);
    expect(new Buffer(new Float32Array(8)).drawRange).toEqual([0, 8]);
    // Resources are made before any device exists (importing dawn-rfb defines no WebGPU globals).
    expect(new VertexBuffer(new Float32Array(3), { format: '3xf4' }).size).toBe(1);
    expect(new MeshBasicMaterial().uniformBuffer.nbytes).toBe(176); // its uniform struct (uniform-layout.test.ts)
  });

  test('bad input gives clear errors', () => {
    expect(thrown(() => new Buffer(new Float32Array(4), { nbytes: 20 }))).toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/nbytes 20 does not match the data's 16 bytes/) });
    expect(thrown(() => new Buffer(new Float32Array(0)))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => new Buffer(null))).toMatchObject({ message: expect.stringMatching(/nbytes and nitems are required/) });
    expect(thrown(() => new Buffer(new Float32Array(6), { format: '4xf4' }))).toMatchObject({ message: expect.stringMatching(/16-byte items/) });
    expect(thrown(() => new Buffer(new Float32Array(6), { format: 'vec3' }))).toMatchObject({ message: expect.stringMatching(/unknown buffer format "vec3"; allowed/) });
    expect(thrown(() => new Buffer([1, 2], { forceContiguous: true }))).toMatchObject({ message: expect.stringMatching(/forceContiguous/) });
    expect(thrown(() => new Buffer(new Float64Array(3)))).toMatchObject({ message: expect.stringMatching(/Float64Array has no GPU element type/) });
    const b = new Buffer(new Float32Array(12), { nitems: 4 });
    expect(thrown(() => b.updateRange(-1, 2))).toMatchObject({ message: expect.stringMatching(/offset must be an integer >= 0, got number -1/) });
    expect(thrown(() => b.updateRange(0, -2))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => b.updateRange(3, 2))).toMatchObject({ message: expect.stringMatching(/items 3..5 are out of range; the buffer has 4 items/) });
    expect(thrown(() => b.updateIndices([4]))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => b.setDrawRange(2, 3))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => b.setData(new Float32Array(3)))).toMatchObject({ message: expect.stringMatching(/12 bytes, the buffer 48/) });
    expect(thrown(() => b.setData(new Int32Array(12)))).toMatchObject({ message: expect.stringMatching(/Int32Array/) });
  });

  test('the first sync uploads everything; updateRange uploads only the dirty chunks, adjacent ones merged', async () => {
    const device = await getDefaultDevice();
    const n = 4096; // 16 KiB of f32 -> auto chunk 512 B (32 chunks)
    const data = new Float32Array(n).map((_, i) => i);
    const b = new Buffer(data);
    expect(b.chunkBytes).toBe(512);
    const gpu = b.sync(device, GPUBufferUsage.STORAGE);
    expect(b.lastWrites).toEqual([{ offset: 0, size: 16384 }]);
    expect(await gpuFloats(gpu, 4)).toEqual([0, 1, 2, 3]);

    b.sync(device);
    expect(b.lastWrites).toEqual([]); // nothing dirty, nothing written

    // Items 130..140 (bytes 520..560) lie in chunk 1; items 200..300 (bytes 800..1200) span chunks 1-2;
    // item 4000 (byte 16000) is in chunk 31. Chunks 1 and 2 merge into one write.
    data.fill(-1, 130, 140);
    data.fill(-2, 200, 300);
    data[4000] = -3;
    b.updateRange(130, 10);
    b.updateRange(200, 100);
    b.updateIndices([4000]);
    expect(b.pendingChunks).toBe(3);
    b.sync(device);
    expect(b.lastWrites).toEqual([{ offset: 512, size: 1024 }, { offset: 31 * 512, size: 512 }]);
    const all = new Float32Array((await readBuffer(gpu)).buffer);
    expect(all[130]).toBe(-1);
    expect(all[299]).toBe(-2);
    expect(all[4000]).toBe(-3);
    expect(all[4001]).toBe(4001);

    // A change not marked dirty does not reach the GPU.
    data[10] = 99;
    b.updateRange(0, 0);
    b.sync(device);
    expect(b.lastWrites).toEqual([]);
    expect((await gpuFloats(gpu, 11))[10]).toBe(10);
    b.updateFull();
    b.sync(device);
    expect(b.lastWrites).toEqual([{ offset: 0, size: 16384 }]);
    expect((await gpuFloats(gpu, 11))[10]).toBe(99);
  });

  test('chunk sizes: the 256 B minimum, the 1 MiB maximum, a chosen size, and odd tails', async () => {
    expect(new Buffer(new Float32Array(16)).chunkBytes).toBe(256);
    expect(new Buffer(null, { nbytes: 64 << 20, nitems: 16 << 20 }).chunkBytes).toBe(1 << 20);
    const b = new Buffer(new Float32Array(64), { chunkSize: 8 }); // 8 items = 32 B
    expect(b.chunkBytes).toBe(32);
    const device = await getDefaultDevice();
    b.sync(device, GPUBufferUsage.VERTEX);
    b.updateRange(9, 1);
    b.sync(device);
    expect(b.lastWrites).toEqual([{ offset: 32, size: 32 }]);
    // 3 uint16 = 6 bytes: the write is padded to WebGPU's 4-byte multiple and still lands.
    const odd = new Buffer(new Uint16Array([7, 8, 9]));
    const g = odd.sync(device, GPUBufferUsage.INDEX);
    expect([...new Uint16Array((await readBuffer(g, 0, 8)).buffer, 0, 3)]).toEqual([7, 8, 9]);
  });

  test('setData replaces without copying; usage derives from use plus the override; one device only', async () => {
    const device = await getDefaultDevice();
    const b = new Buffer(new Float32Array([1, 2, 3, 4]), { usage: GPUBufferUsage.STORAGE });
    b.sync(device, GPUBufferUsage.VERTEX);
    expect(b.usage & GPUBufferUsage.VERTEX).toBeTruthy();
    expect(b.usage & GPUBufferUsage.STORAGE).toBeTruthy();
    const next = new Float32Array([5, 6, 7, 8]);
    b.setData(next);
    expect(b.data).toBe(next);
    const g2 = b.sync(device, GPUBufferUsage.INDEX); // a new use: buffer re-made with the union of usages
    expect(g2.usage & GPUBufferUsage.INDEX && g2.usage & GPUBufferUsage.VERTEX).toBeTruthy();
    expect(await gpuFloats(g2, 4)).toEqual([5, 6, 7, 8]);
    const other = await requestDevice();
    const e = thrown(() => b.sync(other));
    expect(e).toBeInstanceOf(DeviceMismatchError);
    expect(String(e)).toMatch(/already used with another GPUDevice/);
    other.destroy();
  });
});

describe('gloo buffers (vispy)', () => {
  test('setSubdata after setData applies in order at the next sync', async () => {
    const device = await getDefaultDevice();
    const b = new DataBuffer(new Float32Array([1, 2, 3, 4, 5, 6]));
    b.setSubdata(new Float32Array([10, 11]), { offset: 2 }); // elements
    b.setSubdata(new Float32Array([20]), { offset: 3 });      // overrides 11: order matters
    expect(b.pendingCount).toBe(3);
    expect([b.size, b.itemsize, b.stride, b.format]).toEqual([6, 4, 4, 'f4']);
    const g = b.sync(device, GPUBufferUsage.STORAGE);
    expect(b.lastOps).toEqual([
      { kind: 'create', offset: 0, size: 24 },
      { kind: 'write', offset: 0, size: 24 }, { kind: 'write', offset: 8, size: 8 }, { kind: 'write', offset: 12, size: 4 },
    ]);
    expect(await gpuFloats(g, 6)).toEqual([1, 2, 10, 20, 5, 6]);
    // A byte buffer counts offsets in bytes.
    const raw = new GlooBuffer(new Uint8Array(8));
    raw.setSubdata(new Uint8Array([1, 2, 3, 4]), { offset: 4 });
    const rg = raw.sync(device);
    expect([...(await readBuffer(rg))]).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
  });

  test('copy: true snapshots; copy: false reads the data at sync time', async () => {
    const device = await getDefaultDevice();
    const src = new Float32Array([1, 2, 3, 4]);
    const copied = new DataBuffer();
    copied.setData(src, { copy: true });
    const shared = new DataBuffer();
    shared.setData(src); // copy defaults to false
    src[0] = 42;
    expect((await gpuFloats(copied.sync(device), 4))[0]).toBe(1);
    expect((await gpuFloats(shared.sync(device), 4))[0]).toBe(42);
    const part = new Float32Array([7]);
    copied.setSubdata(part, { offset: 1, copy: true });
    part[0] = 8;
    expect(await gpuFloats(copied.sync(device), 4)).toEqual([1, 7, 3, 4]);
  });

  test('setData and resizeBytes reset size and drop pending operations', async () => {
    const device = await getDefaultDevice();
    const b = new GlooBuffer(new Uint8Array(16));
    b.sync(device);
    b.setSubdata(new Uint8Array(4), { offset: 0 });
    b.resizeBytes(32);
    expect(b.pendingCount).toBe(1);
    const g = b.sync(device);
    expect(g.size).toBe(32);
    expect(b.lastOps).toEqual([{ kind: 'create', offset: 0, size: 32 }]);
    b.setSubdata(new Uint8Array(8), { offset: 8 });
    b.setData(new Uint8Array(8).fill(5));
    expect(b.pendingCount).toBe(1);
    expect(b.nbytes).toBe(8);
    expect([...(await readBuffer(b.sync(device)))]).toEqual([5, 5, 5, 5, 5, 5, 5, 5]);
  });

  test('vertex buffers with a divisor, index buffers, and errors', () => {
    const v = new VertexBuffer(new Float32Array(12), { format: '3xf4', divisor: 1 });
    expect([v.divisor, v.vertexFormat, v.size]).toEqual([1, 'float32x3', 4]);
    expect(new IndexBuffer(new Uint32Array(3)).indexFormat).toBe('uint32');
    expect(thrown(() => new VertexBuffer(undefined, { divisor: 2 }))).toMatchObject({ message: expect.stringMatching(/divisor must be 0/) });
    expect(thrown(() => new IndexBuffer(new Float32Array(3) as unknown as Uint16Array))).toMatchObject({ message: expect.stringMatching(/Uint16Array or Uint32Array/) });
    const d = new DataBuffer(new Float32Array(4));
    expect(thrown(() => d.setSubdata(new Float32Array(2), { offset: 3 }))).toMatchObject({ message: expect.stringMatching(/8 bytes at byte offset 12 do not fit in the buffer's 16 bytes/) });
    expect(thrown(() => d.setSubdata(new Int32Array(1)))).toMatchObject({ message: expect.stringMatching(/element type \(i4\) differs/) });
    expect(thrown(() => d.setSubdata(new Float32Array(1), { offset: -1 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => new GlooBuffer().resizeBytes(-4))).toBeInstanceOf(InvalidArgumentError);
  });

  test('a VertexBuffer with divisor 1 steps per instance and an IndexBuffer indexes, in a real draw', async () => {
    const device = await getDefaultDevice();
    const canvas = new OffscreenCanvas({ size: [16, 8], updateMode: 'manual' });
    const context = canvas.getContext();
    context.configure({ device, format: 'rgba8unorm' });
    // A square from 4 corners and 6 indices, drawn twice: instance offsets put copies left and right.
    const corners = new VertexBuffer(new Float32Array([0, 0, 0.8, 0, 0.8, 1.6, 0, 1.6]), { format: '2xf4' });
    const offsets = new VertexBuffer(new Float32Array([-0.9, -0.8, 0.1, -0.8]), { format: '2xf4', divisor: 1 });
    const colors = new VertexBuffer(new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255]), { format: 'unorm8x4', divisor: 1 });
    const indices = new IndexBuffer(new Uint16Array([0, 1, 2, 0, 2, 3]));
    const module = device.createShaderModule({ code: /* wgsl */ `
      struct O { @builtin(position) p: vec4f, @location(0) c: vec4f };
      @vertex fn vs(@location(0) corner: vec2f, @location(1) offset: vec2f, @location(2) color: vec4f) -> O {
        return O(vec4f(corner + offset, 0.0, 1.0), color);
      }
      @fragment fn fs(in: O) -> @location(0) vec4f { return in.c; }` });
    const pipeline = device.createRenderPipeline({
      layout: 'auto',
      vertex: { module, buffers: [corners.vertexLayout(0), offsets.vertexLayout(1), colors.vertexLayout(2)] },
      fragment: { module, targets: [{ format: 'rgba8unorm' }] },
    });
    canvas.requestDraw(() => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 0, 1] }] });
      pass.setPipeline(pipeline);
      [corners, offsets, colors].forEach((b, i) => pass.setVertexBuffer(i, b.sync(device)));
      pass.setIndexBuffer(indices.sync(device), indices.indexFormat);
      pass.drawIndexed(6, 2);
      pass.end();
      device.queue.submit([encoder.finish()]);
    });
    const f = await canvas.draw();
    expect(pixel(f, 3, 4)).toEqual([255, 0, 0, 255]);
    expect(pixel(f, 11, 4)).toEqual([0, 255, 0, 255]);
    expect(pixel(f, 8, 4)).toEqual([0, 0, 0, 255]); // the gap between the two instances
    // A later setSubdata moves the second instance at the next sync.
    expect(pixel(f, 14, 4)).toEqual([0, 255, 0, 255]);
    offsets.setSubdata(new Float32Array([0, -0.8]), { offset: 1 }); // element 1: instance 1 now starts at x = 0
    const g = await canvas.draw();
    expect(pixel(g, 8, 4)).toEqual([0, 255, 0, 255]);
    expect(pixel(g, 14, 4)).toEqual([0, 0, 0, 255]);
    expect(offsets.lastOps).toEqual([{ kind: 'write', offset: 8, size: 8 }]);
  });
});
