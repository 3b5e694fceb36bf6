// Errors of the resources layer that are not plain bad arguments.
import { DawnRfbError } from '../errors.js';

/** A resource (Buffer, Material uniform buffer) was used with a second GPUDevice. */
export class DeviceMismatchError extends DawnRfbError {}
