// Device acquisition and the process-wide default device. Uncaptured validation errors and
// device loss are reported (once each, with the device's label), never swallowed.
import { reportError } from '../report.js';
import { adapterSummary, requestAdapter, type AdapterOptions, type AdapterSummary, type FoundAdapter } from './adapter.js';

/** Options of {@link requestDevice}: where to find the adapter, and what to ask of the device. */
export interface DeviceOptions extends AdapterOptions {
  /** Device label, used in error reports. Default: `"dawn-rfb device"`. */
  label?: string;
  /** Features the device must have. Default: none. */
  requiredFeatures?: GPUFeatureName[];
  /**
   * Limits the device must have. Default: WebGPU's defaults, except `maxTextureDimension2D`,
   * which is raised to the adapter's maximum so large canvases work.
   */
  requiredLimits?: Record<string, number>;
}

const summaries = new WeakMap<GPUDevice, AdapterSummary>();

/**
 * Requests a new WebGPU device (see {@link AdapterOptions} for the backend order). Uncaptured
 * errors on it and its loss are reported through {@link reportError}.
 * @throws {GpuUnavailableError} when no backend gives an adapter.
 */
export async function requestDevice(options: DeviceOptions = {}): Promise<GPUDevice> {
  const found = await requestAdapter(options);
  const label = options.label ?? 'dawn-rfb device';
  const device = await found.adapter.requestDevice({
    label,
    requiredFeatures: options.requiredFeatures ?? [],
    requiredLimits: {
      maxTextureDimension2D: found.adapter.limits.maxTextureDimension2D,
      ...options.requiredLimits,
    },
  });
  watchDevice(device, label, found);
  return device;
}

function watchDevice(device: GPUDevice, label: string, found: FoundAdapter): void {
  summaries.set(device, adapterSummary(found));
  // preventDefault stops dawn.node from also printing the error on stdout, where it would mix
  // with a program's output; ours goes through the reporter (stderr by default).
  device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
    ev.preventDefault();
    reportError(`uncaptured ${ev.error.constructor.name} on device "${label}"`, ev.error.message);
  };
  void device.lost.then((info) => {
    if (device === resolvedDefault) {
      defaultDevice = undefined;
      resolvedDefault = undefined;
    }
    if (info.reason !== 'destroyed') {
      reportError(`device "${label}" lost`, `${info.reason}: ${info.message}`);
    }
  });
}

/** What the adapter behind a device is; undefined for devices not made by {@link requestDevice}. */
export function deviceSummary(device: GPUDevice): AdapterSummary | undefined {
  return summaries.get(device);
}

let defaultDevice: Promise<GPUDevice> | undefined;
let resolvedDefault: GPUDevice | undefined;

/**
 * The process-wide shared device: the same object on every call (a new one only after it is
 * lost). Created on first use with {@link requestDevice}'s defaults (backend from
 * `DAWN_RFB_BACKEND` or the platform order).
 */
export function getDefaultDevice(): Promise<GPUDevice> {
  if (!defaultDevice) {
    const p = requestDevice({ label: 'dawn-rfb default device' }).then((d) => (resolvedDefault = d));
    // A failed attempt is not cached: the next call tries again (after the user fixed the setup).
    p.catch(() => { if (defaultDevice === p) defaultDevice = undefined; });
    defaultDevice = p;
  }
  return defaultDevice;
}
