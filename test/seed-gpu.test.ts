// The wgpu-py seed's additions and utility semantics (issue 12), on the real software GPU:
// adapters, backend names, error classes with causes, mapped reads/writes, texture and view
// sizes, computeWithBuffers as the seed describes it, readBuffer on MAP_READ buffers.
import { afterEach, describe, expect, test } from 'vitest';
import {
  adapterSummary, BACKENDS, computeWithBuffers, createBufferWithData, DawnRfbError, deviceAdapter, deviceSummary,
  enumerateAdapters, getDefaultDevice, GpuError, GpuInternalError, GpuOperationError, GpuOutOfMemoryError,
  GpuUnavailableError, GpuValidationError, InvalidArgumentError, parseBackends, readBuffer, readMapped, readTexture,
  requestAdapter, requestDevice, resolveBackends, textureSize, textureViewSize, viewTexture, writeMapped,
} from '../src/index.js';
import { checked, fromGpuError } from '../src/gpu/scopes.js';
import { rejection, thrown } from './helpers/gpu.js';

const DEFAULT_BACKEND = process.env.DAWN_RFB_BACKEND?.split(',')[0]?.trim() || 'vulkan';

// Tests that change the backend variables put them back.
const savedEnv = { DAWN_RFB_BACKEND: process.env.DAWN_RFB_BACKEND, WGPU_BACKEND_TYPE: process.env.WGPU_BACKEND_TYPE };
afterEach(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('adapters (enumerate_adapters, GPUDevice.adapter, GPUAdapter.summary)', () => {
  test('enumerateAdapters lists every backend Dawn can use here, each with a summary', async () => {
    const list = await enumerateAdapters();
    const backends = list.map((a) => a.backend);
    // On this machine: lavapipe (Vulkan), llvmpipe (OpenGL ES and desktop OpenGL), Dawn's null backend.
    for (const b of ['vulkan', 'opengles', 'null']) expect(backends).toContain(b);
    for (const a of list) {
      expect(a.summary.backend).toBe(a.backend);
      expect(a.summary.name.length).toBeGreaterThan(0);
      expect(typeof a.adapter.requestDevice).toBe('function');
    }
    expect(list.find((a) => a.backend === 'vulkan')!.summary.software).toBe(true);
    expect(list.find((a) => a.backend === 'opengles')!.summary.featureLevel).toBe('compatibility');
    // No duplicates: the default, low-power, high-performance and fallback asks give one lavapipe.
    expect(backends.filter((b) => b === 'vulkan')).toHaveLength(1);
    const only = await enumerateAdapters({ backend: 'null' });
    expect(only.map((a) => a.backend)).toEqual(['null']);
  });

  test('deviceAdapter reaches the adapter of a device; adapterSummary takes devices, adapters and nothing', async () => {
    const device = await getDefaultDevice();
    const found = deviceAdapter(device);
    expect(found.backend).toBe(DEFAULT_BACKEND);
    expect(typeof found.adapter.requestDevice).toBe('function');
    expect(adapterSummary()).toEqual(deviceSummary(device));
    expect(adapterSummary(device)).toEqual(deviceSummary(device));
    expect(adapterSummary(found.adapter)).toEqual(deviceSummary(device));
    expect(adapterSummary(found)).toEqual(deviceSummary(device));
    for (const bad of [null, 42, {}, 'vulkan']) {
      const e = thrown(() => adapterSummary(bad as never));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toContain('requestAdapter()');
    }
    expect(thrown(() => deviceAdapter({} as GPUDevice))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('backend names', () => {
  test("Dawn's names in any case, and an empty list refused", async () => {
    expect(parseBackends('Vulkan,OpenGLES')).toEqual(['vulkan', 'opengles']);
    expect(parseBackends(['NULL' as never])).toEqual(['null']);
    const e = await rejection(requestAdapter({ backend: [] }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('lists no backend');
    for (const b of BACKENDS) expect(e.message).toContain(b);
    process.env.DAWN_RFB_BACKEND = ' , ';
    expect(thrown(() => resolveBackends()).message).toContain('DAWN_RFB_BACKEND lists no backend');
  });

  test("the seed's WGPU_BACKEND_TYPE values select the backend; DAWN_RFB_BACKEND wins over it", async () => {
    delete process.env.DAWN_RFB_BACKEND;
    const cases: [string, string][] = [['Vulkan', 'vulkan'], ['OpenGL', 'opengles'], ['Metal', 'metal'], ['D3D12', 'd3d12'], ['opengl', 'opengles']];
    for (const [value, backend] of cases) {
      process.env.WGPU_BACKEND_TYPE = value;
      expect(resolveBackends()).toEqual([backend]);
    }
    process.env.WGPU_BACKEND_TYPE = 'OpenGL';
    const found = await requestAdapter();
    expect(found.backend).toBe('opengles');
    process.env.DAWN_RFB_BACKEND = 'null';
    expect((await requestAdapter()).backend).toBe('null');
    // An explicit option wins over both.
    expect(resolveBackends('vulkan')).toEqual(['vulkan']);
  });

  test('a bad value names the variable it came from', async () => {
    delete process.env.DAWN_RFB_BACKEND;
    process.env.WGPU_BACKEND_TYPE = 'DirectX9';
    let e = await rejection(requestDevice());
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('WGPU_BACKEND_TYPE');
    expect(e.message).toContain('"DirectX9"');
    expect(e.message).toContain('Vulkan, Metal, D3D12');
    process.env.DAWN_RFB_BACKEND = 'vulkan,bogus';
    e = await rejection(requestAdapter());
    expect(e.message).toContain('DAWN_RFB_BACKEND');
    expect(e.message).toContain('"bogus"');
    e = await rejection(requestAdapter({ backend: 'bogus' as never }));
    expect(e.message).toContain('the backend option');
  });

  test('an unknown powerPreference or featureLevel is an InvalidArgumentError, not "no adapter found"', async () => {
    const e = await rejection(requestAdapter({ powerPreference: 'fast' as never }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e).not.toBeInstanceOf(GpuUnavailableError);
    expect(e.message).toContain('"low-power" or "high-performance"');
    expect(e.message).not.toContain('dawn-rfb setup');
    const f = await rejection(requestDevice({ featureLevel: 'full' as never }));
    expect(f).toBeInstanceOf(InvalidArgumentError);
    expect(f.message).toContain('"core" or "compatibility"');
    expect(await rejection(requestDevice(null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(requestDevice({ requiredLimits: { maxBufferSize: -1 } }))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('error classes (GPUValidationError, GPUOutOfMemoryError, GPUInternalError)', () => {
  test('are distinct DawnRfbErrors under GpuError', () => {
    for (const C of [GpuValidationError, GpuOutOfMemoryError, GpuInternalError, GpuOperationError]) {
      const e = new C('x');
      expect(e).toBeInstanceOf(GpuError);
      expect(e).toBeInstanceOf(DawnRfbError);
      expect(e.name).toBe(C.name);
    }
    expect(new GpuValidationError('x')).not.toBeInstanceOf(GpuOutOfMemoryError);
  });

  test("WebGPU's own error objects map to the matching class and stay as the cause", () => {
    const g = globalThis as unknown as Record<string, new (m: string) => GPUError>;
    const cases: [string, typeof GpuError][] = [
      ['GPUValidationError', GpuValidationError], ['GPUOutOfMemoryError', GpuOutOfMemoryError], ['GPUInternalError', GpuInternalError],
    ];
    for (const [name, C] of cases) {
      const original = new g[name]!('what went wrong');
      const e = fromGpuError('doing it', original);
      expect(e).toBeInstanceOf(C);
      expect(e.message).toBe('doing it: what went wrong');
      expect(e.cause).toBe(original);
    }
  });

  test('checked() throws the validation error itself, with its cause', async () => {
    const device = await getDefaultDevice();
    const e = await rejection(checked(device, 'making a buffer', () => device.createBuffer({ size: 16, usage: 0 })));
    expect(e).toBeInstanceOf(GpuValidationError);
    expect(e.message).toMatch(/^making a buffer: Buffer usages must not be 0/);
    expect((e.cause as object).constructor.name).toBe('GPUValidationError');
  });
});

describe('creation errors carry their cause', () => {
  test('createBufferWithData with an invalid usage throws GpuValidationError saying why', async () => {
    const device = await getDefaultDevice();
    const e = thrown(() => createBufferWithData(device, new Uint8Array(16), GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE));
    expect(e).toBeInstanceOf(GpuValidationError);
    expect(e.message).toContain('MAP_READ usage may only add COPY_DST');
    expect(thrown(() => createBufferWithData(device, new Uint8Array(4), 0))).toBeInstanceOf(GpuValidationError);
    expect(thrown(() => createBufferWithData(device, new Uint8Array(4), 1 << 20))).toBeInstanceOf(GpuValidationError);
    expect(thrown(() => createBufferWithData(undefined as never, new Uint8Array(4)))).toBeInstanceOf(InvalidArgumentError);
  });

  test("createBufferWithData above the device's maxBufferSize throws GpuOutOfMemoryError", async () => {
    const device = await getDefaultDevice();
    // Zero-filled pages are not touched before the size check refuses it, so this costs no memory.
    const big = new Uint8Array(device.limits.maxBufferSize + 4);
    const e = thrown(() => createBufferWithData(device, big));
    expect(e).toBeInstanceOf(GpuOutOfMemoryError);
    expect(e.message).toContain(`maxBufferSize (${device.limits.maxBufferSize})`);
  });

  test("a computeWithBuffers output above the device's maximum buffer size throws the validation error itself", async () => {
    const device = await getDefaultDevice();
    const size = device.limits.maxBufferSize + 4;
    const wgsl = '@group(0) @binding(0) var<storage, read_write> o: array<u32>; @compute @workgroup_size(1) fn main() { o[0] = 1u; }';
    const e = await rejection(computeWithBuffers({}, { 0: size }, wgsl, 1));
    expect(e).toBeInstanceOf(GpuValidationError);
    expect(e.message).toContain('computeWithBuffers');
    expect(e.message).toMatch(/max buffer size/i);
    expect(e.message).not.toMatch(/\[Invalid Buffer/);
  });
});

describe('computeWithBuffers as the seed describes it', () => {
  test('bindings the shader does not use do not fail (explicit bind group layout)', async () => {
    const wgsl = `
@group(0) @binding(1) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) id: vec3u) { o[id.x] = id.x + 7u; }`;
    const out = await computeWithBuffers({ 0: new Uint32Array([1, 2, 3]), 5: new Float32Array(4) }, { 1: [Uint32Array, 4] }, wgsl);
    expect([...out[1]]).toEqual([7, 8, 9, 10]);
  });

  test('an output shaped [Uint32Array, 3, 4] has 12 elements; n defaults to its first dimension', async () => {
    const wgsl = `
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) id: vec3u) {
  for (var j = 0u; j < 4u; j++) { o[id.x * 4u + j] = id.x * 10u + j + 1u; }
}`;
    const out = await computeWithBuffers({}, { 0: [Uint32Array, 3, 4] }, wgsl);
    expect(out[0]).toBeInstanceOf(Uint32Array);
    // Flat, row-major: 3 workgroups (the first dimension) each fill a row of 4.
    expect([...out[0]]).toEqual([1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
    const e = await rejection(computeWithBuffers({}, { 0: [Uint32Array, 3, 0] } as never, wgsl));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('shape');
  });

  test('inputs are read-only storage, as in the seed: the shader declares them var<storage, read>', async () => {
    const wgsl = `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) id: vec3u) { b[id.x] = a[id.x] * 2.0; }`;
    const out = await computeWithBuffers({ 0: new Float32Array([1, 2, 3]) }, { 1: [Float32Array, 3] }, wgsl);
    expect([...out[1]]).toEqual([2, 4, 6]);
    // An input the shader wants to write to must be listed as an output too: a clear validation error.
    const writes = wgsl.replace('var<storage, read> a', 'var<storage, read_write> a');
    const e = await rejection(computeWithBuffers({ 0: new Float32Array([1, 2, 3]) }, { 1: [Float32Array, 3] }, writes));
    expect(e).toBeInstanceOf(GpuValidationError);
    expect(e.message).toMatch(/ReadOnlyStorage|read-only|Storage/);
  });

  test('bad arguments are InvalidArgumentErrors, never TypeErrors', async () => {
    const wgsl = '@compute @workgroup_size(1) fn main() {}';
    for (const call of [
      () => computeWithBuffers(null as never, { 0: 4 }, wgsl),
      () => computeWithBuffers({}, null as never, wgsl),
      () => computeWithBuffers({ 0: 42 as never }, { 1: 4 }, wgsl),
      () => computeWithBuffers({}, { 0: [Uint32Array] as never }, wgsl),
      () => computeWithBuffers({}, { 0: 4 }, wgsl, 1, null as never),
      () => computeWithBuffers({}, { 0: 4 }, wgsl, 1, { device: {} as never }),
    ]) {
      const e = await rejection(call());
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.message.length).toBeGreaterThan(20);
    }
  });
});

describe('readBuffer on MAP_READ buffers', () => {
  async function mapReadBuffer(values: number[]): Promise<GPUBuffer> {
    const device = await getDefaultDevice();
    const src = createBufferWithData(device, new Uint32Array(values), GPUBufferUsage.COPY_SRC);
    const dst = device.createBuffer({ label: 'map-read test', size: values.length * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(src, 0, dst, 0, values.length * 4);
    device.queue.submit([encoder.finish()]);
    return dst;
  }

  test('concurrent reads of one buffer are serialised and all succeed', async () => {
    const buffer = await mapReadBuffer([1, 2, 3, 4]);
    const reads = await Promise.all([readBuffer(buffer), readBuffer(buffer, 4, 8), readBuffer(buffer, 12)]);
    expect(reads.map((r) => [...new Uint32Array(r.buffer, r.byteOffset, r.byteLength / 4)])).toEqual([[1, 2, 3, 4], [2, 3], [4]]);
    expect(buffer.mapState).toBe('unmapped');
  });

  test('a buffer the caller has mapped is refused with a clear error', async () => {
    const buffer = await mapReadBuffer([5, 6]);
    await buffer.mapAsync(GPUMapMode.READ);
    const e = await rejection(readBuffer(buffer));
    expect(e).toBeInstanceOf(GpuOperationError);
    expect(e.message).toContain('"map-read test" is mapped');
    expect(e.message).toContain('unmap()');
    buffer.unmap();
    expect([...await readBuffer(buffer)]).toEqual([5, 0, 0, 0, 6, 0, 0, 0]);
  });

  test('mapping on a destroyed device gives an error that says what was being done', async () => {
    const device = await requestDevice({ backend: DEFAULT_BACKEND as never, label: 'doomed' });
    const buffer = device.createBuffer({ label: 'doomed buffer', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    device.destroy();
    const e = await rejection(readBuffer(buffer));
    expect(e).toBeInstanceOf(GpuOperationError);
    expect(e.message).toContain('readBuffer: mapping buffer "doomed buffer" failed');
    expect(e.message).toMatch(/AbortError|OperationError/);
    expect(e.message).toContain('destroyed');
    expect((e.cause as Error).name).toMatch(/AbortError|OperationError/);
  });

  test('readTexture and computeWithBuffers on a destroyed device say what they were doing', async () => {
    const device = await requestDevice({ backend: DEFAULT_BACKEND as never, label: 'doomed 2' });
    const texture = device.createTexture({ size: [4, 4], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_SRC });
    device.destroy();
    const t = await rejection(readTexture({ texture }, {}, [4, 4]));
    expect(t).toBeInstanceOf(GpuOperationError);
    expect(t.message).toMatch(/^readTexture: mapping buffer "dawn-rfb readTexture staging" failed: \w+Error/);
    const wgsl = '@group(0) @binding(0) var<storage, read_write> o: array<u32>; @compute @workgroup_size(1) fn main() { o[0] = 1u; }';
    const c = await rejection(computeWithBuffers({}, { 0: 16 }, wgsl, 1, { device }));
    expect(c).toBeInstanceOf(GpuOperationError);
    expect(c.message).toContain('"compute output 0"');
  });
});

describe('readMapped / writeMapped (read_mapped, write_mapped)', () => {
  test('read any range of a mapped buffer, as often as wanted, copies that outlive unmap()', async () => {
    const device = await getDefaultDevice();
    const buffer = createBufferWithData(device, new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]), GPUBufferUsage.COPY_SRC);
    const dst = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, dst, 0, 16);
    device.queue.submit([encoder.finish()]);
    const notMapped = thrown(() => readMapped(dst));
    expect(notMapped).toBeInstanceOf(GpuOperationError);
    expect(notMapped.message).toContain('mapAsync(GPUMapMode.READ)');
    await dst.mapAsync(GPUMapMode.READ);
    const a = readMapped(dst, 3, 5); // unaligned offset and size: getMappedRange would refuse both
    const b = readMapped(dst, 2, 4); // overlapping: a second getMappedRange would throw
    const all = readMapped(dst);
    dst.unmap();
    expect([...a]).toEqual([3, 4, 5, 6, 7]);
    expect([...b]).toEqual([2, 3, 4, 5]);
    expect([...all]).toEqual([...Array(16).keys()]);
    expect(thrown(() => readMapped(dst))).toBeInstanceOf(GpuOperationError);
    await dst.mapAsync(GPUMapMode.READ, 8, 8);
    expect([...readMapped(dst, 9, 2)]).toEqual([9, 10]);
    const outside = thrown(() => readMapped(dst, 0, 4));
    expect(outside).toBeInstanceOf(GpuOperationError);
    expect(outside.message).toContain('not in its mapped range');
    expect(thrown(() => readMapped(dst, 12, 8))).toBeInstanceOf(InvalidArgumentError);
    dst.unmap();
  });

  test('write at any offset into a mapped buffer; the data arrives when it is unmapped', async () => {
    const device = await getDefaultDevice();
    const buffer = device.createBuffer({ size: 12, usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
    writeMapped(buffer, new Uint8Array([1, 2, 3]), 1);
    writeMapped(buffer, new Uint8Array([9, 9, 9, 9]), 5, 2);
    buffer.unmap();
    expect(thrown(() => writeMapped(buffer, new Uint8Array(1)))).toBeInstanceOf(GpuOperationError);
    await buffer.mapAsync(GPUMapMode.WRITE);
    writeMapped(buffer, new Uint16Array([0x0807]), 10);
    expect(thrown(() => writeMapped(buffer, new Uint8Array(4), 10))).toBeInstanceOf(InvalidArgumentError);
    buffer.unmap();
    const copy = device.createBuffer({ size: 12, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, copy, 0, 12);
    device.queue.submit([encoder.finish()]);
    expect([...await readBuffer(copy)]).toEqual([0, 1, 2, 3, 0, 9, 9, 0, 0, 0, 7, 8]);
  });
});

describe('sizes of textures and views (GPUTexture.size, GPUTextureView.size / .texture)', () => {
  test('a view knows its texture and the size of the mip level and layers it covers', async () => {
    const device = await getDefaultDevice();
    const texture = device.createTexture({ size: [16, 8, 3], mipLevelCount: 3, format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING });
    expect(textureSize(texture)).toEqual([16, 8, 3]);
    const whole = texture.createView();
    expect(viewTexture(whole)).toBe(texture);
    expect(textureViewSize(whole)).toEqual([16, 8, 3]);
    const mip = texture.createView({ dimension: '2d', baseMipLevel: 2, mipLevelCount: 1, baseArrayLayer: 1, arrayLayerCount: 1 });
    expect(viewTexture(mip)).toBe(texture);
    expect(textureViewSize(mip)).toEqual([4, 2, 1]);
    const layers = texture.createView({ dimension: '2d-array', baseArrayLayer: 1 });
    expect(textureViewSize(layers)).toEqual([16, 8, 2]);
    expect(thrown(() => textureViewSize({} as GPUTextureView))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => viewTexture(null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => textureSize(undefined as never))).toBeInstanceOf(InvalidArgumentError);
    texture.destroy();
  });
});
