// Backend names: Dawn's (as an option or DAWN_RFB_BACKEND, any case) and the seed's
// WGPU_BACKEND_TYPE, resolved into the list of backends to try; errors name where a bad value
// came from.
import { InvalidArgumentError } from '../errors.js';

/** Dawn backends that `webgpu` (dawn.node) can be asked for. */
export const BACKENDS = ['vulkan', 'opengles', 'opengl', 'metal', 'd3d12', 'd3d11', 'null'] as const;
/** A Dawn backend name. */
export type Backend = (typeof BACKENDS)[number];

function platformOrder(): Backend[] {
  if (process.platform === 'darwin') return ['metal'];
  if (process.platform === 'win32') return ['d3d12', 'vulkan'];
  return ['vulkan', 'opengles'];
}

// The seed's WGPU_BACKEND_TYPE names (wgpu's BackendType) in Dawn's terms. wgpu's "OpenGL"
// backend is its GLES/EGL one, hence opengles.
const WGPU_BACKEND_TYPES: Record<string, Backend> = {
  vulkan: 'vulkan', metal: 'metal', d3d12: 'd3d12', d3d11: 'd3d11', opengl: 'opengles', opengles: 'opengles', null: 'null',
};

/**
 * Parses a backend list (an option, or the comma-separated value of `DAWN_RFB_BACKEND`) into
 * Dawn backend names, case-insensitively ("Vulkan" is "vulkan"). "auto" (or undefined) is the
 * platform order.
 * @param source where the value came from, named in the error (default "the backend option").
 * @throws {InvalidArgumentError} for unknown names and for an empty list.
 */
export function parseBackends(value: Backend | readonly Backend[] | string | undefined, source = 'the backend option'): Backend[] {
  if (value === undefined || value === '' || value === 'auto') return platformOrder();
  if (typeof value !== 'string' && !Array.isArray(value)) {
    throw new InvalidArgumentError(`${source} must be a backend name or an array of them (one of: ${BACKENDS.join(', ')}), got ${typeof value}`);
  }
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : [...value];
  if (list.length === 0) {
    throw new InvalidArgumentError(`${source} lists no backend; give one or more of: ${BACKENDS.join(', ')} (or "auto")`);
  }
  return list.map((b) => {
    const name = typeof b === 'string' ? b.toLowerCase() : b;
    if (!(BACKENDS as readonly unknown[]).includes(name)) {
      throw new InvalidArgumentError(`unknown WebGPU backend ${JSON.stringify(b)} in ${source}; allowed: ${BACKENDS.join(', ')} (any case, or "auto")`);
    }
    return name as Backend;
  });
}

/**
 * Parses the seed's `WGPU_BACKEND_TYPE` value ("Vulkan", "Metal", "D3D12", "D3D11", "OpenGL",
 * any case) into a Dawn backend; wgpu's "OpenGL" is its GLES backend, so it maps to "opengles".
 * @throws {InvalidArgumentError} naming WGPU_BACKEND_TYPE for other values.
 */
export function parseWgpuBackendType(value: string): Backend {
  const backend = typeof value === 'string' ? WGPU_BACKEND_TYPES[value.trim().toLowerCase()] : undefined;
  if (!backend) {
    throw new InvalidArgumentError(`unknown backend ${JSON.stringify(value)} in WGPU_BACKEND_TYPE; allowed: Vulkan, Metal, D3D12, D3D11, OpenGL (any case), or use DAWN_RFB_BACKEND with one of: ${BACKENDS.join(', ')}`);
  }
  return backend;
}

/**
 * The backends to try: the option if given, else `DAWN_RFB_BACKEND`, else the seed's
 * `WGPU_BACKEND_TYPE`, else the platform order. Empty variables count as unset.
 */
export function resolveBackends(option?: Backend | readonly Backend[] | string): Backend[] {
  if (option !== undefined) return parseBackends(option);
  const dawn = process.env.DAWN_RFB_BACKEND;
  if (dawn !== undefined && dawn.trim() !== '') return parseBackends(dawn, 'DAWN_RFB_BACKEND');
  const wgpu = process.env.WGPU_BACKEND_TYPE;
  if (wgpu !== undefined && wgpu.trim() !== '') return [parseWgpuBackendType(wgpu)];
  return platformOrder();
}
