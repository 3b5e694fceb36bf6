// Turns WebGPU's asynchronous validation errors into exceptions at the call that caused them.
import { GpuValidationError } from '../errors.js';

/**
 * Runs `fn` inside a validation and an out-of-memory error scope and throws
 * {@link GpuValidationError} (prefixed by `what`) if WebGPU reported an error in it.
 */
export async function checked<T>(device: GPUDevice, what: string, fn: () => T): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = fn();
  } finally {
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const error = validation ?? oom;
    if (error) throw new GpuValidationError(`${what}: ${error.message.trim()}`);
  }
  return result;
}
