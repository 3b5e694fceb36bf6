// Buffers filled from and read back to the CPU.
import { GpuOperationError, GpuOutOfMemoryError, GpuValidationError, InvalidArgumentError } from '../errors.js';
import { deviceOf } from './owners.js';
import { checked, mapBuffer, wrapGpuException } from './scopes.js';

/** CPU data a GPU buffer can be filled from. */
export type BufferSource = ArrayBuffer | ArrayBufferView;

/** The bytes of an ArrayBuffer or of a view, without copying. */
export function bytesOf(data: BufferSource): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new InvalidArgumentError(`expected an ArrayBuffer or a typed array, got ${data === null ? 'null' : typeof data}`);
}

/** Throws InvalidArgumentError unless `device` looks like a GPUDevice. */
export function checkDevice(device: unknown, what: string): asserts device is GPUDevice {
  if (device === null || typeof device !== 'object' || typeof (device as GPUDevice).createBuffer !== 'function') {
    throw new InvalidArgumentError(`${what}: expected a GPUDevice (e.g. await getDefaultDevice()), got ${device === null ? 'null' : typeof device}`);
  }
}

/** Throws InvalidArgumentError unless `buffer` is a GPUBuffer. */
export function checkBuffer(buffer: unknown, what: string): asserts buffer is GPUBuffer {
  if (buffer === null || typeof buffer !== 'object' || typeof (buffer as GPUBuffer).mapAsync !== 'function') {
    throw new InvalidArgumentError(`${what}: expected a GPUBuffer, got ${buffer === null ? 'null' : typeof buffer}`);
  }
}

const U = () => GPUBufferUsage;
const ALL_USAGE = () => U().MAP_READ | U().MAP_WRITE | U().COPY_SRC | U().COPY_DST | U().INDEX | U().VERTEX
  | U().UNIFORM | U().STORAGE | U().INDIRECT | U().QUERY_RESOLVE;

/**
 * WebGPU's createBuffer rules on usage and size, checked before the call: a buffer created
 * invalid would only report why asynchronously, and its mapped range would be empty.
 */
function checkBufferDescriptor(device: GPUDevice, usage: number, size: number, what: string): void {
  if (!Number.isInteger(usage) || usage <= 0 || (usage & ~ALL_USAGE()) !== 0) {
    throw new GpuValidationError(`${what}: usage must be a non-zero combination of GPUBufferUsage flags, got ${usage}`);
  }
  if ((usage & U().MAP_READ) && (usage & ~(U().MAP_READ | U().COPY_DST))) {
    throw new GpuValidationError(`${what}: a buffer with MAP_READ usage may only add COPY_DST (WebGPU rule), got usage ${usage}`);
  }
  if ((usage & U().MAP_WRITE) && (usage & ~(U().MAP_WRITE | U().COPY_SRC))) {
    throw new GpuValidationError(`${what}: a buffer with MAP_WRITE usage may only add COPY_SRC (WebGPU rule), got usage ${usage}`);
  }
  if (size > device.limits.maxBufferSize) {
    throw new GpuOutOfMemoryError(`${what}: ${size} bytes exceed this device's maxBufferSize (${device.limits.maxBufferSize}); request a larger limit with requestDevice({ requiredLimits: { maxBufferSize } }) (at most the adapter's limits.maxBufferSize)`);
  }
}

/**
 * Creates a buffer holding a copy of `data` (its size rounded up to 4 bytes, as WebGPU requires
 * for mapped buffers).
 * @param usage GPUBufferUsage flags. Default: `STORAGE | COPY_SRC | COPY_DST`.
 * @throws {GpuValidationError} for an invalid usage; {@link GpuOutOfMemoryError} for a size above
 *   the device's maxBufferSize or when the memory cannot be had.
 */
export function createBufferWithData(device: GPUDevice, data: BufferSource,
  usage: GPUBufferUsageFlags = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  label = 'dawn-rfb buffer'): GPUBuffer {
  checkDevice(device, 'createBufferWithData');
  const bytes = bytesOf(data);
  if (typeof label !== 'string') throw new InvalidArgumentError(`createBufferWithData: label must be a string, got ${typeof label}`);
  const size = Math.max(4, Math.ceil(bytes.byteLength / 4) * 4);
  checkBufferDescriptor(device, usage, size, 'createBufferWithData');
  let buffer: GPUBuffer;
  try {
    buffer = device.createBuffer({ label, size, usage, mappedAtCreation: true });
  } catch (e) {
    // dawn.node throws a RangeError when the memory to map cannot be allocated.
    throw new GpuOutOfMemoryError(`createBufferWithData: could not allocate ${size} bytes (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  const range = buffer.getMappedRange();
  if (range.byteLength < bytes.byteLength) {
    buffer.destroy();
    throw new GpuOperationError(`createBufferWithData: the new buffer "${label}" could not be mapped (its device may be lost or destroyed)`);
  }
  new Uint8Array(range).set(bytes);
  buffer.unmap();
  return buffer;
}

// Reads of one MAP_READ buffer run one after the other: a second mapAsync while the first is
// pending is an OperationError with an empty message in Dawn.
const mapQueues = new WeakMap<GPUBuffer, Promise<unknown>>();

function serialised<T>(buffer: GPUBuffer, fn: () => Promise<T>): Promise<T> {
  const previous = mapQueues.get(buffer) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  mapQueues.set(buffer, next.catch(() => undefined));
  return next;
}

/**
 * Reads `size` bytes of a buffer from `offset` into a new Uint8Array. Buffers with `MAP_READ`
 * usage are mapped directly (concurrent reads of one buffer run one after the other; a buffer
 * the caller has mapped is refused); others need `COPY_SRC` and go through a staging buffer.
 * @param offset byte offset, a multiple of 4. Default 0.
 * @param size byte count, a multiple of 4. Default: the rest of the buffer.
 * @throws {InvalidArgumentError} for bad ranges or usages; {@link GpuOperationError} for a buffer
 *   mapped by the caller, destroyed, or whose device is gone.
 */
export async function readBuffer(buffer: GPUBuffer, offset = 0, size?: number): Promise<Uint8Array> {
  checkBuffer(buffer, 'readBuffer');
  const device = deviceOf(buffer);
  const n = size ?? buffer.size - offset;
  if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) {
    throw new InvalidArgumentError(`readBuffer: offset must be a non-negative multiple of 4, got ${offset}`);
  }
  if (!Number.isInteger(n) || n < 0 || n % 4 !== 0 || offset + n > buffer.size) {
    throw new InvalidArgumentError(`readBuffer: size must be a multiple of 4 with offset + size <= ${buffer.size} (the buffer's size), got offset ${offset} and size ${n}`);
  }
  if (n === 0) return new Uint8Array(0);
  if (buffer.usage & GPUBufferUsage.MAP_READ) {
    if (buffer.mapState !== 'unmapped' && !mapQueues.has(buffer)) refuseMapped(buffer, 'readBuffer');
    return serialised(buffer, async () => {
      if (buffer.mapState !== 'unmapped') refuseMapped(buffer, 'readBuffer');
      // mapAsync wants an offset that is a multiple of 8: map the aligned range around it.
      const start = offset - (offset % 8);
      await mapBuffer(buffer, GPUMapMode.READ, 'readBuffer', start, offset + n - start);
      try {
        return new Uint8Array(buffer.getMappedRange(start, offset + n - start).slice(offset - start));
      } catch (e) {
        throw wrapGpuException(`readBuffer: getMappedRange of buffer "${buffer.label}"`, e);
      } finally {
        buffer.unmap();
      }
    });
  }
  if (!(buffer.usage & GPUBufferUsage.COPY_SRC)) {
    throw new InvalidArgumentError(`readBuffer: buffer "${buffer.label}" needs COPY_SRC or MAP_READ usage`);
  }
  const staging = device.createBuffer({ label: 'dawn-rfb readBuffer staging', size: n, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  try {
    await checked(device, 'readBuffer', () => {
      const encoder = device.createCommandEncoder({ label: 'dawn-rfb readBuffer' });
      encoder.copyBufferToBuffer(buffer, offset, staging, 0, n);
      device.queue.submit([encoder.finish()]);
    });
    await mapBuffer(staging, GPUMapMode.READ, `readBuffer of "${buffer.label}"`);
    const out = new Uint8Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}

function refuseMapped(buffer: GPUBuffer, what: string): never {
  throw new GpuOperationError(`${what}: buffer "${buffer.label}" is ${buffer.mapState} by someone else; call buffer.unmap() first (or use readMapped() while it is mapped)`);
}
