// Which canvases of this process were closed, so a view that asks for one of them is told
// "canvas closed" (CANVAS_CLOSED_REASON), and a view of a canvas this process never had is told
// that the kernel restarted: the widget turns these into its brief notices instead of the
// never-connected advice. The websocket server and the comm layer both answer from here.
import { CANVAS_CLOSED_REASON } from '../protocol.js';

/** Ids remembered; a long-running kernel closing more canvases forgets the oldest. */
const MAX_REMEMBERED = 10_000;
const closed = new Set<string>();

/** Records that a canvas of this process closed. */
export function markCanvasClosed(id: string): void {
  closed.add(id);
  if (closed.size > MAX_REMEMBERED) closed.delete(closed.values().next().value as string);
}

/**
 * The close reason (code 4001) for a view of a canvas this process never had. kernel-ext/comms.cjs
 * gives the same before any canvas exists (its copy is type-checked against this literal).
 */
export const NEVER_HAD_REASON = 'no such canvas in this kernel (the kernel restarted, or the output is from another session)';

/** The close reason (code 4001) for a view of a canvas this process does not serve. */
export function unknownCanvasReason(id: string): string {
  return closed.has(id) ? CANVAS_CLOSED_REASON : NEVER_HAD_REASON;
}
