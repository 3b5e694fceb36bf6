// Buffers filled from and read back to the CPU.
import { InvalidArgumentError } from '../errors.js';
import { deviceOf } from './owners.js';
import { checked } from './scopes.js';

/** CPU data a GPU buffer can be filled from. */
export type BufferSource = ArrayBuffer | ArrayBufferView;

/** The bytes of an ArrayBuffer or of a view, without copying. */
export function bytesOf(data: BufferSource): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new InvalidArgumentError(`expected an ArrayBuffer or a typed array, got ${data === null ? 'null' : typeof data}`);
}

/**
 * Creates a buffer holding a copy of `data` (its size rounded up to 4 bytes, as WebGPU requires
 * for mapped buffers).
 * @param usage GPUBufferUsage flags. Default: `STORAGE | COPY_SRC | COPY_DST`.
 */
export function createBufferWithData(device: GPUDevice, data: BufferSource,
  usage: GPUBufferUsageFlags = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  label = 'dawn-rfb buffer'): GPUBuffer {
  const bytes = bytesOf(data);
  const buffer = device.createBuffer({ label, size: Math.max(4, Math.ceil(bytes.byteLength / 4) * 4), usage, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(bytes);
  buffer.unmap();
  return buffer;
}

/**
 * Reads `size` bytes of a buffer from `offset` into a new Uint8Array. Buffers with `MAP_READ`
 * usage are mapped directly; others need `COPY_SRC` and go through a staging buffer.
 * @param offset byte offset, a multiple of 4. Default 0.
 * @param size byte count, a multiple of 4. Default: the rest of the buffer.
 */
export async function readBuffer(buffer: GPUBuffer, offset = 0, size?: number): Promise<Uint8Array> {
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
    // mapAsync wants an offset that is a multiple of 8: map the aligned range around it.
    const start = offset - (offset % 8);
    await buffer.mapAsync(GPUMapMode.READ, start, offset + n - start);
    const out = new Uint8Array(buffer.getMappedRange(start, offset + n - start).slice(offset - start));
    buffer.unmap();
    return out;
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
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Uint8Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}
