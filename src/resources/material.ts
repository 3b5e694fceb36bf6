// pygfx-style materials. Cheap properties (colour, opacity, alpha test, clipping planes, sizes)
// live in a uniform Buffer, so changing them uploads 176 or 192 bytes and rebuilds nothing; the
// others (alpha config, depth state, pickWrite) shape the pipeline and are part of `pipelineKey`.
// The uniform fields are declared once per class as a field table (`uniformLayout`, as pygfx's
// `uniform_type`; a subclass extends its base's), written by name; the shader's struct is
// generated from the same table (uniform-layout.ts), so no offset is written down twice.
import { InvalidArgumentError } from '../errors.js';
import { autoDepthWrite, autoRenderQueue, normalizeConfig, presetConfig, type AlphaConfig, type AlphaMethod, type AlphaMode } from './alpha.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { Buffer } from './buffer.js';
import { describe } from './format.js';
import { UniformLayout, UniformWriter } from './uniform-layout.js';
import { BufferUsage } from './usage.js';

/** Comparison operators of depthCompare and alphaCompare. */
export const COMPARES = ['<', '<=', '==', '!=', '>=', '>'] as const;
/** A comparison operator. */
export type Compare = (typeof COMPARES)[number];
const GPU_COMPARE: Record<Compare, GPUCompareFunction> = {
  '<': 'less', '<=': 'less-equal', '==': 'equal', '!=': 'not-equal', '>=': 'greater-equal', '>': 'greater',
};
/** A clipping plane a*x + b*y + c*z + d: points where it is negative are clipped (world space). */
export type Plane = readonly [number, number, number, number];
/** An RGBA colour, linear 0..1 (an RGB one gets alpha 1). */
export type Color = readonly [number, number, number, number?];

/** The most clipping planes a material can have. */
export const MAX_CLIPPING_PLANES = 8;

/**
 * The uniform fields of every material (pygfx's `Material.uniform_type`), in struct order:
 * alphaCompare is the index of the operator in {@link COMPARES}; clipAll is 1 for "ALL"; planes
 * past clipCount are zero. Subclasses with fields of their own extend it.
 */
const MATERIAL_UNIFORMS = new UniformLayout('Material', {
  color: 'vec4f', opacity: 'f32', alphaTest: 'f32', alphaCompare: 'u32', clipCount: 'u32', clipAll: 'u32',
  planes: `array<vec4f, ${MAX_CLIPPING_PLANES}>`,
});
/** A field of the base material uniform struct. */
type MaterialUniformName = typeof MATERIAL_UNIFORMS extends UniformLayout<infer N> ? N : never;

/**
 * Bytes of the base material uniform struct (176: what MeshBasicMaterial and LineMaterial
 * upload). A subclass with fields of its own has more: its `uniformLayout.byteSize` (192 for
 * MeshPhongMaterial and PointsMaterial).
 */
export const MATERIAL_UNIFORM_BYTES = MATERIAL_UNIFORMS.byteSize;

/** The names of {@link MaterialOptions}, for the unknown-option check. */
const MATERIAL_OPTION_NAMES = optionNames<MaterialOptions>({
  color: true, opacity: true, clippingPlanes: true, clippingMode: true, alphaMode: true, alphaConfig: true, depthTest: true,
  depthCompare: true, depthWrite: true, alphaTest: true, alphaCompare: true, renderQueue: true, pickWrite: true,
});

/** Options of every material. All optional. */
export interface MaterialOptions {
  /** Colour (linear RGBA 0..1). Default [1, 1, 1, 1]. */
  color?: Color;
  /** Opacity 0..1, multiplies the fragment's alpha. Default 1. */
  opacity?: number;
  /** World-space planes [a, b, c, d]; points with a*x+b*y+c*z+d < 0 are clipped. Default none (at most 8). */
  clippingPlanes?: readonly Plane[];
  /** "ANY": clipped by any plane; "ALL": only when clipped by all planes. Default "ANY". */
  clippingMode?: 'ANY' | 'ALL';
  /** An alpha preset. Default "auto". */
  alphaMode?: AlphaMode;
  /** Full alpha control; wins over alphaMode. Default: the preset's. */
  alphaConfig?: AlphaConfig;
  /** Test fragments against the depth buffer. Default true. */
  depthTest?: boolean;
  /** How depth is compared: "<", "<=", "==", "!=", ">=", ">". Default "<". */
  depthCompare?: Compare;
  /** Write depth. Default undefined = automatic (true for auto, opaque, stochastic; false for blended and weighted). */
  depthWrite?: boolean;
  /** Discard fragments whose alpha compares true against this (0 = no test). Default 0. */
  alphaTest?: number;
  /** The alpha test's comparison. Default "<" (discard when alpha < alphaTest). */
  alphaCompare?: Compare;
  /** Render queue 1..4999. Default undefined = automatic (2000, 2400, 2600 or 3000). */
  renderQueue?: number;
  /** Write object id and primitive index to the pick texture. Default false. */
  pickWrite?: boolean;
}

function unit(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new InvalidArgumentError(`${name} must be a number in 0..1, got ${describe(v)}`);
  return v;
}

function compare(name: string, v: unknown): Compare {
  if (!(COMPARES as readonly unknown[]).includes(v)) throw new InvalidArgumentError(`${name} must be one of ${COMPARES.join(' ')}, got ${describe(v)}`);
  return v as Compare;
}

/** Base of all materials; see {@link MaterialOptions} for the properties and defaults. */
export abstract class Material {
  /** Which shader family draws it. */
  abstract readonly kind: 'basic' | 'phong' | 'points' | 'line';
  /**
   * The uniform fields of this class, in struct order (pygfx's `uniform_type`): the offsets, byte
   * size and WGSL struct of its uniform buffer. A subclass with fields of its own overrides it
   * with `Base.uniformLayout.extend(name, { field: type })`, which keeps the base's offsets.
   */
  static readonly uniformLayout: UniformLayout = MATERIAL_UNIFORMS;
  /** This material's uniform layout (its class's `uniformLayout`). */
  readonly uniformLayout: UniformLayout;
  /** The uniform buffer holding the cheap properties (`uniformLayout.byteSize` bytes). */
  readonly uniformBuffer: Buffer;
  readonly #uniforms: UniformWriter<MaterialUniformName>;
  #planes: Plane[] = [];
  #clippingMode: 'ANY' | 'ALL' = 'ANY';
  #alpha: ReturnType<typeof presetConfig> = presetConfig('auto');
  #depthTest = true;
  #depthCompare: Compare = '<';
  #depthWrite: boolean | undefined;
  #alphaCompare: Compare = '<';
  #renderQueue: number | undefined;
  #pickWrite = false;
  #color: [number, number, number, number] = [1, 1, 1, 1];

  constructor(options: MaterialOptions = {}) {
    // The concrete class's layout: a subclass's fields are written by its own constructor.
    this.uniformLayout = new.target.uniformLayout;
    this.#uniforms = new UniformWriter(this.uniformLayout as UniformLayout<MaterialUniformName>);
    // Items are floats: updateRange takes a field's offset and size divided by 4.
    this.uniformBuffer = new Buffer(new Float32Array(this.#uniforms.data), { label: 'dawn-rfb material uniforms', usage: BufferUsage.UNIFORM });
    this.color = options.color ?? [1, 1, 1, 1];
    this.opacity = options.opacity ?? 1;
    this.alphaTest = options.alphaTest ?? 0;
    this.alphaCompare = options.alphaCompare ?? '<';
    this.clippingPlanes = options.clippingPlanes ?? [];
    this.clippingMode = options.clippingMode ?? 'ANY';
    if (options.alphaConfig !== undefined) this.alphaConfig = options.alphaConfig;
    else this.alphaMode = options.alphaMode ?? 'auto';
    this.depthTest = options.depthTest ?? true;
    this.depthCompare = options.depthCompare ?? '<';
    this.depthWrite = options.depthWrite;
    this.renderQueue = options.renderQueue;
    this.pickWrite = options.pickWrite ?? false;
  }

  /** Colour, linear RGBA. */
  get color(): readonly [number, number, number, number] {
    return this.#color;
  }
  set color(c: Color) {
    if (!Array.isArray(c) || (c.length !== 3 && c.length !== 4) || c.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new InvalidArgumentError(`color must be [r, g, b] or [r, g, b, a] numbers (linear 0..1), got ${describe(c)}`);
    }
    this.#color = [c[0], c[1], c[2], c[3] ?? 1];
    this.#set('color', this.#color);
  }

  /** Opacity 0..1. */
  get opacity(): number {
    return this.#get('opacity');
  }
  set opacity(v: number) {
    this.#set('opacity', unit('opacity', v));
  }

  /** Alpha test threshold 0..1 (0 = off). */
  get alphaTest(): number {
    return this.#get('alphaTest');
  }
  set alphaTest(v: number) {
    this.#set('alphaTest', unit('alphaTest', v));
  }

  /** The alpha test's comparison. */
  get alphaCompare(): Compare {
    return this.#alphaCompare;
  }
  set alphaCompare(v: Compare) {
    this.#alphaCompare = compare('alphaCompare', v);
    this.#set('alphaCompare', COMPARES.indexOf(this.#alphaCompare));
  }

  /** Clipping planes (world space). */
  get clippingPlanes(): readonly Plane[] {
    return this.#planes;
  }
  set clippingPlanes(planes: readonly Plane[]) {
    if (!Array.isArray(planes) || planes.length > MAX_CLIPPING_PLANES) {
      throw new InvalidArgumentError(`clippingPlanes must be an array of at most ${MAX_CLIPPING_PLANES} [a, b, c, d] planes, got ${describe(planes)}`);
    }
    for (const p of planes) {
      if (!Array.isArray(p) || p.length !== 4 || p.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        throw new InvalidArgumentError(`a clipping plane must be [a, b, c, d] (finite numbers), got ${describe(p)}`);
      }
    }
    this.#planes = planes.map((p) => [p[0], p[1], p[2], p[3]] as const);
    const flat = new Array<number>(MAX_CLIPPING_PLANES * 4).fill(0);
    this.#planes.forEach((p, i) => flat.splice(i * 4, 4, ...p));
    this.#set('clipCount', this.#planes.length);
    this.#set('planes', flat);
  }
  /** Number of clipping planes. */
  get clippingPlaneCount(): number {
    return this.#planes.length;
  }

  /** "ANY" or "ALL". */
  get clippingMode(): 'ANY' | 'ALL' {
    return this.#clippingMode;
  }
  set clippingMode(v: 'ANY' | 'ALL') {
    const m = typeof v === 'string' ? v.toUpperCase() : v;
    if (m !== 'ANY' && m !== 'ALL') throw new InvalidArgumentError(`clippingMode must be "ANY" or "ALL", got ${describe(v)}`);
    this.#clippingMode = m;
    this.#set('clipAll', m === 'ALL' ? 1 : 0);
  }

  /** The alpha preset, or "custom" for a config no preset matches. */
  get alphaMode(): AlphaMode | 'custom' {
    return this.#alpha.mode;
  }
  /**
   * Sets a preset. "custom" is in the type only because the getter returns it (TypeScript 5.0,
   * tslab's, requires a getter's type to be assignable to its setter's); setting it throws an
   * InvalidArgumentError: a custom config is set with `alphaConfig`.
   */
  set alphaMode(mode: AlphaMode | 'custom') {
    if (mode === 'custom') throw new InvalidArgumentError('alphaMode "custom" cannot be set: it names a config no preset matches; set alphaConfig instead');
    this.#alpha = presetConfig(mode);
  }
  /** The alpha method of the config. */
  get alphaMethod(): AlphaMethod {
    return this.#alpha.method;
  }
  /** The alpha config in force (a copy). */
  get alphaConfig(): AlphaConfig {
    return { ...this.#alpha };
  }
  set alphaConfig(config: AlphaConfig) {
    this.#alpha = normalizeConfig(config);
  }

  /** Depth test on/off. */
  get depthTest(): boolean {
    return this.#depthTest;
  }
  set depthTest(v: boolean) {
    this.#depthTest = Boolean(v);
  }
  /** Depth comparison. */
  get depthCompare(): Compare {
    return this.#depthCompare;
  }
  set depthCompare(v: Compare) {
    this.#depthCompare = compare('depthCompare', v);
  }
  /** Whether depth is written (the automatic value unless set). */
  get depthWrite(): boolean {
    return this.#depthWrite ?? autoDepthWrite(this.#alpha);
  }
  set depthWrite(v: boolean | undefined) {
    this.#depthWrite = v === undefined || v === null ? undefined : Boolean(v);
  }
  /** Whether depthWrite was set (rather than automatic). */
  get depthWriteIsSet(): boolean {
    return this.#depthWrite !== undefined;
  }

  /** Render queue (the automatic value unless set). */
  get renderQueue(): number {
    return this.#renderQueue ?? autoRenderQueue(this.#alpha, this.alphaTest);
  }
  set renderQueue(v: number | undefined) {
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4999)) {
      throw new InvalidArgumentError(`renderQueue must be an integer in 1..4999 (1000 background, 2000 opaque, 3000 transparent, 4000 overlay), got ${describe(v)}`);
    }
    this.#renderQueue = v ?? undefined;
  }
  /** Whether renderQueue was set. */
  get renderQueueIsSet(): boolean {
    return this.#renderQueue !== undefined;
  }

  /** Whether the object is written to the pick texture. */
  get pickWrite(): boolean {
    return this.#pickWrite;
  }
  set pickWrite(v: boolean) {
    this.#pickWrite = Boolean(v);
  }

  /** @internal The WebGPU depth compare function. */
  get gpuDepthCompare(): GPUCompareFunction {
    return this.#depthTest ? GPU_COMPARE[this.#depthCompare] : 'always';
  }

  /** The state that shapes the pipeline; equal keys share a pipeline. */
  pipelineKey(): string {
    return JSON.stringify([this.kind, this.#alpha, this.gpuDepthCompare, this.depthWrite, this.#pickWrite, this.extraKey()]);
  }

  /** @internal Pipeline-shaping state of subclasses. */
  protected extraKey(): unknown {
    return null;
  }

  /**
   * @internal Writes the scalar uniform field `name` of this class's layout (a subclass's own
   * field) and marks its bytes for upload.
   * @throws {UnknownUniformFieldError} when the class's layout does not declare it.
   */
  protected setUniform(name: string, v: number): void {
    this.#set(name as MaterialUniformName, v);
  }
  /** @internal Reads the scalar uniform field `name` back (as stored: f32 rounding). */
  protected uniform(name: string): number {
    return this.#get(name as MaterialUniformName);
  }

  #set(name: MaterialUniformName, v: number | ArrayLike<number>): void {
    const f = this.#uniforms.set(name, v);
    this.uniformBuffer.updateRange(f.offset / 4, f.size / 4);
  }
  #get(name: MaterialUniformName): number {
    return this.#uniforms.get(name)[0]!;
  }
}

/** An unlit mesh material: colour (times vertex colours when the geometry has them). */
export class MeshBasicMaterial extends Material {
  readonly kind = 'basic' as const;
  constructor(options: MaterialOptions = {}) {
    checkOptionNames('MeshBasicMaterial', options, MATERIAL_OPTION_NAMES);
    super(options);
  }
}

/** Options of {@link MeshPhongMaterial}. */
export interface MeshPhongMaterialOptions extends MaterialOptions {
  /** Specular exponent. Default 30. */
  shininess?: number;
  /** Ambient light level 0..1. Default 0.25. */
  ambient?: number;
}

/** A lit mesh material: ambient + diffuse + Blinn-Phong specular from a light at the camera. */
export class MeshPhongMaterial extends Material {
  /** The base material's uniform fields, then the specular exponent and the ambient level. */
  static override readonly uniformLayout: UniformLayout = Material.uniformLayout.extend('MeshPhongMaterial', { shininess: 'f32', ambient: 'f32' });
  readonly kind = 'phong' as const;
  constructor(options: MeshPhongMaterialOptions = {}) {
    checkOptionNames('MeshPhongMaterial', options, [...MATERIAL_OPTION_NAMES, 'shininess', 'ambient']);
    super(options);
    this.shininess = options.shininess ?? 30;
    this.ambient = options.ambient ?? 0.25;
  }
  /** Specular exponent (> 0). */
  get shininess(): number {
    return this.uniform('shininess');
  }
  set shininess(v: number) {
    if (typeof v !== 'number' || !(v > 0)) throw new InvalidArgumentError(`shininess must be a number > 0, got ${describe(v)}`);
    this.setUniform('shininess', v);
  }
  /** Ambient light 0..1. */
  get ambient(): number {
    return this.uniform('ambient');
  }
  set ambient(v: number) {
    this.setUniform('ambient', unit('ambient', v));
  }
}

/** Options of {@link PointsMaterial}. */
export interface PointsMaterialOptions extends MaterialOptions {
  /** Point diameter in logical pixels. Default 4. */
  size?: number;
  /** Round points (square when false). Default true. */
  round?: boolean;
}

/** Screen-space points (one quad per point, drawn instanced). */
export class PointsMaterial extends Material {
  /** The base material's uniform fields, then the diameter and round (1) or square (0). */
  static override readonly uniformLayout: UniformLayout = Material.uniformLayout.extend('PointsMaterial', { size: 'f32', round: 'u32' });
  readonly kind = 'points' as const;
  constructor(options: PointsMaterialOptions = {}) {
    checkOptionNames('PointsMaterial', options, [...MATERIAL_OPTION_NAMES, 'size', 'round']);
    super(options);
    this.size = options.size ?? 4;
    this.round = options.round ?? true;
  }
  /** Diameter in logical pixels. */
  get size(): number {
    return this.uniform('size');
  }
  set size(v: number) {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`size must be a finite number > 0, got ${describe(v)}`);
    this.setUniform('size', v);
  }
  /** Round or square points. */
  get round(): boolean {
    return this.uniform('round') === 1;
  }
  set round(v: boolean) {
    this.setUniform('round', v ? 1 : 0);
  }
}

/** Options of {@link LineMaterial}. */
export interface LineMaterialOptions extends MaterialOptions {
  /** "strip": a polyline through all vertices; "segments": pairs of vertices. Default "strip". */
  mode?: 'strip' | 'segments';
}

/** One-pixel lines (WebGPU line primitives). */
export class LineMaterial extends Material {
  readonly kind = 'line' as const;
  #mode: 'strip' | 'segments';
  constructor(options: LineMaterialOptions = {}) {
    checkOptionNames('LineMaterial', options, [...MATERIAL_OPTION_NAMES, 'mode']);
    super(options);
    const m = options.mode ?? 'strip';
    if (m !== 'strip' && m !== 'segments') throw new InvalidArgumentError(`LineMaterial mode must be "strip" or "segments", got ${describe(m)}`);
    this.#mode = m;
  }
  /** "strip" or "segments". */
  get mode(): 'strip' | 'segments' {
    return this.#mode;
  }
  protected override extraKey(): unknown {
    return this.#mode;
  }
}
