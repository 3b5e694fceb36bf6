// Finding a WebGPU adapter on Dawn: one Dawn instance per backend, tried in a platform order,
// with every failure kept so the final error can say what to install.
import { tmpdir } from 'node:os';
import { create } from 'webgpu';
import { GpuUnavailableError, InvalidArgumentError, type AdapterAttempt } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { installWebGpuGlobals } from './globals.js';
import { adapterFixHint } from './install-hints.js';
import { withoutDawnLimitWarnings } from './quiet-stderr.js';
import { BACKENDS, parseBackends, resolveBackends, type Backend } from './backends.js';

export { BACKENDS, parseBackends, parseWgpuBackendType, resolveBackends, type Backend } from './backends.js';

/** WebGPU feature level: "core" is full WebGPU, "compatibility" runs on OpenGL ES. */
export type FeatureLevel = 'core' | 'compatibility';

/** Options of {@link requestAdapter}. */
export interface AdapterOptions {
  /**
   * Backend(s) to try, in order (any case). Default: env `DAWN_RFB_BACKEND` (comma-separated),
   * else the seed's `WGPU_BACKEND_TYPE` (Vulkan, Metal, D3D12, D3D11, OpenGL), else the
   * platform order: Linux `vulkan` then `opengles`; macOS `metal`; Windows `d3d12` then `vulkan`.
   */
  backend?: Backend | readonly Backend[];
  /** Default: `undefined` (Dawn's choice). */
  powerPreference?: GPUPowerPreference;
  /** Default: `core` for every backend but OpenGL/OpenGL ES, which need `compatibility`. */
  featureLevel?: FeatureLevel;
  /** Extra Dawn instance options, e.g. `["enable-dawn-features=dump_shaders"]`. Default: none. */
  dawnOptions?: readonly string[];
}

/** An adapter together with how it was found. */
export interface FoundAdapter {
  adapter: GPUAdapter;
  backend: Backend;
  featureLevel: FeatureLevel;
  /** Backends tried before this one, and why they failed. */
  attempts: AdapterAttempt[];
}

/** A short description of an adapter, for logs and for the user. */
export interface AdapterSummary {
  /** Adapter description, e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)" (NVIDIA puts its driver version here). */
  name: string;
  /** Device id, e.g. "nvidia-h100-80gb-hbm3" (may be empty). */
  device: string;
  /** Vendor, e.g. "mesa" or "nvidia". */
  vendor: string;
  /** The Dawn backend it runs on. */
  backend: Backend;
  featureLevel: FeatureLevel;
  /** True for CPU renderers (llvmpipe/lavapipe, SwiftShader, WARP). */
  software: boolean;
}

const POWER_PREFERENCES = ['low-power', 'high-performance'];
/** The names of {@link AdapterOptions}, for the unknown-option check. */
export const ADAPTER_OPTION_NAMES = optionNames<AdapterOptions>({ backend: true, powerPreference: true, featureLevel: true, dawnOptions: true });
const ENUMERATE_OPTION_NAMES = optionNames<EnumerateOptions>({ backend: true });
const FEATURE_LEVELS = ['core', 'compatibility'];

/** Throws InvalidArgumentError for adapter options of the wrong type or value. */
function checkAdapterOptions(options: AdapterOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`adapter/device options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  checkOptionNames('requestAdapter', options, ADAPTER_OPTION_NAMES);
  const { powerPreference, featureLevel, dawnOptions } = options;
  if (powerPreference !== undefined && !POWER_PREFERENCES.includes(powerPreference as string)) {
    throw new InvalidArgumentError(`powerPreference must be "low-power" or "high-performance" (or left out for Dawn's choice), got ${JSON.stringify(powerPreference)}`);
  }
  if (featureLevel !== undefined && !FEATURE_LEVELS.includes(featureLevel)) {
    throw new InvalidArgumentError(`featureLevel must be "core" or "compatibility" (or left out), got ${JSON.stringify(featureLevel)}`);
  }
  if (dawnOptions !== undefined && (!Array.isArray(dawnOptions) || !dawnOptions.every((o) => typeof o === 'string'))) {
    throw new InvalidArgumentError('dawnOptions must be an array of strings such as "enable-dawn-features=dump_shaders"');
  }
}

// Dawn prints why a backend failed on stderr but only returns null; remember our own reasons.
function failureHint(backend: Backend): string {
  switch (backend) {
    case 'vulkan':
      return 'no Vulkan driver (needs libvulkan.so.1 and an ICD; for a software GPU install Mesa >= 23 "mesa-vulkan-drivers", on Debian 12 from bookworm-backports)';
    case 'opengles':
    case 'opengl':
      return 'no usable EGL/OpenGL driver (install libegl1 and libegl-mesa0; headless needs EGL_PLATFORM=surfaceless)';
    default:
      return `backend ${backend} is not available on ${process.platform}`;
  }
}

// Keeps the Dawn instance of each backend alive as long as an adapter from it may be in use.
const instances = new Map<Backend, GPU>();

function instanceFor(backend: Backend, dawnOptions: readonly string[]): GPU {
  if (dawnOptions.length > 0) return create([`backend=${backend}`, ...dawnOptions]);
  let gpu = instances.get(backend);
  if (!gpu) {
    if ((backend === 'opengles' || backend === 'opengl') && !process.env.EGL_PLATFORM) {
      // Without a display, Mesa's EGL must be told to run without one (else EGL_NOT_INITIALIZED).
      process.env.EGL_PLATFORM = 'surfaceless';
    }
    // Mesa's drivers complain on every start when XDG_RUNTIME_DIR is unset (common in containers).
    process.env.XDG_RUNTIME_DIR ??= tmpdir();
    gpu = create([`backend=${backend}`]);
    instances.set(backend, gpu);
  }
  return gpu;
}

function defaultFeatureLevel(backend: Backend): FeatureLevel {
  return backend === 'opengles' || backend === 'opengl' ? 'compatibility' : 'core';
}

// How each adapter we handed out was found, so a bare GPUAdapter can be summarised.
const origins = new WeakMap<GPUAdapter, { backend: Backend; featureLevel: FeatureLevel }>();

async function adapterFrom(gpu: GPU, backend: Backend, featureLevel: FeatureLevel,
  extra: GPURequestAdapterOptions): Promise<GPUAdapter | null> {
  // Dawn discovers the adapter (and prints its limit warnings) inside the synchronous call.
  const adapter = await withoutDawnLimitWarnings(() => gpu.requestAdapter({ ...extra, featureLevel } as GPURequestAdapterOptions));
  if (adapter) origins.set(adapter, { backend, featureLevel });
  return adapter;
}

/**
 * Finds a WebGPU adapter, trying each backend in order.
 * @throws {InvalidArgumentError} for unknown backends, an empty backend list, or a bad
 *   `powerPreference` / `featureLevel`.
 * @throws {GpuUnavailableError} listing every backend tried, why it failed and how to fix it.
 */
export async function requestAdapter(options: AdapterOptions = {}): Promise<FoundAdapter> {
  checkAdapterOptions(options);
  installWebGpuGlobals(); // code written for the web expects GPUBufferUsage & co. next to a device
  const backends = resolveBackends(options.backend);
  const attempts: AdapterAttempt[] = [];
  for (const backend of backends) {
    const featureLevel: FeatureLevel = options.featureLevel ?? defaultFeatureLevel(backend);
    try {
      const gpu = instanceFor(backend, options.dawnOptions ?? []);
      const adapter = await adapterFrom(gpu, backend, featureLevel, { powerPreference: options.powerPreference });
      if (adapter) return { adapter, backend, featureLevel, attempts };
      attempts.push({ backend, featureLevel, reason: failureHint(backend) });
    } catch (e) {
      attempts.push({ backend, featureLevel, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  const lines = attempts.map((a) => `  - ${a.backend} (${a.featureLevel}): ${a.reason}`);
  throw new GpuUnavailableError(`no WebGPU adapter found. Tried:\n${lines.join('\n')}\n${adapterFixHint(backends)}`, attempts);
}

/** An adapter found by {@link enumerateAdapters}, with its summary. */
export interface EnumeratedAdapter extends FoundAdapter {
  summary: AdapterSummary;
}

/** Options of {@link enumerateAdapters}. */
export interface EnumerateOptions {
  /** Backends to look at. Default: every backend in {@link BACKENDS} (those absent on this platform give nothing). */
  backend?: Backend | readonly Backend[];
}

/**
 * Every adapter Dawn can see (the seed's `enumerate_adapters`): each backend is asked for its
 * default, low-power, high-performance and fallback adapter, at the feature level it supports
 * best; duplicates are dropped. Backends that fail are skipped (requestAdapter says why).
 */
export async function enumerateAdapters(options: EnumerateOptions = {}): Promise<EnumeratedAdapter[]> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('enumerateAdapters: options must be an object');
  checkOptionNames('enumerateAdapters', options, ENUMERATE_OPTION_NAMES);
  installWebGpuGlobals();
  const backends = options.backend === undefined ? [...BACKENDS] : parseBackends(options.backend);
  const found: EnumeratedAdapter[] = [];
  const seen = new Set<string>();
  const asks: GPURequestAdapterOptions[] = [{}, { powerPreference: 'low-power' }, { powerPreference: 'high-performance' }, { forceFallbackAdapter: true }];
  for (const backend of backends) {
    const featureLevel = defaultFeatureLevel(backend);
    let gpu: GPU;
    try {
      gpu = instanceFor(backend, []);
    } catch {
      continue;
    }
    for (const ask of asks) {
      let adapter: GPUAdapter | null;
      try {
        adapter = await adapterFrom(gpu, backend, featureLevel, ask);
      } catch {
        continue;
      }
      if (!adapter) continue;
      const entry = { adapter, backend, featureLevel, attempts: [] };
      const summary = summarize(entry);
      const info = adapter.info;
      const key = [backend, info.vendor, info.architecture, info.device, info.description].join('\u0000');
      if (seen.has(key)) continue;
      seen.add(key);
      found.push({ ...entry, summary });
    }
  }
  return found;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render|warp/i;

/** @internal Describes an adapter found by {@link requestAdapter}. */
export function summarize(found: FoundAdapter): AdapterSummary {
  const info = found.adapter.info;
  const name = info.description || info.device || info.architecture || 'unknown adapter';
  return {
    name,
    device: info.device || '',
    vendor: info.vendor || 'unknown',
    backend: found.backend,
    featureLevel: found.featureLevel,
    software: SOFTWARE.test(`${name} ${info.device} ${info.architecture}`) || (found.adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
  };
}

/** @internal How a GPUAdapter handed out by dawn-rfb was found, or undefined for others. */
export function adapterOrigin(adapter: GPUAdapter): { backend: Backend; featureLevel: FeatureLevel } | undefined {
  return origins.get(adapter);
}

/** One line for logs: "llvmpipe: Mesa ... [llvmpipe-llvm-...] (mesa, vulkan, core, software)". */
export function formatAdapterSummary(s: AdapterSummary): string {
  if (s === null || typeof s !== 'object' || typeof s.name !== 'string') {
    throw new InvalidArgumentError('formatAdapterSummary: expected an AdapterSummary (from adapterSummary() or deviceSummary())');
  }
  const device = s.device && s.device !== s.name ? ` [${s.device}]` : '';
  return `${s.name}${device} (${s.vendor}, ${s.backend}, ${s.featureLevel}${s.software ? ', software' : ''})`;
}
