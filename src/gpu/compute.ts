// One-call compute: bind CPU arrays as storage buffers, run a WGSL shader, read the outputs.
import { InvalidArgumentError } from '../errors.js';
import { bytesOf, checkDevice, createBufferWithData, readBuffer, type BufferSource } from './buffers.js';
import { getDefaultDevice } from './device.js';
import { checked } from './scopes.js';
import { checkOptionNames, optionNames } from '../options-check.js';

/** A typed-array class, e.g. `Float32Array`. */
export type TypedArrayConstructor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/**
 * An output of {@link computeWithBuffers}: a byte count, or a typed-array type and a shape
 * (`[Float32Array, 100]`, `[Uint32Array, 3, 4]`: 12 elements).
 */
export type OutputSpec = number | readonly [TypedArrayConstructor, number, ...number[]];

/** The array an {@link OutputSpec} reads back as (flat, row-major for shapes of several dimensions). */
export type OutputArray<S> = S extends readonly [infer C, ...number[]]
  ? C extends new (buffer: ArrayBuffer) => infer A ? A : never
  : Uint8Array;

/** Options of {@link computeWithBuffers}. */
export interface ComputeOptions {
  /** Device to run on. Default: {@link getDefaultDevice}(). */
  device?: GPUDevice;
  /** Shader entry point. Default: the shader's only `@compute` function. */
  entryPoint?: string;
}

const COMPUTE_OPTION_NAMES = optionNames<ComputeOptions>({ device: true, entryPoint: true });

function bindingIndex(key: string, what: string): number {
  const i = Number(key);
  if (!Number.isInteger(i) || i < 0) throw new InvalidArgumentError(`computeWithBuffers: ${what} keys are binding indices (non-negative integers), got "${key}"`);
  return i;
}

interface OutputInfo {
  /** Bytes of the result. */
  bytes: number;
  /** Elements of the result (bytes for a byte count). */
  elements: number;
  /** The default dispatch count: the first dimension (the seed's "length"). */
  length: number;
}

function outputInfo(spec: OutputSpec, key: string): OutputInfo {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec <= 0) throw new InvalidArgumentError(`computeWithBuffers: output ${key} byte size must be a positive integer, got ${spec}`);
    return { bytes: spec, elements: spec, length: spec };
  }
  if (!Array.isArray(spec) || spec.length < 2) {
    throw new InvalidArgumentError(`computeWithBuffers: output ${key} must be a byte count or [TypedArrayType, ...shape], e.g. [Float32Array, 100] or [Uint32Array, 3, 4]`);
  }
  const [ctor, ...shape] = spec;
  if (typeof ctor !== 'function' || !('BYTES_PER_ELEMENT' in ctor)) throw new InvalidArgumentError(`computeWithBuffers: output ${key} must be a byte count or [TypedArrayType, ...shape], e.g. [Float32Array, 100] or [Uint32Array, 3, 4]`);
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) throw new InvalidArgumentError(`computeWithBuffers: output ${key} shape must be positive integers, got ${JSON.stringify(shape)}`);
  const elements = shape.reduce((a, b) => a * b, 1);
  return { bytes: ctor.BYTES_PER_ELEMENT * elements, elements, length: shape[0]! };
}

function workgroups(n: number | readonly number[]): [number, number, number] {
  const xyz = typeof n === 'number' ? [n, 1, 1] : Array.isArray(n) ? [...n, 1, 1, 1].slice(0, 3) : [NaN];
  if (!xyz.every((v) => Number.isInteger(v) && v >= 1) || (typeof n !== 'number' && (n.length < 1 || n.length > 3))) {
    throw new InvalidArgumentError(`computeWithBuffers: n must be a positive integer or [x, y?, z?] of positive integers, got ${JSON.stringify(n)}`);
  }
  return xyz as [number, number, number];
}

/**
 * Runs a compute shader over CPU arrays (the seed's `compute_with_buffers`): each input is
 * copied to a storage buffer at `@group(0) @binding(key)`, each output gets a storage buffer of
 * its size (an index in both starts with the input's data), the shader is dispatched with `n`
 * workgroups, and the outputs are read back. The bind group layout is explicit, as in the seed:
 * outputs are `storage` (`var<storage, read_write>`), inputs only `read-only-storage`
 * (`var<storage, read>`); bindings the shader does not use are fine.
 * @param inputs binding index -> data.
 * @param outputs binding index -> byte size (read back as Uint8Array) or `[TypedArrayType, ...shape]`
 *   (read back as that typed array, flat, row-major: `[Uint32Array, 3, 4]` gives 12 elements).
 * @param wgsl the shader source.
 * @param n workgroups to dispatch: an integer or `[x, y, z]`. Default: the first output's length
 *   as given: its byte count, or the first dimension of its shape (3 for `[Uint32Array, 3, 4]`);
 *   the first output is the one with the lowest binding index (JavaScript orders integer keys).
 * @returns binding index -> output array.
 * @throws {InvalidArgumentError} for bad arguments; {@link GpuValidationError} (shader, layout,
 *   sizes above the device's limits), {@link GpuOutOfMemoryError}, {@link GpuInternalError}.
 */
export async function computeWithBuffers<O extends Record<number, OutputSpec>>(
  inputs: Record<number, BufferSource>, outputs: O, wgsl: string, n?: number | readonly number[],
  options: ComputeOptions = {},
): Promise<{ [K in keyof O]: OutputArray<O[K]> }> {
  if (inputs === null || typeof inputs !== 'object') throw new InvalidArgumentError('computeWithBuffers: inputs must be an object of binding index -> ArrayBuffer or typed array ({} for none)');
  if (outputs === null || typeof outputs !== 'object') throw new InvalidArgumentError('computeWithBuffers: outputs must be an object of binding index -> byte size or [TypedArrayType, ...shape]');
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('computeWithBuffers: options must be an object');
  checkOptionNames('computeWithBuffers', options, COMPUTE_OPTION_NAMES);
  if (options.entryPoint !== undefined && typeof options.entryPoint !== 'string') throw new InvalidArgumentError(`computeWithBuffers: options.entryPoint must be the name of a @compute function, got ${typeof options.entryPoint}`);
  const outKeys = Object.keys(outputs);
  if (outKeys.length === 0) throw new InvalidArgumentError('computeWithBuffers: give at least one output');
  if (typeof wgsl !== 'string' || wgsl.length === 0) throw new InvalidArgumentError('computeWithBuffers: wgsl must be a non-empty WGSL source string');
  const infos = new Map(outKeys.map((k) => [bindingIndex(k, 'output'), outputInfo(outputs[k as unknown as keyof O] as OutputSpec, k)]));
  const inputData = new Map(Object.entries(inputs).map(([k, data]) => [bindingIndex(k, 'input'), bytesOf(data)]));
  const dispatch = workgroups(n ?? infos.get(bindingIndex(outKeys[0]!, 'output'))!.length);
  if (options.device !== undefined) checkDevice(options.device, 'computeWithBuffers: options.device');
  const device = options.device ?? await getDefaultDevice();

  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = new Map<number, GPUBuffer>();
  try {
    await checked(device, 'computeWithBuffers', () => {
      for (const [i, bytes] of inputData) {
        const info = infos.get(i);
        if (info === undefined) {
          buffers.set(i, createBufferWithData(device, bytes, usage, `compute input ${i}`));
          continue;
        }
        // Input and output at one binding: the buffer has the output's size and starts with the input.
        const buf = device.createBuffer({ label: `compute binding ${i}`, size: Math.ceil(info.bytes / 4) * 4, usage });
        buffers.set(i, buf);
        const n = Math.min(bytes.byteLength, buf.size);
        const padded = new Uint8Array(Math.ceil(n / 4) * 4); // writeBuffer wants whole 4-byte words
        padded.set(bytes.subarray(0, n));
        device.queue.writeBuffer(buf, 0, padded);
      }
      for (const [i, info] of infos) {
        if (!buffers.has(i)) buffers.set(i, device.createBuffer({ label: `compute output ${i}`, size: Math.ceil(info.bytes / 4) * 4, usage }));
      }
      const layout = device.createBindGroupLayout({
        label: 'computeWithBuffers',
        entries: [...buffers.keys()].map((binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: infos.has(binding) ? 'storage' : 'read-only-storage' } as GPUBufferBindingLayout,
        })),
      });
      const module = device.createShaderModule({ label: 'computeWithBuffers shader', code: wgsl });
      const pipeline = device.createComputePipeline({
        label: 'computeWithBuffers',
        layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: options.entryPoint },
      });
      const bindGroup = device.createBindGroup({
        layout,
        entries: [...buffers].map(([binding, buffer]) => ({ binding, resource: { buffer } })),
      });
      const encoder = device.createCommandEncoder({ label: 'computeWithBuffers' });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...dispatch);
      pass.end();
      device.queue.submit([encoder.finish()]);
    });
    const result: Record<string, unknown> = {};
    for (const k of outKeys) {
      const spec = outputs[k as unknown as keyof O] as OutputSpec;
      const i = Number(k);
      const info = infos.get(i)!;
      const bytes = await readBuffer(buffers.get(i)!, 0, Math.ceil(info.bytes / 4) * 4);
      result[k] = typeof spec === 'number'
        ? bytes.subarray(0, spec)
        : new spec[0](bytes.buffer as ArrayBuffer, 0, info.elements);
    }
    return result as { [K in keyof O]: OutputArray<O[K]> };
  } finally {
    for (const b of buffers.values()) b.destroy();
  }
}
