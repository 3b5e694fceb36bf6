// Buffer upload/readback, one-call compute, and texture readback on the real (software) GPU.
import { beforeAll, describe, expect, test } from 'vitest';
import {
  computeWithBuffers, createBufferWithData, getDefaultDevice, GpuValidationError, InvalidArgumentError,
  readBuffer, readTexture, texelBytes, type BufferSource,
} from '../src/index.js';
import { rejection, thrown } from './helpers/gpu.js';

let device: GPUDevice;
beforeAll(async () => { device = await getDefaultDevice(); });

function pattern(n: number, seed = 7): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (i * 31 + seed) & 0xff;
  return a;
}

describe('createBufferWithData / readBuffer', () => {
  test('round-trips bytes through a COPY_SRC buffer', async () => {
    const data = pattern(256);
    const buffer = createBufferWithData(device, data);
    expect(buffer.size).toBe(256);
    expect(buffer.usage & GPUBufferUsage.STORAGE).toBeTruthy();
    expect(await readBuffer(buffer)).toEqual(data);
    buffer.destroy();
  });

  test('round-trips a typed-array view at its own offset, padding the size to 4 bytes', async () => {
    const backing = new Float32Array([1, 2, 3, 4, 5, 6]);
    const view = new Float32Array(backing.buffer, 8, 3); // 3, 4, 5
    const buffer = createBufferWithData(device, view);
    expect(buffer.size).toBe(12);
    expect(new Float32Array((await readBuffer(buffer)).buffer)).toEqual(new Float32Array([3, 4, 5]));
    const odd = createBufferWithData(device, new Uint8Array([9, 8, 7, 6, 5]));
    expect(odd.size).toBe(8);
    expect(await readBuffer(odd)).toEqual(new Uint8Array([9, 8, 7, 6, 5, 0, 0, 0]));
    buffer.destroy();
    odd.destroy();
  });

  test('reads an offset range: exactly those bytes', async () => {
    const data = pattern(128, 3);
    const buffer = createBufferWithData(device, data);
    const got = await readBuffer(buffer, 16, 32);
    expect(got.length).toBe(32);
    expect(got).toEqual(data.slice(16, 48));
    expect(await readBuffer(buffer, 120)).toEqual(data.slice(120)); // size defaults to the rest
    buffer.destroy();
  });

  test('reads a MAP_READ buffer directly, offset range included', async () => {
    const data = pattern(64, 11);
    const buffer = createBufferWithData(device, data, GPUBufferUsage.MAP_READ);
    expect(await readBuffer(buffer)).toEqual(data);
    expect(await readBuffer(buffer, 8, 16)).toEqual(data.slice(8, 24));
    buffer.destroy();
  });

  test('bad offsets and ranges throw InvalidArgumentError', async () => {
    const buffer = createBufferWithData(device, pattern(64));
    for (const [offset, size] of [[3, 4], [-4, 4], [0, 68], [64, 4], [60, 8], [0, 6], [1.5, 4]] as const) {
      const e = await rejection(readBuffer(buffer, offset, size));
      expect(e, `offset ${offset} size ${size}`).toBeInstanceOf(InvalidArgumentError);
    }
    expect((await rejection(readBuffer(buffer, 0, 68))).message).toContain('64');
    expect(await readBuffer(buffer, 64, 0)).toEqual(new Uint8Array(0));
    buffer.destroy();
  });

  test('a buffer without COPY_SRC or MAP_READ throws InvalidArgumentError', async () => {
    const buffer = createBufferWithData(device, pattern(16), GPUBufferUsage.STORAGE, 'no-copy-src');
    const e = await rejection(readBuffer(buffer));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('COPY_SRC');
    buffer.destroy();
  });
});

const DOUBLE_64 = /* wgsl */ `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&b)) { b[id.x] = 2.0 * a[id.x]; }
}`;

describe('computeWithBuffers', () => {
  test('doubles 10,000 floats with workgroup_size(64)', async () => {
    const input = new Float32Array(10_000).map((_, i) => i * 0.5 - 1234.25);
    const out = await computeWithBuffers({ 0: input }, { 1: [Float32Array, 10_000] }, DOUBLE_64, Math.ceil(10_000 / 64));
    const b = out[1];
    expect(b).toBeInstanceOf(Float32Array);
    expect(b.length).toBe(10_000);
    let wrong = 0;
    for (let i = 0; i < b.length; i++) if (b[i] !== 2 * input[i]!) wrong++;
    expect(wrong).toBe(0);
  });

  test('an output given as a byte size comes back as a Uint8Array of that length', async () => {
    const wgsl = `
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) id: vec3u) { o[id.x] = 0x04030201u * (id.x + 1u); }`;
    const out = await computeWithBuffers({}, { 0: 10 }, wgsl, 3);
    expect(out[0]).toBeInstanceOf(Uint8Array);
    expect([...out[0]]).toEqual([1, 2, 3, 4, 2, 4, 6, 8, 3, 6]);
  });

  test('default n is the first output\'s element count', async () => {
    const wgsl = `
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) id: vec3u) { o[id.x] = id.x + 100u; }`;
    const out = await computeWithBuffers({}, { 0: [Uint32Array, 7] }, wgsl);
    expect([...out[0]]).toEqual([100, 101, 102, 103, 104, 105, 106, 107].slice(0, 7));
  });

  test('an input and an output at one binding: the shader updates the input in place', async () => {
    const wgsl = `
@group(0) @binding(0) var<storage, read_write> x: array<i32>;
@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) id: vec3u) { x[id.x] = 2 * x[id.x]; }`;
    const input = new Int32Array([1, -2, 3, 40, -500]);
    const out = await computeWithBuffers({ 0: input }, { 0: [Int32Array, 5] }, wgsl);
    expect([...out[0]]).toEqual([2, -4, 6, 80, -1000]);
    expect([...input]).toEqual([1, -2, 3, 40, -500]); // the CPU array is not modified
  });

  test('an explicit entry point and device are used', async () => {
    const wgsl = `
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(1) fn one() { o[0] = 1u; }
@compute @workgroup_size(1) fn two() { o[0] = 2u; }`;
    const out = await computeWithBuffers({}, { 0: [Uint32Array, 1] }, wgsl, 1, { device, entryPoint: 'two' });
    expect(out[0][0]).toBe(2);
  });

  test('a broken shader rejects with GpuValidationError', async () => {
    const e = await rejection(computeWithBuffers({ 0: new Float32Array(4) }, { 1: [Float32Array, 4] },
      'this is not WGSL @compute fn', 1));
    expect(e).toBeInstanceOf(GpuValidationError);
    expect(e.message).toMatch(/^computeWithBuffers: /);
    // The device is still usable afterwards.
    const out = await computeWithBuffers({ 0: new Float32Array([1, 2]) }, { 1: [Float32Array, 2] }, DOUBLE_64, 1);
    expect([...out[1]]).toEqual([2, 4]);
  });

  test('a shader whose bindings do not match the buffers rejects with GpuValidationError', async () => {
    const e = await rejection(computeWithBuffers({ 0: new Float32Array(4) }, { 5: [Float32Array, 4] }, DOUBLE_64, 1));
    expect(e).toBeInstanceOf(GpuValidationError);
  });

  test.each([0, 1.5, -1, [1, 2, 3, 4], [], [2, 0]])('n = %j throws InvalidArgumentError', async (n) => {
    const e = await rejection(computeWithBuffers({ 0: new Float32Array(4) }, { 1: [Float32Array, 4] }, DOUBLE_64, n as number));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('n must be');
  });

  test('bad outputs, binding keys and shader sources throw InvalidArgumentError', async () => {
    const bad: [Record<number, BufferSource>, Record<string, unknown>, string][] = [
      [{}, {}, DOUBLE_64],
      [{}, { 0: 0 }, DOUBLE_64],
      [{}, { 0: 2.5 }, DOUBLE_64],
      [{}, { 0: [Float32Array, 0] }, DOUBLE_64],
      [{}, { 0: [Object, 4] }, DOUBLE_64],
      [{}, { x: [Float32Array, 4] }, DOUBLE_64],
      [{}, { 0: [Float32Array, 4] }, ''],
    ];
    for (const [inputs, outputs, wgsl] of bad) {
      const e = await rejection(computeWithBuffers(inputs, outputs as never, wgsl));
      expect(e, JSON.stringify(outputs)).toBeInstanceOf(InvalidArgumentError);
    }
  });
});

function makeTexture(format: GPUTextureFormat, width: number, height: number, data: Uint8Array, depth = 1): GPUTexture {
  const texture = device.createTexture({
    size: [width, height, depth], format, usage: GPUTextureUsage.COPY_SRC | GPUTextureUsage.COPY_DST,
  });
  const bpr = width * texelBytes(format);
  device.queue.writeTexture({ texture }, data, { bytesPerRow: bpr, rowsPerImage: height }, [width, height, depth]);
  return texture;
}

describe('readTexture', () => {
  const W = 33;
  const H = 17;
  const data = pattern(W * H * 4, 5);

  test('reads a whole 33x17 rgba8unorm texture back exactly (rows not 256-byte aligned)', async () => {
    const texture = makeTexture('rgba8unorm', W, H, data);
    const got = await readTexture({ texture }, {}, [W, H]);
    expect(got.length).toBe(W * H * 4);
    expect(got).toEqual(data);
    texture.destroy();
  });

  test('reads a sub-region: origin {x: 5, y: 3}, size 7x4', async () => {
    const texture = makeTexture('rgba8unorm', W, H, data);
    const got = await readTexture({ texture, origin: { x: 5, y: 3 } }, {}, [7, 4]);
    const expected = new Uint8Array(7 * 4 * 4);
    for (let y = 0; y < 4; y++) {
      expected.set(data.subarray(((3 + y) * W + 5) * 4, ((3 + y) * W + 5 + 7) * 4), y * 7 * 4);
    }
    expect(got).toEqual(expected);
    // The extent can also be given as a dictionary.
    expect(await readTexture({ texture, origin: { x: 5, y: 3 } }, {}, { width: 7, height: 4 })).toEqual(expected);
    texture.destroy();
  });

  test('a custom layout places rows bytesPerRow apart, after offset, leaving the gaps zero', async () => {
    const texture = makeTexture('rgba8unorm', W, H, data);
    const stride = W * 4 + 20;
    const offset = 8;
    const got = await readTexture({ texture }, { bytesPerRow: stride, offset }, [W, H]);
    expect(got.length).toBe(offset + stride * (H - 1) + W * 4);
    expect([...got.subarray(0, offset)]).toEqual(new Array(offset).fill(0));
    for (let y = 0; y < H; y++) {
      expect(got.subarray(offset + y * stride, offset + y * stride + W * 4)).toEqual(data.subarray(y * W * 4, (y + 1) * W * 4));
      if (y < H - 1) expect([...got.subarray(offset + y * stride + W * 4, offset + (y + 1) * stride)]).toEqual(new Array(20).fill(0));
    }
    texture.destroy();
  });

  test('reads the layers of an array texture rowsPerImage rows apart', async () => {
    const layers = pattern(5 * 3 * 4 * 2, 9);
    const texture = makeTexture('rgba8unorm', 5, 3, layers, 2);
    expect(await readTexture({ texture }, {}, [5, 3, 2])).toEqual(layers);
    const got = await readTexture({ texture }, { rowsPerImage: 4 }, [5, 3, 2]);
    expect(got.length).toBe(5 * 4 * (4 + 2) + 5 * 4);
    expect(got.subarray(0, 60)).toEqual(layers.subarray(0, 60));
    expect(got.subarray(80, 140)).toEqual(layers.subarray(60, 120));
    texture.destroy();
  });

  test('r32float and rg8unorm textures read back with their texel sizes', async () => {
    expect(texelBytes('r32float')).toBe(4);
    expect(texelBytes('rg8unorm')).toBe(2);
    expect(texelBytes('rgba32float')).toBe(16);

    const floats = new Float32Array(9 * 5).map((_, i) => i / 3 - 7);
    const tf = makeTexture('r32float', 9, 5, new Uint8Array(floats.buffer));
    const gotF = await readTexture({ texture: tf }, {}, [9, 5]);
    expect(gotF.length).toBe(9 * 5 * 4);
    expect(new Float32Array(gotF.buffer, gotF.byteOffset, 45)).toEqual(floats);

    const rg = pattern(11 * 6 * 2, 1);
    const t2 = makeTexture('rg8unorm', 11, 6, rg);
    const got2 = await readTexture({ texture: t2 }, {}, [11, 6]);
    expect(got2.length).toBe(11 * 6 * 2);
    expect(got2).toEqual(rg);
    tf.destroy();
    t2.destroy();
  });

  test('zero or fractional sizes and bad layouts throw InvalidArgumentError', async () => {
    const texture = makeTexture('rgba8unorm', W, H, data);
    for (const size of [[0, 4], [4, 0], [4, 4, 0], { width: 0, height: 2 }, [1.5, 2]] as GPUExtent3D[]) {
      const e = await rejection(readTexture({ texture }, {}, size));
      expect(e, JSON.stringify(size)).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toContain('must be a positive integer');
    }
    for (const layout of [{ bytesPerRow: W * 4 - 1 }, { rowsPerImage: H - 1 }, { offset: -1 }, { offset: 0.5 }]) {
      const e = await rejection(readTexture({ texture }, layout, [W, H]));
      expect(e, JSON.stringify(layout)).toBeInstanceOf(InvalidArgumentError);
    }
    texture.destroy();
  });

  test('a region outside the texture rejects with GpuValidationError', async () => {
    const texture = makeTexture('rgba8unorm', W, H, data);
    const e = await rejection(readTexture({ texture, origin: { x: 30 } }, {}, [4, 1]));
    expect(e).toBeInstanceOf(GpuValidationError);
    expect(e.message).toMatch(/^readTexture: /);
    texture.destroy();
  });

  test('an unsupported format or a foreign object throws InvalidArgumentError', async () => {
    expect(thrown(() => texelBytes('bc1-rgba-unorm'))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => texelBytes('depth24plus'))).toBeInstanceOf(InvalidArgumentError);
    const e = await rejection(readTexture({ texture: {} as GPUTexture }, {}, [1, 1]));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(readBuffer({} as GPUBuffer))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('readBuffer on MAP_READ buffers', () => {
  test('an offset that is a multiple of 4 but not of 8 reads the right bytes', async () => {
    const data = new Uint8Array(64).map((_, i) => i);
    const buffer = createBufferWithData(device, data, GPUBufferUsage.MAP_READ);
    expect([...await readBuffer(buffer, 4, 8)]).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect([...await readBuffer(buffer, 12, 4)]).toEqual([12, 13, 14, 15]);
    buffer.destroy();
  });
});
