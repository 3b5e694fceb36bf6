// pygfx's alpha modes: presets of an alpha config, and what each config means for WebGPU's blend
// and depth state, for the automatic depthWrite and for the automatic render queue.
import { InvalidArgumentError } from '../errors.js';

/** The alpha presets (pygfx's alpha_mode values). */
export const ALPHA_MODES = [
  'solid', 'solid_premul', 'auto', 'blend', 'add', 'subtract', 'multiply',
  'weighted_blend', 'weighted_solid', 'dither', 'bayer',
] as const;
/** An alpha preset. */
export type AlphaMode = (typeof ALPHA_MODES)[number];
/** How alpha is used: overwrite, blend per fragment, weighted order-independent, or stochastic. */
export type AlphaMethod = 'opaque' | 'blended' | 'weighted' | 'stochastic';

/** Full control of alpha (pygfx's alpha_config); `alphaMode` presets fill one in. */
export interface AlphaConfig {
  /** The method. Required. */
  method: AlphaMethod;
  /** The preset this came from, or "custom". Set automatically. */
  mode?: AlphaMode | 'custom';
  /** opaque: multiply the colour by alpha before writing. Default false. */
  premultiply?: boolean;
  /** blended: colour operation. Default "add". */
  colorOp?: GPUBlendOperation;
  /** blended: colour source factor. Required for blended. */
  colorSrc?: GPUBlendFactor;
  /** blended: colour destination factor. Required for blended. */
  colorDst?: GPUBlendFactor;
  /** blended: alpha operation. Default: colorOp. */
  alphaOp?: GPUBlendOperation;
  /** blended: alpha source factor. Default: colorSrc. */
  alphaSrc?: GPUBlendFactor;
  /** blended: alpha destination factor. Default: colorDst. */
  alphaDst?: GPUBlendFactor;
  /** weighted: the weight as a WGSL expression of `alpha` (and `depth`, 0..1). Default "alpha". */
  weight?: string;
  /** weighted: the alpha used, a WGSL expression of `alpha`. Default "alpha" ("1.0" for weighted_solid). */
  alpha?: string;
  /** stochastic: "blue-noise" (default: interleaved gradient noise, see README), "white-noise" or "bayer". */
  pattern?: 'blue-noise' | 'white-noise' | 'bayer';
  /** stochastic: what seeds the pattern: "screen", "object" or "element". Default "element" for noise, "object" for bayer. */
  seed?: 'screen' | 'object' | 'element';
}

const PRESETS: Record<AlphaMode, AlphaConfig> = {
  solid: { method: 'opaque', premultiply: false },
  solid_premul: { method: 'opaque', premultiply: true },
  auto: { method: 'blended', colorSrc: 'src-alpha', colorDst: 'one-minus-src-alpha', alphaSrc: 'one', alphaDst: 'one-minus-src-alpha' },
  blend: { method: 'blended', colorSrc: 'src-alpha', colorDst: 'one-minus-src-alpha', alphaSrc: 'one', alphaDst: 'one-minus-src-alpha' },
  add: { method: 'blended', colorSrc: 'src-alpha', colorDst: 'one' },
  subtract: { method: 'blended', colorSrc: 'zero', colorDst: 'one-minus-src' },
  multiply: { method: 'blended', colorSrc: 'zero', colorDst: 'src' },
  weighted_blend: { method: 'weighted', weight: 'alpha', alpha: 'alpha' },
  weighted_solid: { method: 'weighted', weight: 'alpha', alpha: '1.0' },
  dither: { method: 'stochastic', pattern: 'blue-noise', seed: 'element' },
  bayer: { method: 'stochastic', pattern: 'bayer', seed: 'object' },
};

const METHODS: readonly AlphaMethod[] = ['opaque', 'blended', 'weighted', 'stochastic'];

/** The config of a preset. @throws {InvalidArgumentError} for an unknown mode. */
export function presetConfig(mode: string): Required<Pick<AlphaConfig, 'method' | 'mode'>> & AlphaConfig {
  if (!(ALPHA_MODES as readonly string[]).includes(mode)) {
    throw new InvalidArgumentError(`unknown alphaMode ${JSON.stringify(mode)}; allowed: ${ALPHA_MODES.join(', ')}`);
  }
  return normalizeConfig({ ...PRESETS[mode as AlphaMode], mode: mode as AlphaMode });
}

/** Checks a config and fills in its defaults. */
export function normalizeConfig(config: AlphaConfig): Required<Pick<AlphaConfig, 'method' | 'mode'>> & AlphaConfig {
  if (!config || !METHODS.includes(config.method)) {
    throw new InvalidArgumentError(`alphaConfig.method must be one of ${METHODS.join(', ')}, got ${JSON.stringify(config?.method)}`);
  }
  const c: AlphaConfig = { ...config };
  if (c.method === 'opaque') c.premultiply ??= false;
  if (c.method === 'blended') {
    if (!c.colorSrc || !c.colorDst) throw new InvalidArgumentError('alphaConfig: method "blended" needs colorSrc and colorDst (GPUBlendFactor values)');
    c.colorOp ??= 'add';
    c.alphaOp ??= c.colorOp;
    c.alphaSrc ??= c.colorSrc;
    c.alphaDst ??= c.colorDst;
  }
  if (c.method === 'weighted') {
    c.weight ??= 'alpha';
    c.alpha ??= 'alpha';
    for (const k of ['weight', 'alpha'] as const) {
      if (!/^[\w\s.+\-*/(),]*$/.test(c[k]!)) throw new InvalidArgumentError(`alphaConfig.${k} must be a simple WGSL expression (letters, digits, + - * / ( ) , .), got ${JSON.stringify(c[k])}`);
    }
  }
  if (c.method === 'stochastic') {
    c.pattern ??= 'blue-noise';
    if (!['blue-noise', 'white-noise', 'bayer'].includes(c.pattern)) throw new InvalidArgumentError(`alphaConfig.pattern must be "blue-noise", "white-noise" or "bayer", got ${JSON.stringify(c.pattern)}`);
    c.seed ??= c.pattern === 'bayer' ? 'object' : 'element';
    if (!['screen', 'object', 'element'].includes(c.seed)) throw new InvalidArgumentError(`alphaConfig.seed must be "screen", "object" or "element", got ${JSON.stringify(c.seed)}`);
  }
  c.mode ??= matchPreset(c);
  return c as Required<Pick<AlphaConfig, 'method' | 'mode'>> & AlphaConfig;
}

function matchPreset(c: AlphaConfig): AlphaMode | 'custom' {
  for (const mode of ALPHA_MODES) {
    if (mode === 'auto') continue; // "auto" is only ever chosen by name
    const p = normalizeConfig({ ...PRESETS[mode], mode });
    const keys = new Set([...Object.keys(p), ...Object.keys(c)].filter((k) => k !== 'mode'));
    if ([...keys].every((k) => (p as unknown as Record<string, unknown>)[k] === (c as unknown as Record<string, unknown>)[k])) return mode;
  }
  return 'custom';
}

/** The blend state of a blended config (undefined for the other methods: no blending). */
export function blendState(c: AlphaConfig): GPUBlendState | undefined {
  if (c.method !== 'blended') return undefined;
  return {
    color: { operation: c.colorOp ?? 'add', srcFactor: c.colorSrc!, dstFactor: c.colorDst! },
    alpha: { operation: c.alphaOp ?? 'add', srcFactor: c.alphaSrc!, dstFactor: c.alphaDst! },
  };
}

/** depthWrite when not set: true for "auto", opaque and stochastic; false for blended and weighted. */
export function autoDepthWrite(c: AlphaConfig): boolean {
  return c.mode === 'auto' || c.method === 'opaque' || c.method === 'stochastic';
}

/**
 * renderQueue when not set: 2000 opaque, 2400 opaque with an alpha test or stochastic, 2600
 * "auto", 3000 blended and weighted.
 */
export function autoRenderQueue(c: AlphaConfig, alphaTest: number): number {
  if (c.mode === 'auto') return 2600;
  if (c.method === 'opaque') return alphaTest > 0 ? 2400 : 2000;
  if (c.method === 'stochastic') return 2400;
  return 3000;
}

/** Whether a render queue sorts front to back (1501..2500) rather than back to front. */
export function sortsFrontToBack(queue: number): boolean {
  return queue > 1500 && queue <= 2500;
}
