// Element formats of buffers: pygfx's "3xf4" style strings, WebGPU vertex and index formats, and
// inference from a TypedArray. One place knows the size of an item and the WebGPU format to bind.
import { InvalidArgumentError } from '../errors.js';

/** Data a Buffer can hold: a TypedArray, a DataView or an ArrayBuffer (kept by reference). */
export type BufferData = ArrayBufferView | ArrayBuffer;

const SCALARS: Record<string, { bytes: number; vertex: string | undefined }> = {
  i1: { bytes: 1, vertex: 'sint8' }, u1: { bytes: 1, vertex: 'uint8' },
  i2: { bytes: 2, vertex: 'sint16' }, u2: { bytes: 2, vertex: 'uint16' },
  i4: { bytes: 4, vertex: 'sint32' }, u4: { bytes: 4, vertex: 'uint32' },
  f2: { bytes: 2, vertex: 'float16' }, f4: { bytes: 4, vertex: 'float32' },
};

/** The pygfx scalar code of a TypedArray ("f4" for Float32Array), or undefined for bytes. */
export function scalarOf(data: BufferData): string | undefined {
  if (data instanceof Float32Array) return 'f4';
  if (data instanceof Uint32Array) return 'u4';
  if (data instanceof Int32Array) return 'i4';
  if (data instanceof Uint16Array) return 'u2';
  if (data instanceof Int16Array) return 'i2';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'u1';
  if (data instanceof Int8Array) return 'i1';
  return undefined; // ArrayBuffer, DataView, Float64Array, BigInt arrays: no GPU scalar
}

/** What a format string means. */
export interface ParsedFormat {
  /** Bytes per item. */
  itemsize: number;
  /** The WebGPU vertex format to bind it with, if it has one. */
  vertexFormat: GPUVertexFormat | undefined;
  /** The WebGPU index format, if it can index ("u2"/"u4", "uint16"/"uint32"). */
  indexFormat: GPUIndexFormat | undefined;
}

const VERTEX_RE = /^(float|uint|sint|unorm|snorm)(8|16|32)(?:x([234]))?$/;

/**
 * Parses a format: pygfx style ("f4", "3xf4", "u2") or a WebGPU vertex/index format
 * ("float32x3", "uint16").
 * @throws {InvalidArgumentError} for anything else.
 */
export function parseFormat(format: string): ParsedFormat {
  const m = /^(?:([1-4])x)?([iuf][124])$/.exec(format);
  if (m && SCALARS[m[2]!]) {
    const n = Number(m[1] ?? 1);
    const s = SCALARS[m[2]!]!;
    let vertex: string | undefined = s.vertex;
    if (vertex && n > 1) vertex = `${vertex}x${n}`;
    const vertexFormat = isVertexFormat(vertex) ? vertex : undefined;
    const indexFormat = n === 1 && (m[2] === 'u2' || m[2] === 'u4') ? (m[2] === 'u2' ? 'uint16' : 'uint32') : undefined;
    return { itemsize: n * s.bytes, vertexFormat, indexFormat };
  }
  const v = VERTEX_RE.exec(format);
  if (v && isVertexFormat(format)) {
    const itemsize = (Number(v[2]) / 8) * Number(v[3] ?? 1);
    const indexFormat = format === 'uint16' || format === 'uint32' ? format : undefined;
    return { itemsize, vertexFormat: format, indexFormat };
  }
  throw new InvalidArgumentError(`unknown buffer format ${JSON.stringify(format)}; allowed: pygfx style "f4", "3xf4", "u2", "4xu1" (1-4 x i1/u1/i2/u2/i4/u4/f2/f4) or a WebGPU vertex format such as "float32x3"`);
}

// WebGPU allows 8- and 16-bit vertex formats only as x2/x4 (plus the single-component ones
// added later); 32-bit ones come in 1..4.
const ALLOWED_VERTEX = new Set<string>([
  'uint8', 'uint8x2', 'uint8x4', 'sint8', 'sint8x2', 'sint8x4', 'unorm8', 'unorm8x2', 'unorm8x4',
  'snorm8', 'snorm8x2', 'snorm8x4', 'uint16', 'uint16x2', 'uint16x4', 'sint16', 'sint16x2',
  'sint16x4', 'unorm16', 'unorm16x2', 'unorm16x4', 'snorm16', 'snorm16x2', 'snorm16x4', 'float16',
  'float16x2', 'float16x4', 'float32', 'float32x2', 'float32x3', 'float32x4', 'uint32',
  'uint32x2', 'uint32x3', 'uint32x4', 'sint32', 'sint32x2', 'sint32x3', 'sint32x4',
]);

function isVertexFormat(f: string | undefined): f is GPUVertexFormat {
  return f !== undefined && ALLOWED_VERTEX.has(f);
}

/** The bytes of a BufferData as a Uint8Array view (no copy). */
export function bytesOf(data: BufferData): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Whether a value is a BufferData. */
export function isBufferData(data: unknown): data is BufferData {
  return data instanceof ArrayBuffer || ArrayBuffer.isView(data);
}

/** Describes a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a plain array of length ${v.length}`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return `${typeof v} ${String(v)}`;
}
