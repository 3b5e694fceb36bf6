// Device acquisition and the process-wide default device. Uncaptured validation errors and
// device loss are reported (once each, with the device's label), never swallowed.
import { InvalidArgumentError } from '../errors.js';
import { reportError } from '../report.js';
import {
  ADAPTER_OPTION_NAMES, adapterOrigin, requestAdapter, summarize, type AdapterOptions, type AdapterSummary, type FoundAdapter,
} from './adapter.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { wrapGpuException } from './scopes.js';

/** Options of {@link requestDevice}: where to find the adapter, and what to ask of the device. */
export interface DeviceOptions extends AdapterOptions {
  /** Device label, used in error reports. Default: `"dawn-rfb device"`. */
  label?: string;
  /** Features the device must have. Default: none. */
  requiredFeatures?: GPUFeatureName[];
  /**
   * Limits the device must have. Default: WebGPU's defaults, except `maxTextureDimension2D`,
   * which is raised to the adapter's maximum so large canvases work, and `maxBufferSize`, raised
   * (within the adapter's maximum) to what reading back the largest such texture needs
   * (16384x16384 RGBA: 1 GiB), since a canvas's readback buffer is bound by it.
   */
  requiredLimits?: Record<string, number>;
}

const found = new WeakMap<GPUDevice, FoundAdapter>();
const DEVICE_OPTION_NAMES = optionNames<DeviceOptions>({
  backend: true, powerPreference: true, featureLevel: true, dawnOptions: true, label: true, requiredFeatures: true, requiredLimits: true,
});

/** The adapter part of device options (requestAdapter checks its own names). */
function adapterPart(options: DeviceOptions): AdapterOptions {
  return Object.fromEntries(Object.entries(options).filter(([k]) => ADAPTER_OPTION_NAMES.includes(k))) as AdapterOptions;
}

function checkDeviceOptions(options: DeviceOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`requestDevice: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  checkOptionNames('requestDevice', options, DEVICE_OPTION_NAMES);
  if (options.label !== undefined && typeof options.label !== 'string') {
    throw new InvalidArgumentError(`requestDevice: label must be a string, got ${typeof options.label}`);
  }
  if (options.requiredFeatures !== undefined && !Array.isArray(options.requiredFeatures)) {
    throw new InvalidArgumentError('requestDevice: requiredFeatures must be an array of GPUFeatureName strings');
  }
  const limits = options.requiredLimits;
  if (limits !== undefined && (limits === null || typeof limits !== 'object'
    || !Object.values(limits).every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0))) {
    throw new InvalidArgumentError('requestDevice: requiredLimits must be an object of limit name -> non-negative number, e.g. { maxBufferSize: 1 << 30 }');
  }
}

/**
 * Requests a new WebGPU device (see {@link AdapterOptions} for the backend order). Uncaptured
 * errors on it and its loss are reported through {@link reportError}.
 * @throws {InvalidArgumentError} for bad options; {@link GpuUnavailableError} when no backend
 *   gives an adapter; {@link GpuOperationError} when the adapter refuses the features or limits.
 */
export async function requestDevice(options: DeviceOptions = {}): Promise<GPUDevice> {
  checkDeviceOptions(options);
  const adapterFound = await requestAdapter(adapterPart(options));
  const label = options.label ?? 'dawn-rfb device';
  let device: GPUDevice;
  try {
    device = await adapterFound.adapter.requestDevice({
      label,
      requiredFeatures: options.requiredFeatures ?? [],
      requiredLimits: { ...canvasLimits(adapterFound.adapter.limits), ...options.requiredLimits },
    });
  } catch (e) {
    throw wrapGpuException(`requestDevice on ${adapterFound.backend}`, e);
  }
  watchDevice(device, label, adapterFound);
  return device;
}

/**
 * The limits asked for by default: the adapter's largest 2D texture, and a maxBufferSize that
 * fits its readback (rows of width x 4 bytes, already a multiple of 256 at these sizes), within
 * what the adapter allows and never below WebGPU's default.
 */
function canvasLimits(adapter: GPUSupportedLimits): Record<string, number> {
  const dimension = adapter.maxTextureDimension2D;
  const readback = dimension * 4 * dimension;
  return {
    maxTextureDimension2D: dimension,
    maxBufferSize: Math.max(DEFAULT_MAX_BUFFER_SIZE, Math.min(adapter.maxBufferSize, readback)),
  };
}

/** WebGPU's default maxBufferSize (256 MiB). */
const DEFAULT_MAX_BUFFER_SIZE = 268_435_456;

function watchDevice(device: GPUDevice, label: string, adapterFound: FoundAdapter): void {
  found.set(device, adapterFound);
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
  const f = device !== null && typeof device === 'object' ? found.get(device) : undefined;
  return f && summarize(f);
}

/**
 * The adapter a device was requested from, with its backend and feature level (the seed's
 * `GPUDevice.adapter`).
 * @throws {InvalidArgumentError} for a device not made by {@link requestDevice} / {@link getDefaultDevice}.
 */
export function deviceAdapter(device: GPUDevice): FoundAdapter {
  const f = device !== null && typeof device === 'object' ? found.get(device) : undefined;
  if (!f) throw new InvalidArgumentError('deviceAdapter: expected a GPUDevice made by requestDevice() or getDefaultDevice()');
  return f;
}

function isFoundAdapter(x: unknown): x is FoundAdapter {
  return x !== null && typeof x === 'object' && 'adapter' in x && 'backend' in x && 'featureLevel' in x;
}

/**
 * Describes an adapter (the seed's `GPUAdapter.summary`): give what {@link requestAdapter}
 * returned, a GPUAdapter dawn-rfb handed out, or a device made by {@link requestDevice}. With no
 * argument, the default device's adapter (once {@link getDefaultDevice} has resolved).
 * @throws {InvalidArgumentError} for anything else, or with no argument before the default device exists.
 */
export function adapterSummary(target?: FoundAdapter | GPUAdapter | GPUDevice): AdapterSummary {
  if (target === undefined) {
    if (resolvedDefault) return deviceSummary(resolvedDefault)!;
    throw new InvalidArgumentError('adapterSummary(): the default device does not exist yet; call `await getDefaultDevice()` first, or pass the result of requestAdapter() or a device');
  }
  if (isFoundAdapter(target)) return summarize(target);
  if (target !== null && typeof target === 'object') {
    const device = found.get(target as GPUDevice);
    if (device) return summarize(device);
    const origin = adapterOrigin(target as GPUAdapter);
    if (origin) return summarize({ adapter: target as GPUAdapter, ...origin, attempts: [] });
  }
  throw new InvalidArgumentError('adapterSummary: expected the result of requestAdapter(), a GPUAdapter from dawn-rfb, or a device from requestDevice()/getDefaultDevice()');
}

let defaultDevice: Promise<GPUDevice> | undefined;
let resolvedDefault: GPUDevice | undefined;

/**
 * The process-wide shared device: the same object on every call (a new one only after it is
 * lost). Created on first use with {@link requestDevice}'s defaults (backend from
 * `DAWN_RFB_BACKEND`, `WGPU_BACKEND_TYPE` or the platform order).
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
