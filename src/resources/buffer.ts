// pygfx-style Buffer: CPU data kept by reference, a GPU copy made on first use, and partial
// updates tracked as dirty chunks that upload at the next sync, adjacent chunks merged.
import { InvalidArgumentError } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { autoChunkBytes, DirtyChunks, type BufferWrite } from './chunks.js';
import { bindDevice, gpuSize, writeBytes } from './device-binding.js';
import { bytesOf, describe, isBufferData, parseFormat, scalarOf, type BufferData } from './format.js';
import { BufferUsage } from './usage.js';

export type { BufferWrite } from './chunks.js';

/** Options of {@link Buffer}. All optional. */
export interface BufferOptions {
  /** Size in bytes. Required without data; with data it must equal the data's byteLength. */
  nbytes?: number;
  /** Number of items. Required without data; with data it reinterprets the item count. Default: one item per element of a TypedArray, per byte otherwise. */
  nitems?: number;
  /** "3xf4"-style or a WebGPU vertex/index format. Default: inferred from the data and nitems. */
  format?: string;
  /** Upload chunk size in items. Default: automatic (about 32 chunks, 16-byte aligned, 256 B..1 MiB). */
  chunkSize?: number;
  /** Refuse data that would be converted at upload time (plain arrays). Default false. */
  forceContiguous?: boolean;
  /** GPUBufferUsage flags OR'ed with those derived from how the buffer is used. Default 0. */
  usage?: GPUBufferUsageFlags;
  /** Debug label of the GPU buffer. Default "dawn-rfb Buffer". */
  label?: string;
}

function count(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(`Buffer: ${name} must be an integer >= ${min}, got ${describe(v)}`);
  }
  return v;
}

const BUFFER_OPTION_NAMES = optionNames<BufferOptions>({
  nbytes: true, nitems: true, format: true, chunkSize: true, forceContiguous: true, usage: true, label: true,
});

/**
 * A contiguous piece of GPU memory with an optional CPU copy (`data`, kept by reference: change
 * it in place and call {@link updateRange} to upload the change at the next sync).
 */
export class Buffer {
  #data: BufferData | undefined;
  #nbytes: number;
  #nitems: number;
  #format: string | undefined;
  #forceContiguous: boolean;
  #usage: number;
  #chunkItems: number | undefined;
  #chunks: DirtyChunks;
  #drawRange: [number, number];
  #device: GPUDevice | undefined;
  #gpu: GPUBuffer | undefined;
  #gpuUsage = 0;
  #rev = 0;
  readonly #label: string;
  /** The writes the last {@link sync} made (byte offset and size of each queue.writeBuffer). */
  lastWrites: BufferWrite[] = [];

  constructor(data?: BufferData | ArrayLike<number> | null, options: BufferOptions = {}) {
    checkOptionNames('Buffer', options, BUFFER_OPTION_NAMES);
    this.#forceContiguous = options.forceContiguous ?? false;
    this.#usage = count('usage', options.usage ?? 0, 0);
    this.#label = options.label ?? 'dawn-rfb Buffer';
    if (options.chunkSize !== undefined) this.#chunkItems = count('chunkSize', options.chunkSize, 1);
    const d = data == null ? undefined : this.#checkData(data);
    if (d === undefined) {
      if (options.nbytes === undefined || options.nitems === undefined) {
        throw new InvalidArgumentError('Buffer: without data, both nbytes and nitems are required (e.g. new Buffer(null, { nbytes: 1200, nitems: 100 }))');
      }
      this.#nbytes = count('nbytes', options.nbytes, 1);
      this.#nitems = count('nitems', options.nitems, 1);
    } else {
      this.#nbytes = d.byteLength;
      if (options.nbytes !== undefined && options.nbytes !== d.byteLength) {
        throw new InvalidArgumentError(`Buffer: nbytes ${options.nbytes} does not match the data's ${d.byteLength} bytes`);
      }
      if (this.#nbytes === 0) throw new InvalidArgumentError('Buffer: the data has zero items; a Buffer needs at least one');
      const elements = ArrayBuffer.isView(d) && !(d instanceof DataView) ? (d as Uint8Array).length : d.byteLength;
      const fromFormat = options.format !== undefined ? d.byteLength / parseFormat(options.format).itemsize : undefined;
      this.#nitems = options.nitems !== undefined ? count('nitems', options.nitems, 1)
        : fromFormat !== undefined && Number.isInteger(fromFormat) ? fromFormat : elements;
    }
    if (this.#nbytes % this.#nitems !== 0) {
      throw new InvalidArgumentError(`Buffer: ${this.#nbytes} bytes do not split into ${this.#nitems} items of equal size`);
    }
    this.#data = d;
    this.#format = options.format ?? inferFormat(d, this.itemsize);
    if (options.format !== undefined) {
      const parsed = parseFormat(options.format);
      if (parsed.itemsize !== this.itemsize) {
        throw new InvalidArgumentError(`Buffer: format "${options.format}" has ${parsed.itemsize}-byte items but the buffer's items are ${this.itemsize} bytes (${this.#nbytes} bytes / ${this.#nitems} items)`);
      }
    }
    this.#chunks = this.#newChunks();
    this.#drawRange = [0, this.#nitems];
    if (d) this.#chunks.markAll();
  }

  /** The data given (same object, not a copy), or undefined for a GPU-only buffer. */
  get data(): BufferData | undefined {
    return this.#data;
  }
  /** Size in bytes. */
  get nbytes(): number {
    return this.#nbytes;
  }
  /** Number of items. */
  get nitems(): number {
    return this.#nitems;
  }
  /** Bytes per item. */
  get itemsize(): number {
    return this.#nbytes / this.#nitems;
  }
  /** The element format ("3xf4", "u2", "float32x3"), or undefined for untyped bytes. */
  get format(): string | undefined {
    return this.#format;
  }
  /** The WebGPU vertex format of an item, if it has one. */
  get vertexFormat(): GPUVertexFormat | undefined {
    return this.#format ? parseFormat(this.#format).vertexFormat : undefined;
  }
  /** The WebGPU index format ("uint16"/"uint32"), if the buffer can be an index buffer. */
  get indexFormat(): GPUIndexFormat | undefined {
    return this.#format ? parseFormat(this.#format).indexFormat : undefined;
  }
  /** GPUBufferUsage flags: the override given plus those derived from use so far. */
  get usage(): number {
    return this.#usage | this.#gpuUsage;
  }
  /** Upload chunk size in bytes. */
  get chunkBytes(): number {
    return this.#chunks.chunkBytes;
  }
  /** Number of dirty chunks waiting for the next sync. */
  get pendingChunks(): number {
    return this.#chunks.dirtyCount;
  }
  /** Whether set data must be a TypedArray/ArrayBuffer (no conversion at upload). */
  get forceContiguous(): boolean {
    return this.#forceContiguous;
  }
  /** Increases with every change of data or range; renderers use it to notice changes. */
  get revision(): number {
    return this.#rev;
  }

  /** The items drawn: [offset, size]. Default: all items. */
  get drawRange(): readonly [number, number] {
    return this.#drawRange;
  }
  set drawRange(range: readonly [number, number]) {
    this.setDrawRange(range[0], range[1]);
  }
  /** Sets the items drawn (offset and size in items, within 0..nitems). */
  setDrawRange(offset: number, size: number): void {
    this.#checkRange('setDrawRange', offset, size);
    this.#drawRange = [offset, size];
    this.#rev++;
  }

  /**
   * Replaces the data without copying it; it must have the same byte size and element type.
   * The whole buffer uploads at the next sync.
   */
  setData(data: BufferData | ArrayLike<number>): void {
    const d = this.#checkData(data);
    if (d.byteLength !== this.#nbytes) {
      throw new InvalidArgumentError(`Buffer.setData: the new data has ${d.byteLength} bytes, the buffer ${this.#nbytes}; create a new Buffer to change the size`);
    }
    if (this.#data && scalarOf(this.#data) !== scalarOf(d)) {
      throw new InvalidArgumentError(`Buffer.setData: the new data is a ${describe(d)}, the buffer holds ${describe(this.#data)}`);
    }
    this.#data = d;
    this.updateFull();
  }

  /**
   * Marks items [offset, offset + size) for upload at the next sync. Size 0 is a no-op.
   * @param offset first item. Default 0.
   * @param size number of items. Default: to the end.
   */
  updateRange(offset = 0, size?: number): void {
    const n = size ?? this.#nitems - offset;
    this.#checkRange('updateRange', offset, n);
    if (n === 0) return;
    this.#chunks.markBytes(offset * this.itemsize, (offset + n) * this.itemsize);
    this.#rev++;
  }

  /** Marks the given item indices for upload at the next sync. */
  updateIndices(indices: ArrayLike<number>): void {
    const is = this.itemsize;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= this.#nitems) {
        throw new InvalidArgumentError(`Buffer.updateIndices: index ${String(i)} is out of range 0..${this.#nitems - 1}`);
      }
    }
    for (let k = 0; k < indices.length; k++) this.#chunks.markBytes(indices[k]! * is, (indices[k]! + 1) * is);
    if (indices.length) this.#rev++;
  }

  /** Marks the whole buffer for upload at the next sync. */
  updateFull(): void {
    this.#chunks.markAll();
    this.#rev++;
  }

  /**
   * Makes the GPU buffer current on `device`: creates it on first use (or when `usage` asks for
   * flags it lacks) and uploads the dirty chunks, adjacent ones in one write.
   * @param usage GPUBufferUsage flags this use needs (VERTEX, INDEX, UNIFORM, STORAGE...).
   * @throws {DeviceMismatchError} when the buffer was used with another device.
   */
  sync(device: GPUDevice, usage: GPUBufferUsageFlags = 0): GPUBuffer {
    this.#device = bindDevice(this.#device, device, 'this Buffer');
    const need = this.#usage | usage | BufferUsage.COPY_DST | BufferUsage.COPY_SRC;
    if (!this.#gpu || (this.#gpuUsage & need) !== need) {
      this.#gpu?.destroy();
      this.#gpuUsage |= need;
      this.#gpu = device.createBuffer({ label: this.#label, size: gpuSize(this.#nbytes), usage: this.#gpuUsage });
      if (this.#data) this.#chunks.markAll();
    }
    this.lastWrites = this.#data ? this.#chunks.take() : [];
    if (this.#data) {
      const bytes = bytesOf(this.#data);
      for (const w of this.lastWrites) writeBytes(device, this.#gpu, w.offset, bytes.subarray(w.offset, w.offset + w.size));
    }
    return this.#gpu;
  }

  /** The GPU buffer, if it was made (by a sync). */
  get gpuBuffer(): GPUBuffer | undefined {
    return this.#gpu;
  }

  /** Frees the GPU copy; the next sync makes a new one on the same device. */
  destroy(): void {
    this.#gpu?.destroy();
    this.#gpu = undefined;
    if (this.#data) this.#chunks.markAll();
  }

  #newChunks(): DirtyChunks {
    const bytes = this.#chunkItems !== undefined
      ? Math.max(16, Math.ceil((this.#chunkItems * this.itemsize) / 16) * 16)
      : autoChunkBytes(this.#nbytes);
    return new DirtyChunks(this.#nbytes, bytes);
  }

  #checkData(data: unknown): BufferData {
    if (isBufferData(data)) {
      if (data instanceof Float64Array || data instanceof BigInt64Array || data instanceof BigUint64Array) {
        throw new InvalidArgumentError(`Buffer: ${describe(data)} has no GPU element type; use Float32Array, (U)Int32Array, (U)Int16Array or (U)Int8Array`);
      }
      return data;
    }
    if (Array.isArray(data) && !this.#forceContiguous && data.every((v) => typeof v === 'number')) {
      return new Float32Array(data); // a plain array is converted once (then it is no longer shared)
    }
    throw new InvalidArgumentError(`Buffer: data must be a TypedArray, DataView or ArrayBuffer${this.#forceContiguous ? ' (forceContiguous: plain arrays are refused)' : ' or an array of numbers'}, got ${describe(data)}`);
  }

  #checkRange(what: string, offset: number, size: number): void {
    for (const [name, v] of [['offset', offset], ['size', size]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new InvalidArgumentError(`Buffer.${what}: ${name} must be an integer >= 0, got ${describe(v)}`);
      }
    }
    if (offset + size > this.#nitems) {
      throw new InvalidArgumentError(`Buffer.${what}: items ${offset}..${offset + size} are out of range; the buffer has ${this.#nitems} items`);
    }
  }
}

function inferFormat(data: BufferData | undefined, itemsize: number): string | undefined {
  if (!data) return undefined;
  const scalar = scalarOf(data);
  if (!scalar) return undefined;
  const n = itemsize / Number(scalar[1]);
  if (!Number.isInteger(n) || n < 1 || n > 4) return undefined;
  return n === 1 ? scalar : `${n}x${scalar}`;
}
