// Reads and writes of mapped buffers without getMappedRange's pitfalls (the seed's read_mapped /
// write_mapped): no alignment asked of offsets and sizes, overlapping ranges fine, copies that
// outlive unmap(), and clear errors for buffers that are not mapped.
import { GpuOperationError, InvalidArgumentError } from '../errors.js';
import { bytesOf, checkBuffer, type BufferSource } from './buffers.js';

interface MappedPiece {
  start: number;
  bytes: Uint8Array;
}

// The ranges dawn-rfb got from getMappedRange for each buffer's current mapping. getMappedRange
// may not be called twice for overlapping ranges, so every later read or write of a range already
// obtained reuses it. Unmapping detaches the ArrayBuffers, which marks the pieces stale.
const pieces = new WeakMap<GPUBuffer, MappedPiece[]>();

function mappedBytes(buffer: GPUBuffer, offset: number, size: number, what: string): Uint8Array {
  let list = (pieces.get(buffer) ?? []).filter((p) => p.bytes.byteLength > 0 || p.bytes.buffer.byteLength > 0);
  const hit = list.find((p) => p.start <= offset && offset + size <= p.start + p.bytes.byteLength);
  if (hit) return hit.bytes.subarray(offset - hit.start, offset - hit.start + size);
  // Ask for the whole buffer first (covers every later call), else the aligned range around this one.
  const start = offset - (offset % 8);
  const end = Math.min(buffer.size, Math.ceil((offset + size) / 4) * 4);
  for (const [s, e] of [[0, buffer.size], [start, end]] as const) {
    try {
      const piece = { start: s, bytes: new Uint8Array(buffer.getMappedRange(s, e - s)) };
      list = [...list, piece];
      pieces.set(buffer, list);
      return piece.bytes.subarray(offset - s, offset - s + size);
    } catch {
      // try the next range
    }
  }
  throw new GpuOperationError(`${what}: bytes ${offset}..${offset + size} of buffer "${buffer.label}" are not in its mapped range, or were already taken with buffer.getMappedRange() (use only readMapped/writeMapped on a mapping)`);
}

function checkMappedRange(buffer: GPUBuffer, offset: number, size: number | undefined, what: string): number {
  checkBuffer(buffer, what);
  if (buffer.mapState !== 'mapped') {
    throw new GpuOperationError(`${what}: buffer "${buffer.label}" is ${buffer.mapState}, not mapped; first \`await buffer.mapAsync(GPUMapMode.${what === 'readMapped' ? 'READ' : 'WRITE'})\` (or create it with mappedAtCreation)`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset > buffer.size) {
    throw new InvalidArgumentError(`${what}: offset must be an integer in 0..${buffer.size} (the buffer's size), got ${offset}`);
  }
  const n = size ?? buffer.size - offset;
  if (!Number.isInteger(n) || n < 0 || offset + n > buffer.size) {
    throw new InvalidArgumentError(`${what}: size must be a non-negative integer with offset + size <= ${buffer.size} (the buffer's size), got offset ${offset} and size ${n}`);
  }
  return n;
}

/**
 * Copies bytes out of a mapped buffer (the seed's `GPUBuffer.read_mapped`). Any offset and size
 * work (no alignment asked), any number of calls may read overlapping ranges, and the result is
 * a copy that stays valid after `unmap()`.
 * @param offset byte offset. Default 0.
 * @param size byte count. Default: the rest of the buffer.
 * @throws {GpuOperationError} when the buffer is not mapped, or the range is outside its mapped
 *   range; {@link InvalidArgumentError} for bad offsets and sizes.
 */
export function readMapped(buffer: GPUBuffer, offset = 0, size?: number): Uint8Array {
  const n = checkMappedRange(buffer, offset, size, 'readMapped');
  if (n === 0) return new Uint8Array(0);
  return mappedBytes(buffer, offset, n, 'readMapped').slice();
}

/**
 * Copies `data` into a mapped buffer at `offset` (the seed's `GPUBuffer.write_mapped`); the data
 * reaches the GPU when the buffer is unmapped. Any offset works, as for {@link readMapped}.
 * @param size bytes of `data` to write. Default: all of it.
 * @throws {GpuOperationError} when the buffer is not mapped (for writing: MAP_WRITE usage, or
 *   mappedAtCreation); {@link InvalidArgumentError} for ranges outside the buffer.
 */
export function writeMapped(buffer: GPUBuffer, data: BufferSource, offset = 0, size?: number): void {
  const bytes = bytesOf(data);
  const n = size ?? bytes.byteLength;
  if (!Number.isInteger(n) || n < 0 || n > bytes.byteLength) {
    throw new InvalidArgumentError(`writeMapped: size must be an integer in 0..${bytes.byteLength} (the data's byte length), got ${n}`);
  }
  checkMappedRange(buffer, offset, n, 'writeMapped');
  if (n === 0) return;
  mappedBytes(buffer, offset, n, 'writeMapped').set(bytes.subarray(0, n));
}
