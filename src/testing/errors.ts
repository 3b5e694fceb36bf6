// Errors of the image and notebook testing tools.
import { DawnRfbError, InvalidArgumentError } from '../errors.js';

/** Image bytes that neither PNG nor JPEG decoding accepts, or raw pixels of the wrong length. */
export class ImageDecodeError extends InvalidArgumentError {}

/** A notebook that cannot be read or executed: not JSON, no cells, a kernel that died, a timeout. */
export class NotebookTestError extends DawnRfbError {}

/** The kernel process exited while a notebook was running. */
export class KernelDiedError extends NotebookTestError {}
