// Baselines are kept per adapter class: a software rasteriser and an NVIDIA GPU round differently
// at edges, so each gets its own baselines instead of one fighting the other.
import { InvalidArgumentError } from '../errors.js';
import { requestAdapter, type AdapterSummary } from '../gpu/adapter.js';
import { adapterSummary } from '../gpu/device.js';

/** Environment variable that overrides the detected adapter class. */
export const ADAPTER_CLASS_ENV = 'DAWN_RFB_ADAPTER_CLASS';

const VALID = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * The adapter class of an adapter summary: `software|hardware-<vendor>-<backend>`, e.g.
 * `software-mesa-vulkan` (lavapipe) or `hardware-nvidia-vulkan`. Folder-safe.
 */
export function adapterClassOf(summary: Pick<AdapterSummary, 'software' | 'vendor' | 'backend'>): string {
  const clean = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unknown';
  return `${summary.software ? 'software' : 'hardware'}-${clean(summary.vendor)}-${clean(summary.backend)}`;
}

/** Checks an adapter class name given by the user (folder-safe: lower-case letters, digits, `.`, `_`, `-`). */
export function checkAdapterClass(name: string): string {
  if (!VALID.test(name)) {
    throw new InvalidArgumentError(`adapter class must be lower-case letters, digits, ".", "_" or "-" (it names a folder), got ${JSON.stringify(name)}`);
  }
  return name;
}

let detected: Promise<string> | undefined;

/**
 * The adapter class dawn-rfb uses here: env `DAWN_RFB_ADAPTER_CLASS` when set, else the class
 * of the adapter `requestAdapter()` finds (same backend choice as `getDefaultDevice()`; no device
 * is created). Cached per process.
 */
export function currentAdapterClass(): Promise<string> {
  const forced = process.env[ADAPTER_CLASS_ENV];
  if (forced) return Promise.resolve(checkAdapterClass(forced));
  detected ??= requestAdapter().then((found) => adapterClassOf(adapterSummary(found)));
  return detected;
}
