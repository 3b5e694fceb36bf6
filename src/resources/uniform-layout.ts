// Uniform buffer layouts declared once, as pygfx's `uniform_type = dict(opacity="f4", ...)`: a
// table of field name -> WGSL type gives each field's byte offset by WGSL's layout rules for the
// uniform address space, the struct's byte size and its WGSL text, and a UniformWriter sets fields
// by name. The material, the shaders and the renderer read the same table, so the CPU side and
// the WGSL struct cannot drift apart and a new field cannot land on another's bytes (before this,
// three files kept bare float indices in step by hand). Pure: imports only errors and helpers.
import { InvalidArgumentError } from '../errors.js';
import { closestName } from '../options-check.js';
import { UniformValueError, UnknownUniformFieldError } from './errors.js';
import { describe } from './format.js';

/** A WGSL scalar a uniform field is made of. */
export type UniformScalar = 'f32' | 'i32' | 'u32';
/** A WGSL vector type in its short form (vec2f, vec3u, vec4i, ...). */
export type UniformVector = `vec${2 | 3 | 4}${'f' | 'i' | 'u'}`;
/** A WGSL f32 matrix type in its short form (mat4x4f, mat3x3f, mat2x4f, ...): columns x rows. */
export type UniformMatrix = `mat${2 | 3 | 4}x${2 | 3 | 4}f`;
/** A type an array element can have. */
export type UniformElementType = UniformScalar | UniformVector | UniformMatrix;
/**
 * The WGSL type of a uniform field: a scalar, a vector, a matrix or a fixed-size array of one,
 * e.g. "array<vec4f, 8>". Arrays need an element stride that is a multiple of 16 (a WGSL rule of
 * the uniform address space), so array<f32, N> is refused: use array<vec4f, ceil(N / 4)>.
 */
export type UniformType = UniformElementType | `array<${UniformElementType}, ${number}>`;
/** A field table: field name -> WGSL type, in struct order. */
export type UniformFields<N extends string = string> = { readonly [K in N]: UniformType };

/** Where one field lives in the buffer, derived from its type and the fields before it. */
export interface UniformField<N extends string = string> {
  /** The field's name (a WGSL identifier). */
  readonly name: N;
  /** Its WGSL type as declared. */
  readonly type: UniformType;
  /** The scalar its components are made of. */
  readonly scalar: UniformScalar;
  /** Byte offset in the struct (a multiple of `align`). */
  readonly offset: number;
  /** Bytes it spans (WGSL's SizeOf, padding inside matrices and arrays included). */
  readonly size: number;
  /** Its WGSL alignment in the uniform address space. */
  readonly align: number;
  /** How many numbers `UniformWriter.set` takes for it (elements x columns x rows). */
  readonly length: number;
  /** Components per column vector (1 for a scalar, N for vecN, R for matCxR). */
  readonly rows: number;
  /** Column vectors per element (C for matCxR, else 1). */
  readonly columns: number;
  /** Bytes from one column to the next inside an element (vec3 columns are padded to 16). */
  readonly columnStride: number;
  /** Array length (1 for a field that is not an array). */
  readonly elements: number;
  /** Bytes from one array element to the next (its size for a field that is not an array). */
  readonly elementStride: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SCALAR_OF: Record<string, UniformScalar> = { f: 'f32', i: 'i32', u: 'u32' };
const ELEMENT_HELP = 'f32, i32, u32, vec2f..vec4f (also i, u), mat2x2f..mat4x4f, or array<T, N> of those';

interface ElementShape {
  scalar: UniformScalar;
  rows: number;
  columns: number;
  columnStride: number;
  align: number;
  size: number;
}

/** Align and size of a vector of n 4-byte components (WGSL: vec2 8/8, vec3 16/12, vec4 16/16). */
function vectorShape(n: number): { align: number; size: number } {
  return { align: n === 2 ? 8 : 16, size: 4 * n };
}

function roundUp(align: number, n: number): number {
  return Math.ceil(n / align) * align;
}

/** The shape of a non-array type, or undefined when it is not one of the supported types. */
function elementShape(type: string): ElementShape | undefined {
  if (type === 'f32' || type === 'i32' || type === 'u32') return { scalar: type, rows: 1, columns: 1, columnStride: 4, align: 4, size: 4 };
  const v = /^vec([234])([fiu])$/.exec(type);
  if (v) {
    const rows = Number(v[1]);
    const { align, size } = vectorShape(rows);
    return { scalar: SCALAR_OF[v[2]!]!, rows, columns: 1, columnStride: size, align, size };
  }
  const m = /^mat([234])x([234])f$/.exec(type);
  if (m) {
    // A matCxR is laid out as array<vecR, C>: each column padded to the vector's alignment.
    const columns = Number(m[1]);
    const rows = Number(m[2]);
    const { align, size } = vectorShape(rows);
    const columnStride = roundUp(align, size);
    return { scalar: 'f32', rows, columns, columnStride, align, size: columns * columnStride };
  }
  return undefined;
}

/** Lays out one field at the first offset at or after `at` that its alignment allows. */
function layField<N extends string>(structName: string, name: N, type: unknown, at: number): UniformField<N> {
  if (typeof type !== 'string') throw new InvalidArgumentError(`uniform ${structName}.${name}: the type must be a WGSL type string (${ELEMENT_HELP}), got ${describe(type)}`);
  const arr = /^array<\s*([a-z0-9]+)\s*,\s*(\d+)\s*>$/.exec(type);
  const shape = elementShape(arr ? arr[1]! : type);
  if (!shape) throw new InvalidArgumentError(`uniform ${structName}.${name}: unknown or unsupported type "${type}"; allowed: ${ELEMENT_HELP}`);
  let elements = 1;
  let elementStride = shape.size;
  let align = shape.align;
  let size = shape.size;
  if (arr) {
    elements = Number(arr[2]);
    if (!Number.isSafeInteger(elements) || elements < 1) {
      throw new InvalidArgumentError(`uniform ${structName}.${name}: an array needs a length >= 1, got "${type}"`);
    }
    elementStride = roundUp(shape.align, shape.size);
    if (elementStride % 16 !== 0) {
      // WGSL rejects such an array in a uniform buffer; say what to declare instead.
      throw new InvalidArgumentError(`uniform ${structName}.${name}: "${type}" has an element stride of ${elementStride} bytes, but arrays in a uniform buffer need a multiple of 16: use an array of vec4 (or of a 16-byte multiple type) instead`);
    }
    align = roundUp(16, shape.align);
    size = elements * elementStride;
  }
  return {
    name, type: type as UniformType, scalar: shape.scalar, offset: roundUp(align, at), size, align,
    length: elements * shape.columns * shape.rows, rows: shape.rows, columns: shape.columns,
    columnStride: shape.columnStride, elements, elementStride,
  };
}

/**
 * A uniform struct declared as a field table (field name -> WGSL type, in order). The fields are
 * laid out as WGSL lays out the struct in the uniform address space (each at the next multiple of
 * its alignment: 4 for scalars, 8 for vec2, 16 for vec3/vec4/mat4x4/arrays; a scalar may fill the
 * last 4 bytes after a vec3), the size is the end of the last field rounded up to the largest
 * alignment, and `wgsl()` writes the struct that has exactly that layout. Fields never overlap:
 * each starts at or after the end of the one before it.
 *
 * `extend` appends fields, as a pygfx material subclass extends its base's `uniform_type`: the
 * base's fields keep their offsets, so code that knows only the base reads a subclass's buffer.
 */
export class UniformLayout<N extends string = string> {
  /** The WGSL struct name. */
  readonly structName: string;
  /** The fields in struct order, with their offsets. */
  readonly fields: readonly UniformField<N>[];
  /** The struct's byte size (WGSL's SizeOf: the buffer size to allocate). */
  readonly byteSize: number;
  /** The struct's alignment (the largest of its fields'). */
  readonly align: number;
  readonly #byName: ReadonlyMap<string, UniformField<N>>;
  readonly #table: UniformFields<N>;

  /**
   * @param structName the WGSL struct name (an identifier).
   * @param fields name -> WGSL type, in struct order; names are WGSL identifiers.
   * @throws {InvalidArgumentError} for a bad name, an unknown type, an empty table or an array
   *   whose element stride is not a multiple of 16.
   */
  constructor(structName: string, fields: UniformFields<N>) {
    if (typeof structName !== 'string' || !IDENT.test(structName)) {
      throw new InvalidArgumentError(`a uniform struct name must be a WGSL identifier (letters, digits, _), got ${describe(structName)}`);
    }
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new InvalidArgumentError(`uniform ${structName}: fields must be an object of name -> WGSL type, got ${describe(fields)}`);
    }
    const names = Object.keys(fields);
    if (names.length === 0) throw new InvalidArgumentError(`uniform ${structName}: a struct needs at least one field (WGSL has no empty structs)`);
    const laid: UniformField<N>[] = [];
    let end = 0;
    for (const name of names) {
      // Identifiers only: besides WGSL's own rule, an integer-like key ("0") would be reordered
      // by JavaScript ahead of the others, silently changing the struct order.
      if (!IDENT.test(name) || name.startsWith('__')) {
        throw new InvalidArgumentError(`uniform ${structName}: field name "${name}" is not a WGSL identifier (letters, digits, _, not starting with a digit or "__")`);
      }
      const f = layField(structName, name as N, (fields as Record<string, unknown>)[name], end);
      laid.push(f);
      end = f.offset + f.size;
    }
    this.structName = structName;
    this.fields = Object.freeze(laid.map((f) => Object.freeze(f)));
    this.align = Math.max(...laid.map((f) => f.align));
    this.byteSize = roundUp(this.align, end);
    this.#byName = new Map(laid.map((f) => [f.name, f]));
    this.#table = Object.freeze({ ...fields });
  }

  /** The field table it was declared with (name -> type, in order). */
  get table(): UniformFields<N> {
    return this.#table;
  }

  /** Whether it has a field of that name. */
  has(name: string): name is N {
    return this.#byName.has(name);
  }

  /**
   * The field named `name`.
   * @throws {UnknownUniformFieldError} when there is none (the message lists the fields).
   */
  field(name: N): UniformField<N> {
    const f = this.#byName.get(name);
    if (!f) {
      const names = this.fields.map((x) => x.name);
      const near = typeof name === 'string' ? closestName(name, names) : undefined;
      throw new UnknownUniformFieldError(`uniform ${this.structName} has no field ${typeof name === 'string' ? `"${name}"` : describe(name)}${near ? `; did you mean "${near}"?` : ''}; its fields: ${names.join(', ')}`);
    }
    return f;
  }

  /**
   * A layout with this one's fields followed by `more` (a subclass's table), under another
   * struct name. The fields here keep their offsets.
   * @throws {InvalidArgumentError} when a name in `more` is already a field (a subclass must not
   *   redeclare, and so silently move or retype, a base field), or as the constructor.
   */
  extend<M extends string>(structName: string, more: UniformFields<M>): UniformLayout<N | M> {
    if (typeof more === 'object' && more !== null) {
      const dup = Object.keys(more).filter((k) => this.#byName.has(k));
      if (dup.length) throw new InvalidArgumentError(`uniform ${structName}: field ${dup.map((d) => `"${d}"`).join(', ')} is already declared by ${this.structName}; a subclass adds new fields only`);
    }
    return new UniformLayout<N | M>(structName, { ...this.#table, ...more } as UniformFields<N | M>);
  }

  /** The WGSL struct declaration with exactly this layout, e.g. "struct Camera {\n  view: mat4x4f,\n};". */
  wgsl(): string {
    return `struct ${this.structName} {\n${this.fields.map((f) => `  ${f.name}: ${f.type},\n`).join('')}};`;
  }

  /** A readable table of the layout (name, type, offset, size), for error messages and docs. */
  describe(): string {
    return `${this.structName} (${this.byteSize} bytes): ${this.fields.map((f) => `${f.name}: ${f.type} @${f.offset}+${f.size}`).join(', ')}`;
  }
}

/**
 * Sets and reads the fields of a {@link UniformLayout} by name in an ArrayBuffer of the layout's
 * size, each number going to its component's offset (matrices column-major as WGSL; padding
 * after vec3 columns and array elements is skipped and left as it is).
 */
export class UniformWriter<N extends string = string> {
  /** The layout it writes. */
  readonly layout: UniformLayout<N>;
  /** The bytes (layout.byteSize of them, or the buffer given). */
  readonly data: ArrayBuffer;
  readonly #views: Record<UniformScalar, Float32Array | Int32Array | Uint32Array>;

  /**
   * @param data an ArrayBuffer of at least `layout.byteSize` bytes to write into. Default: a new one, zeroed.
   * @throws {InvalidArgumentError} when `data` is too small.
   */
  constructor(layout: UniformLayout<N>, data: ArrayBuffer = new ArrayBuffer(layout.byteSize)) {
    if (!(data instanceof ArrayBuffer) || data.byteLength < layout.byteSize) {
      throw new InvalidArgumentError(`UniformWriter: uniform ${layout.structName} needs an ArrayBuffer of at least ${layout.byteSize} bytes, got ${data instanceof ArrayBuffer ? `${data.byteLength} bytes` : describe(data)}`);
    }
    this.layout = layout;
    this.data = data;
    this.#views = { f32: new Float32Array(data), i32: new Int32Array(data), u32: new Uint32Array(data) };
  }

  /**
   * Writes field `name`: a number for a scalar, else exactly `field.length` numbers (a vec4f 4,
   * a mat4x4f 16 column-major, an array<vec4f, 8> 32). Returns the field, whose offset and size
   * say which bytes changed.
   * @throws {UnknownUniformFieldError} for a name the layout does not have.
   * @throws {UniformValueError} for a wrong count, a non-number, or an integer field given a value
   *   that is not an integer in its range (u32 0..2^32-1, i32 -2^31..2^31-1).
   */
  set(name: N, value: number | ArrayLike<number>): UniformField<N> {
    const f = this.layout.field(name);
    const where = `uniform ${this.layout.structName}.${f.name} (${f.type})`;
    let values: ArrayLike<number>;
    if (typeof value === 'number') values = [value];
    else if (value !== null && typeof value === 'object' && typeof (value as ArrayLike<number>).length === 'number') values = value;
    else throw new UniformValueError(`${where} takes ${f.length === 1 ? 'a number' : `${f.length} numbers`}, got ${describe(value)}`);
    if (values.length !== f.length) {
      throw new UniformValueError(`${where} takes ${f.length === 1 ? 'one number' : `exactly ${f.length} numbers`}, got ${values.length}`);
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number') throw new UniformValueError(`${where}: value ${i} must be a number, got ${describe(v)}`);
      // f32 takes any number (a degenerate matrix may hold NaN or Infinity and that is the GPU's
      // business); integers must fit, or a typed array would wrap them silently.
      if (f.scalar === 'u32' && !(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
        throw new UniformValueError(`${where}: value ${i} must be an integer in 0..4294967295, got ${v}`);
      }
      if (f.scalar === 'i32' && !(Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)) {
        throw new UniformValueError(`${where}: value ${i} must be an integer in -2147483648..2147483647, got ${v}`);
      }
    }
    const view = this.#views[f.scalar];
    const perElement = f.columns * f.rows;
    for (let e = 0; e < f.elements; e++) {
      for (let c = 0; c < f.columns; c++) {
        const at = (f.offset + e * f.elementStride + c * f.columnStride) / 4;
        for (let r = 0; r < f.rows; r++) view[at + r] = values[e * perElement + c * f.rows + r]!;
      }
    }
    return f;
  }

  /**
   * Reads field `name` back: `field.length` numbers as stored (f32 fields rounded to float32).
   * @throws {UnknownUniformFieldError} for a name the layout does not have.
   */
  get(name: N): number[] {
    const f = this.layout.field(name);
    const view = this.#views[f.scalar];
    const out: number[] = [];
    for (let e = 0; e < f.elements; e++) {
      for (let c = 0; c < f.columns; c++) {
        const at = (f.offset + e * f.elementStride + c * f.columnStride) / 4;
        for (let r = 0; r < f.rows; r++) out.push(view[at + r]!);
      }
    }
    return out;
  }
}
