// Turns WebGPU's asynchronous errors into exceptions at the call that caused them, each of the
// class the seed names (validation, out of memory, internal), and wraps the bare exceptions
// WebGPU throws (DOMExceptions with empty messages) in errors that say what was being done.
import { DawnRfbError, GpuError, GpuInternalError, GpuOperationError, GpuOutOfMemoryError, GpuValidationError } from '../errors.js';

/** The dawn-rfb error class for a WebGPU GPUError (by its constructor name). */
export function fromGpuError(what: string, error: GPUError): GpuError {
  const message = `${what}: ${error.message.trim()}`;
  switch (error.constructor?.name) {
    case 'GPUOutOfMemoryError': return new GpuOutOfMemoryError(message, { cause: error });
    case 'GPUInternalError': return new GpuInternalError(message, { cause: error });
    default: return new GpuValidationError(message, { cause: error });
  }
}

/**
 * Runs `fn` inside validation, out-of-memory and internal error scopes and throws the matching
 * {@link GpuValidationError}, {@link GpuOutOfMemoryError} or {@link GpuInternalError} (message
 * prefixed by `what`, WebGPU's error as `cause`) if WebGPU reported an error in it. An exception
 * thrown by `fn` itself is rethrown after the scopes are popped (wrapped by {@link wrapGpuException}).
 */
export async function checked<T>(device: GPUDevice, what: string, fn: () => T): Promise<T> {
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let thrown: unknown;
  let failed = false;
  try {
    result = fn();
  } catch (e) {
    failed = true;
    thrown = e;
  }
  // Popped in order whatever happened, so the device's scope stack stays balanced.
  const errors = [await device.popErrorScope(), await device.popErrorScope(), await device.popErrorScope()];
  const error = errors.find((e) => e !== null);
  // WebGPU's own error says why; an exception of fn (e.g. getMappedRange of an invalid buffer) is a consequence.
  if (error) throw fromGpuError(what, error);
  if (failed) throw wrapGpuException(what, thrown);
  return result as T;
}

/**
 * Gives a WebGPU exception a message that says what was being done. DOMExceptions from Dawn
 * often have an empty message ("OperationError", "AbortError"); ours names the operation and
 * the likely reasons. dawn-rfb's own errors pass through unchanged.
 */
export function wrapGpuException(what: string, e: unknown): unknown {
  if (e instanceof DawnRfbError) return e;
  if (!(e instanceof Error)) return new GpuOperationError(`${what} failed: ${String(e)}`, { cause: e });
  const name = e.name || e.constructor?.name || 'Error';
  const detail = e.message ? `${name}: ${e.message}` : name;
  let hint = '';
  if (name === 'AbortError') hint = ' (the buffer was unmapped or destroyed, or its device destroyed, before the map finished)';
  else if (name === 'OperationError' && !e.message) hint = ' (the device or buffer is destroyed, the buffer is already mapped or being mapped, or the range is outside the buffer or the mapped range)';
  return new GpuOperationError(`${what} failed: ${detail}${hint}`, { cause: e });
}

/** Awaits `buffer.mapAsync(...)`, turning its bare exceptions into {@link GpuOperationError}s that say what was mapped. */
export async function mapBuffer(buffer: GPUBuffer, mode: GPUMapModeFlags, what: string, offset?: number, size?: number): Promise<void> {
  try {
    await buffer.mapAsync(mode, offset, size);
  } catch (e) {
    throw wrapGpuException(`${what}: mapping buffer "${buffer.label}"`, e);
  }
}
