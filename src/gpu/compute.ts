// One-call compute: bind CPU arrays as storage buffers, run a WGSL shader, read the outputs.
import { InvalidArgumentError } from '../errors.js';
import { createBufferWithData, readBuffer, type BufferSource } from './buffers.js';
import { getDefaultDevice } from './device.js';
import { checked } from './scopes.js';

/** A typed-array class, e.g. `Float32Array`. */
export type TypedArrayConstructor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/** An output of {@link computeWithBuffers}: a byte count, or a typed-array type and length. */
export type OutputSpec = number | readonly [TypedArrayConstructor, number];

/** The array an {@link OutputSpec} reads back as. */
export type OutputArray<S> = S extends readonly [infer C, number]
  ? C extends new (buffer: ArrayBuffer) => infer A ? A : never
  : Uint8Array;

/** Options of {@link computeWithBuffers}. */
export interface ComputeOptions {
  /** Device to run on. Default: {@link getDefaultDevice}(). */
  device?: GPUDevice;
  /** Shader entry point. Default: the shader's only `@compute` function. */
  entryPoint?: string;
}

function bindingIndex(key: string, what: string): number {
  const i = Number(key);
  if (!Number.isInteger(i) || i < 0) throw new InvalidArgumentError(`computeWithBuffers: ${what} keys are binding indices (non-negative integers), got "${key}"`);
  return i;
}

function outputBytes(spec: OutputSpec, key: string): number {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec <= 0) throw new InvalidArgumentError(`computeWithBuffers: output ${key} byte size must be a positive integer, got ${spec}`);
    return spec;
  }
  const [ctor, length] = spec;
  if (typeof ctor !== 'function' || !('BYTES_PER_ELEMENT' in ctor)) throw new InvalidArgumentError(`computeWithBuffers: output ${key} must be a byte count or [TypedArrayType, length], e.g. [Float32Array, 100]`);
  if (!Number.isInteger(length) || length <= 0) throw new InvalidArgumentError(`computeWithBuffers: output ${key} length must be a positive integer, got ${length}`);
  return ctor.BYTES_PER_ELEMENT * length;
}

function workgroups(n: number | readonly number[]): [number, number, number] {
  const xyz = typeof n === 'number' ? [n, 1, 1] : [...n, 1, 1, 1].slice(0, 3);
  if (!xyz.every((v) => Number.isInteger(v) && v >= 1) || (typeof n !== 'number' && (n.length < 1 || n.length > 3))) {
    throw new InvalidArgumentError(`computeWithBuffers: n must be a positive integer or [x, y?, z?] of positive integers, got ${JSON.stringify(n)}`);
  }
  return xyz as [number, number, number];
}

/**
 * Runs a compute shader over CPU arrays: each input is copied to a storage buffer at
 * `@group(0) @binding(key)`, each output gets a storage buffer of its size (an index in both
 * starts with the input's data), the shader is dispatched with `n` workgroups, and the outputs are
 * read back.
 * @param inputs binding index -> data.
 * @param outputs binding index -> byte size (read back as Uint8Array) or `[TypedArrayType, length]`.
 * @param wgsl the shader source.
 * @param n workgroups to dispatch: an integer or `[x, y, z]`. Default: the element count of the
 *   first output (bytes for a byte-size output).
 * @returns binding index -> output array.
 */
export async function computeWithBuffers<O extends Record<number, OutputSpec>>(
  inputs: Record<number, BufferSource>, outputs: O, wgsl: string, n?: number | readonly number[],
  options: ComputeOptions = {},
): Promise<{ [K in keyof O]: OutputArray<O[K]> }> {
  const outKeys = Object.keys(outputs);
  if (outKeys.length === 0) throw new InvalidArgumentError('computeWithBuffers: give at least one output');
  if (typeof wgsl !== 'string' || wgsl.length === 0) throw new InvalidArgumentError('computeWithBuffers: wgsl must be a non-empty WGSL source string');
  const sizes = new Map(outKeys.map((k) => [bindingIndex(k, 'output'), outputBytes(outputs[k as unknown as keyof O] as OutputSpec, k)]));
  const first = outputs[outKeys[0] as unknown as keyof O] as OutputSpec;
  const dispatch = workgroups(n ?? (typeof first === 'number' ? first : first[1]));
  const device = options.device ?? await getDefaultDevice();

  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = new Map<number, GPUBuffer>();
  for (const [k, data] of Object.entries(inputs)) {
    const i = bindingIndex(k, 'input');
    const size = sizes.get(i);
    if (size !== undefined) {
      // Input and output at one binding: the buffer has the output's size and starts with the input.
      const buf = device.createBuffer({ label: `compute binding ${i}`, size: Math.ceil(size / 4) * 4, usage });
      const bytes = createBufferWithData(device, data, usage, `compute input ${i}`);
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(bytes, 0, buf, 0, Math.min(bytes.size, buf.size));
      device.queue.submit([encoder.finish()]);
      bytes.destroy();
      buffers.set(i, buf);
    } else {
      buffers.set(i, createBufferWithData(device, data, usage, `compute input ${i}`));
    }
  }
  for (const [i, size] of sizes) {
    if (!buffers.has(i)) buffers.set(i, device.createBuffer({ label: `compute output ${i}`, size: Math.ceil(size / 4) * 4, usage }));
  }
  try {
    await checked(device, 'computeWithBuffers', () => {
      const module = device.createShaderModule({ label: 'computeWithBuffers shader', code: wgsl });
      const pipeline = device.createComputePipeline({
        label: 'computeWithBuffers', layout: 'auto',
        compute: { module, entryPoint: options.entryPoint },
      });
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
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
      const bytes = await readBuffer(buffers.get(i)!, 0, Math.ceil(sizes.get(i)! / 4) * 4);
      result[k] = typeof spec === 'number'
        ? bytes.subarray(0, spec)
        : new spec[0](bytes.buffer as ArrayBuffer, 0, spec[1]);
    }
    return result as { [K in keyof O]: OutputArray<O[K]> };
  } finally {
    for (const b of buffers.values()) b.destroy();
  }
}
