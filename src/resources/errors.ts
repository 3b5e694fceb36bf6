// Errors of the resources layer beyond plain bad arguments: a second device, and the uniform
// layouts' unknown field names and wrong values (InvalidArgumentError subclasses, to catch apart).
import { DawnRfbError, InvalidArgumentError } from '../errors.js';

/** A resource (Buffer, Material uniform buffer) was used with a second GPUDevice. */
export class DeviceMismatchError extends DawnRfbError {}

/** A uniform field name that the uniform's layout does not declare (the message lists its fields). */
export class UnknownUniformFieldError extends InvalidArgumentError {}

/** A value for a uniform field of the wrong count or kind (e.g. 3 numbers for a vec4f, -1 for a u32). */
export class UniformValueError extends InvalidArgumentError {}
