// Finding a WebGPU adapter on Dawn: one Dawn instance per backend, tried in a platform order,
// with every failure kept so the final error can say what to install.
import { tmpdir } from 'node:os';
import { create } from 'webgpu';
import { GpuUnavailableError, InvalidArgumentError, type AdapterAttempt } from '../errors.js';
import { installWebGpuGlobals } from './globals.js';

/** Dawn backends that `webgpu` (dawn.node) can be asked for. */
export const BACKENDS = ['vulkan', 'opengles', 'opengl', 'metal', 'd3d12', 'd3d11', 'null'] as const;
/** A Dawn backend name. */
export type Backend = (typeof BACKENDS)[number];
/** WebGPU feature level: "core" is full WebGPU, "compatibility" runs on OpenGL ES. */
export type FeatureLevel = 'core' | 'compatibility';

/** Options of {@link requestAdapter}. */
export interface AdapterOptions {
  /**
   * Backend(s) to try, in order. Default: env `DAWN_RFB_BACKEND` (comma-separated), else the
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

function platformOrder(): Backend[] {
  if (process.platform === 'darwin') return ['metal'];
  if (process.platform === 'win32') return ['d3d12', 'vulkan'];
  return ['vulkan', 'opengles'];
}

/** Parses `DAWN_RFB_BACKEND` or an option into a list of backends; throws on unknown names. */
export function parseBackends(value: Backend | readonly Backend[] | string | undefined): Backend[] {
  if (value === undefined || value === '' || value === 'auto') return platformOrder();
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : [...value];
  for (const b of list) {
    if (!(BACKENDS as readonly string[]).includes(b)) {
      throw new InvalidArgumentError(`unknown WebGPU backend "${b}"; allowed: ${BACKENDS.join(', ')} (or "auto")`);
    }
  }
  return list as Backend[];
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

/**
 * Finds a WebGPU adapter, trying each backend in order.
 * @throws {GpuUnavailableError} listing every backend tried, why it failed and how to fix it.
 */
export async function requestAdapter(options: AdapterOptions = {}): Promise<FoundAdapter> {
  installWebGpuGlobals(); // code written for the web expects GPUBufferUsage & co. next to a device
  const backends = parseBackends(options.backend ?? process.env.DAWN_RFB_BACKEND);
  const attempts: AdapterAttempt[] = [];
  for (const backend of backends) {
    const featureLevel: FeatureLevel = options.featureLevel
      ?? (backend === 'opengles' || backend === 'opengl' ? 'compatibility' : 'core');
    try {
      const gpu = instanceFor(backend, options.dawnOptions ?? []);
      const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference, featureLevel } as GPURequestAdapterOptions);
      if (adapter) return { adapter, backend, featureLevel, attempts };
      attempts.push({ backend, featureLevel, reason: failureHint(backend) });
    } catch (e) {
      attempts.push({ backend, featureLevel, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  const lines = attempts.map((a) => `  - ${a.backend} (${a.featureLevel}): ${a.reason}`);
  throw new GpuUnavailableError(
    `no WebGPU adapter found. Tried:\n${lines.join('\n')}\n`
    + 'Fix: run `npm run setup` (as root on Debian it installs Mesa\'s software Vulkan driver), '
    + 'or choose a backend with DAWN_RFB_BACKEND (one of: ' + BACKENDS.join(', ') + ').',
    attempts,
  );
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render|warp/i;

/** Describes an adapter found by {@link requestAdapter}. */
export function adapterSummary(found: FoundAdapter): AdapterSummary {
  const info = found.adapter.info;
  const name = info.description || info.device || info.architecture || 'unknown adapter';
  return {
    name,
    device: info.device || '',
    vendor: info.vendor || 'unknown',
    backend: found.backend,
    featureLevel: found.featureLevel,
    software: SOFTWARE.test(`${name} ${info.architecture}`) || (found.adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
  };
}

/** One line for logs: "llvmpipe: Mesa ... [llvmpipe-llvm-...] (mesa, vulkan, core, software)". */
export function formatAdapterSummary(s: AdapterSummary): string {
  const device = s.device && s.device !== s.name ? ` [${s.device}]` : '';
  return `${s.name}${device} (${s.vendor}, ${s.backend}, ${s.featureLevel}${s.software ? ', software' : ''})`;
}
