// A CPU-side resource is bound to the first GPUDevice it is used with; using it with another
// device is an error (its GPU copy lives on one device only).
import { DeviceMismatchError } from './errors.js';

/** Remembers the device of a resource and refuses a second one. */
export function bindDevice(current: GPUDevice | undefined, device: GPUDevice, what: string): GPUDevice {
  if (current && current !== device) {
    throw new DeviceMismatchError(`${what} is already used with another GPUDevice (${current.label || 'unlabelled'}); a resource lives on one device: create a separate one for each device`);
  }
  return device;
}

/** Writes bytes to a GPU buffer; pads a tail whose size is not a multiple of 4 (WebGPU's rule). */
export function writeBytes(device: GPUDevice, buffer: GPUBuffer, offset: number, bytes: Uint8Array): void {
  if (bytes.byteLength === 0) return;
  if (bytes.byteLength % 4 === 0) {
    device.queue.writeBuffer(buffer, offset, bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
    return;
  }
  const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  padded.set(bytes);
  device.queue.writeBuffer(buffer, offset, padded.buffer, 0, padded.byteLength);
}

/** Rounds a size up to a multiple of 4 (and at least 4): WebGPU buffer and copy sizes. */
export function gpuSize(nbytes: number): number {
  return Math.max(4, Math.ceil(nbytes / 4) * 4);
}
