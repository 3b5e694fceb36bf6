// Typed errors of dawn-rfb. Every layer imports from here (it imports nothing), so a caller can
// `catch (e) { if (e instanceof DawnRfbError) ... }` whatever part of the library threw.

/** Base class of every error dawn-rfb throws on purpose. */
export class DawnRfbError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A value given to a dawn-rfb function is out of range or of the wrong type. */
export class InvalidArgumentError extends DawnRfbError {}

/** No WebGPU adapter could be found; `attempts` says what was tried and why each failed. */
export class GpuUnavailableError extends DawnRfbError {
  /** One entry per backend tried, in order. */
  readonly attempts: readonly AdapterAttempt[];
  constructor(message: string, attempts: readonly AdapterAttempt[]) {
    super(message);
    this.attempts = attempts;
  }
}

/** One backend tried while looking for an adapter. */
export interface AdapterAttempt {
  /** Dawn backend name, e.g. "vulkan". */
  backend: string;
  /** WebGPU feature level asked for. */
  featureLevel: 'core' | 'compatibility';
  /** Why it gave no adapter. */
  reason: string;
}

/** An operation was attempted on a canvas that has been closed. */
export class CanvasClosedError extends DawnRfbError {}

/** An event type that is not one of the known event types. */
export class UnknownEventTypeError extends InvalidArgumentError {}

/** A canvas operation that is not allowed in the canvas's current state (e.g. forceDraw while drawing). */
export class CanvasStateError extends DawnRfbError {}

/**
 * An error WebGPU reported (the seed's `GPUError`). `cause` holds WebGPU's own error object or
 * exception where there is one.
 */
export class GpuError extends DawnRfbError {}

/** WebGPU rejected an operation (invalid shader, buffer usage, copy range, ...): `GPUValidationError`. */
export class GpuValidationError extends GpuError {}

/** WebGPU could not allocate memory for an operation (a buffer too large, ...): `GPUOutOfMemoryError`. */
export class GpuOutOfMemoryError extends GpuError {}

/** The WebGPU implementation failed for its own reasons (e.g. a shader too complex): `GPUInternalError`. */
export class GpuInternalError extends GpuError {}

/**
 * A WebGPU call failed with an exception (often a DOMException with an empty message: a map that
 * was aborted, a destroyed device or buffer); the message says what was being done, `cause` is
 * the original exception.
 */
export class GpuOperationError extends GpuError {}

/** The shared frame server has closed (its last canvas closed); `getServer()` starts a new one. */
export class ServerClosedError extends CanvasStateError {}
