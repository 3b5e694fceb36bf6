// vispy gloo-style buffers: write-only, every operation deferred until the next sync and applied
// there in order. GlooBuffer works in bytes; DataBuffer knows its element type (offsets count
// elements); VertexBuffer adds an instancing divisor; IndexBuffer holds uint16/uint32 indices.
import { InvalidArgumentError } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { bindDevice, gpuSize, writeBytes } from './device-binding.js';
import { bytesOf, describe, isBufferData, parseFormat, scalarOf, type BufferData } from './format.js';
import { BufferUsage } from './usage.js';

/** Options of setData/setSubdata. */
export interface GlooDataOptions {
  /** Snapshot the data now, so later changes to it don't reach the GPU. Default false (the data is read at the next sync). */
  copy?: boolean;
}

/** Options of setSubdata. */
export interface GlooSubdataOptions extends GlooDataOptions {
  /** Where to write: bytes for a GlooBuffer, elements for a DataBuffer. Default 0. */
  offset?: number;
}

type PendingOp =
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'subdata'; offset: number; bytes: Uint8Array }
  | { kind: 'resize'; nbytes: number };

/** One operation a sync applied, for inspection and tests. */
export interface GlooAppliedOp {
  kind: 'create' | 'write';
  offset: number;
  size: number;
}

/** A byte buffer with deferred setData / setSubdata / resizeBytes (vispy gloo's Buffer). */
export class GlooBuffer {
  #nbytes = 0;
  #pending: PendingOp[] = [];
  #device: GPUDevice | undefined;
  #gpu: GPUBuffer | undefined;
  #gpuUsage = 0;
  /** GPUBufferUsage flags always included. Default: set by the subclass (0 for a plain buffer). */
  protected readonly baseUsage: number;
  /** What the last {@link sync} did, in order. */
  lastOps: GlooAppliedOp[] = [];

  /**
   * @param data initial data (set with `copy: false`), or undefined for an empty buffer.
   * @param usage GPUBufferUsage flags to add. Default 0.
   */
  constructor(data?: BufferData, usage = 0) {
    this.baseUsage = usage;
    if (data !== undefined) this.setData(data);
  }

  /** Size in bytes, as it will be after the pending operations. */
  get nbytes(): number {
    return this.#nbytes;
  }
  /** Number of operations waiting for the next sync. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /**
   * Sets size and content; earlier pending operations are dropped (they would be overwritten).
   * @param options `copy` (default false): snapshot the data now.
   */
  setData(data: BufferData, options: GlooDataOptions = {}): void {
    checkOptionNames('setData', options, ['copy']);
    const bytes = this.toBytes('setData', data, options.copy);
    this.#pending = [{ kind: 'data', bytes }];
    this.#nbytes = bytes.byteLength;
  }

  /**
   * Writes part of the content at `offset` (bytes here; elements in a DataBuffer).
   * @throws {InvalidArgumentError} when it does not fit in the current size.
   */
  setSubdata(data: BufferData, options: GlooSubdataOptions = {}): void {
    checkOptionNames('setSubdata', options, optionNames<GlooSubdataOptions>({ copy: true, offset: true }));
    const bytes = this.toBytes('setSubdata', data, options.copy);
    const offset = this.byteOffset(options.offset ?? 0);
    if (offset + bytes.byteLength > this.#nbytes) {
      throw new InvalidArgumentError(`setSubdata: ${bytes.byteLength} bytes at byte offset ${offset} do not fit in the buffer's ${this.#nbytes} bytes (setData or resizeBytes first)`);
    }
    if (offset % 4 !== 0) throw new InvalidArgumentError(`setSubdata: the byte offset must be a multiple of 4 (WebGPU), got ${offset}`);
    this.#pending.push({ kind: 'subdata', offset, bytes });
  }

  /** Resizes to `nbytes` (content undefined); pending operations are dropped. */
  resizeBytes(nbytes: number): void {
    if (!Number.isInteger(nbytes) || nbytes < 0) throw new InvalidArgumentError(`resizeBytes: nbytes must be an integer >= 0, got ${describe(nbytes)}`);
    this.#pending = [{ kind: 'resize', nbytes }];
    this.#nbytes = nbytes;
  }

  /**
   * Applies the pending operations in order on `device` and returns the GPU buffer.
   * @param usage extra GPUBufferUsage flags this use needs.
   * @throws {DeviceMismatchError} when used with another device before.
   */
  sync(device: GPUDevice, usage: GPUBufferUsageFlags = 0): GPUBuffer {
    this.#device = bindDevice(this.#device, device, 'this gloo buffer');
    const need = this.baseUsage | usage | BufferUsage.COPY_DST | BufferUsage.COPY_SRC;
    this.lastOps = [];
    const ops = this.#pending;
    this.#pending = [];
    const sizeChanged = ops.some((o) => o.kind !== 'subdata');
    if (!this.#gpu || sizeChanged || (this.#gpuUsage & need) !== need) {
      const old = this.#gpu;
      this.#gpuUsage |= need;
      this.#gpu = device.createBuffer({ label: 'dawn-rfb gloo buffer', size: gpuSize(this.#nbytes), usage: this.#gpuUsage });
      this.lastOps.push({ kind: 'create', offset: 0, size: this.#nbytes });
      if (old && !sizeChanged) {
        // Only the usage grew: keep the content.
        const enc = device.createCommandEncoder();
        enc.copyBufferToBuffer(old, 0, this.#gpu, 0, Math.min(old.size, this.#gpu.size));
        device.queue.submit([enc.finish()]);
      }
      old?.destroy();
    }
    for (const op of ops) {
      if (op.kind === 'resize') continue;
      const offset = op.kind === 'data' ? 0 : op.offset;
      writeBytes(device, this.#gpu, offset, op.bytes);
      this.lastOps.push({ kind: 'write', offset, size: op.bytes.byteLength });
    }
    return this.#gpu;
  }

  /** The GPU buffer, once synced. */
  get gpuBuffer(): GPUBuffer | undefined {
    return this.#gpu;
  }

  /** Frees the GPU buffer; pending operations stay. */
  destroy(): void {
    this.#gpu?.destroy();
    this.#gpu = undefined;
  }

  /** @internal Converts an offset given to setSubdata to bytes. */
  protected byteOffset(offset: number): number {
    if (!Number.isInteger(offset) || offset < 0) throw new InvalidArgumentError(`setSubdata: offset must be an integer >= 0, got ${describe(offset)}`);
    return offset;
  }

  /** @internal Checks data and returns its bytes (a snapshot when copy is true). */
  protected toBytes(what: string, data: unknown, copy: boolean | undefined): Uint8Array {
    if (!isBufferData(data)) throw new InvalidArgumentError(`${what}: data must be a TypedArray, DataView or ArrayBuffer, got ${describe(data)}`);
    const bytes = bytesOf(data);
    return copy ? bytes.slice() : bytes;
  }
}

/** Options of {@link DataBuffer}. */
export interface DataBufferOptions {
  /** Element format ("3xf4", "float32x3", "u2"). Default: the data's scalar type, one component. */
  format?: string;
  /** Extra GPUBufferUsage flags. Default 0. */
  usage?: number;
}

const DATA_BUFFER_OPTION_NAMES = optionNames<DataBufferOptions>({ format: true, usage: true });

/** A gloo buffer of typed elements: knows itemsize, stride and size; setSubdata offsets count elements. */
export class DataBuffer extends GlooBuffer {
  #format: string | undefined;
  #scalar: string | undefined;

  constructor(data?: BufferData, options: DataBufferOptions = {}) {
    if (new.target === DataBuffer) checkOptionNames('DataBuffer', options, DATA_BUFFER_OPTION_NAMES);
    super(undefined, options.usage ?? 0);
    if (options.format !== undefined) parseFormat(options.format);
    this.#format = options.format;
    if (data !== undefined) this.setData(data);
  }

  /** The element format ("3xf4"...). */
  get format(): string {
    if (!this.#format) throw new InvalidArgumentError('DataBuffer: no format yet; give one or set typed data');
    return this.#format;
  }
  /** Bytes per element. */
  get itemsize(): number {
    return parseFormat(this.format).itemsize;
  }
  /** Bytes from one element to the next (tightly packed: the itemsize). */
  get stride(): number {
    return this.itemsize;
  }
  /** Number of elements. */
  get size(): number {
    return this.nbytes / this.itemsize;
  }

  override setData(data: BufferData, options: GlooDataOptions = {}): void {
    this.#checkType('setData', data);
    super.setData(data, options);
  }

  override setSubdata(data: BufferData, options: GlooSubdataOptions = {}): void {
    this.#checkType('setSubdata', data);
    super.setSubdata(data, options);
  }

  protected override byteOffset(offset: number): number {
    return super.byteOffset(offset) * this.itemsize;
  }

  #checkType(what: string, data: BufferData): void {
    const scalar = isBufferData(data) ? scalarOf(data) : undefined;
    if (!this.#format) {
      if (!scalar) throw new InvalidArgumentError(`${what}: a DataBuffer without a format needs typed data (Float32Array, Uint16Array...), got ${describe(data)}`);
      this.#format = scalar;
    }
    if (this.#scalar === undefined) this.#scalar = scalar;
    else if (scalar && scalar !== this.#scalar) {
      throw new InvalidArgumentError(`${what}: the data's element type (${scalar}) differs from the buffer's (${this.#scalar})`);
    }
    if (isBufferData(data) && data.byteLength % this.itemsize !== 0) {
      throw new InvalidArgumentError(`${what}: ${data.byteLength} bytes are not a whole number of ${this.itemsize}-byte "${this.#format}" elements`);
    }
  }
}

/** Options of {@link VertexBuffer}. */
export interface VertexBufferOptions extends DataBufferOptions {
  /** Instancing divisor: 0 = per vertex (default), 1 = per instance. */
  divisor?: number;
}

/** A DataBuffer of vertex attributes; `divisor` 1 steps per instance. */
export class VertexBuffer extends DataBuffer {
  /** 0 (per vertex) or 1 (per instance). WebGPU has no other step rates. */
  readonly divisor: 0 | 1;

  constructor(data?: BufferData, options: VertexBufferOptions = {}) {
    checkOptionNames('VertexBuffer', options, [...DATA_BUFFER_OPTION_NAMES, 'divisor']);
    super(data, { ...options, usage: (options.usage ?? 0) | BufferUsage.VERTEX });
    const d = options.divisor ?? 0;
    if (d !== 0 && d !== 1) throw new InvalidArgumentError(`VertexBuffer: divisor must be 0 (per vertex) or 1 (per instance; WebGPU steps no slower), got ${describe(d)}`);
    this.divisor = d;
  }

  /** WebGPU's step mode for the divisor: "vertex" (0) or "instance" (1). */
  get stepMode(): GPUVertexStepMode {
    return this.divisor === 1 ? 'instance' : 'vertex';
  }

  /** The vertex buffer layout to put in a pipeline: one attribute at `shaderLocation`. */
  vertexLayout(shaderLocation: number): GPUVertexBufferLayout {
    return { arrayStride: this.stride, stepMode: this.stepMode, attributes: [{ shaderLocation, offset: 0, format: this.vertexFormat }] };
  }

  /** The WebGPU vertex format of an element. */
  get vertexFormat(): GPUVertexFormat {
    const f = parseFormat(this.format).vertexFormat;
    if (!f) throw new InvalidArgumentError(`VertexBuffer: format "${this.format}" is not a WebGPU vertex format`);
    return f;
  }
}

/** A DataBuffer of uint16 or uint32 indices. */
export class IndexBuffer extends DataBuffer {
  constructor(data?: Uint16Array | Uint32Array, options: { usage?: number } = {}) {
    checkOptionNames('IndexBuffer', options, ['usage']);
    super(undefined, { usage: (options.usage ?? 0) | BufferUsage.INDEX });
    if (data !== undefined) this.setData(data);
  }

  override setData(data: BufferData, options: GlooDataOptions = {}): void {
    if (!(data instanceof Uint16Array || data instanceof Uint32Array)) {
      throw new InvalidArgumentError(`IndexBuffer: indices must be a Uint16Array or Uint32Array, got ${describe(data)}`);
    }
    super.setData(data, options);
  }

  /** "uint16" or "uint32". */
  get indexFormat(): GPUIndexFormat {
    return this.format === 'u2' ? 'uint16' : 'uint32';
  }
}
