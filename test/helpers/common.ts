// The test suite's shared helpers: waits, reporter capture, and catching what a call throws. The
// GPU fixtures (helpers/gpu.ts) and the remote ones (helpers/remote.ts) build on these and
// re-export them, so a test imports from one place whichever fixtures it uses.
import type { CanvasBase } from '../../src/canvas/base.js';
import { setReporter, type Reporter } from '../../src/report.js';

/** An RGBA colour: bytes 0..255, or linear floats 0..1 where a helper says so. */
export type RGBA = readonly [number, number, number, number];

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lets pending immediates and promise callbacks run (the scheduler's idle ticks use setImmediate). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setImmediate(r));
    await sleep(0);
  }
}

/** Polls `cond` every 5 ms until it holds or `ms` pass; returns whether it held. */
export async function waitFor(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(5);
  }
  return true;
}

/** Polls `cond` every 5 ms until it holds; throws (naming `what`) after `ms`. */
export async function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  if (!(await waitFor(cond, ms))) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** The x of the marker events drawDecided() gives a canvas (no test sends it otherwise). */
export const MARK_X = -4242;
let marks = 0;

/**
 * Waits until the canvas's scheduler has decided, on what it knows now, whether to draw, and a
 * draw that decision started has ended: the fence after which "nothing more was drawn" can be
 * asserted without waiting a while. Queued events are handled at the start of a scheduler tick,
 * and only while no draw is in flight; that tick then draws if the mode wants a draw and drawing
 * may go on (a view with room), unless the frame interval (1/maxFps since the last draw started)
 * has not passed: so the fence is exact on a canvas never drawn or with maxFps Infinity, and in
 * manual mode. Once one marker event was handled the decision is made; once a second one was, a
 * draw it started has ended.
 */
export async function drawDecided(canvas: CanvasBase, ms = 3000): Promise<void> {
  const handled = new Set<number>();
  const handler = (e: { x: number; y: number }): void => { if (e.x === MARK_X) handled.add(e.y); };
  canvas.addEventHandler(handler, 'pointer_down');
  try {
    for (let i = 0; i < 2; i++) {
      const n = ++marks;
      canvas.handleEvent({ type: 'pointer_down', timestamp: 0, x: MARK_X, y: n, button: 0, buttons: [], modifiers: [], ntouches: 0, touches: {} });
      await until(() => handled.has(n), ms, `marker event ${n} to be handled`);
    }
  } finally {
    canvas.removeEventHandler(handler, 'pointer_down');
  }
}

/**
 * One reported problem (a repeat notice has its count as a third entry, `repeats`). Both shapes the suites read it in: `const [where, error] = report` and
 * `report.where` / `report.error` / `report.message` (the error's message, or the value as text).
 */
export type Report = [where: string, error: unknown, repeats?: number]
  & { where: string; error: unknown; message: string; repeats?: number };

/** Replaces the reporter with one that records into `reports`; call restore() after. */
export function captureReports(): { reports: Report[]; restore: () => void } {
  const reports: Report[] = [];
  const previous: Reporter = setReporter((where, error, repeats) => {
    const message = error instanceof Error ? error.message : String(error);
    // Not enumerable, so a report still equals the plain tuple [where, error] in assertions.
    reports.push(Object.defineProperties(repeats === undefined ? [where, error] : [where, error, repeats], {
      where: { value: where }, error: { value: error }, message: { value: message }, repeats: { value: repeats },
    }) as Report);
  });
  return { reports, restore: () => { setReporter(previous); } };
}

/** Calls `fn` and returns what it threw (fails the test if it did not throw). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

/** Awaits `p` and returns its rejection reason (fails the test if it resolved). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the promise to reject');
}

/** The event a handler received, without the stopPropagation function. */
export function plain(event: object): Record<string, unknown> {
  const { stopPropagation: _, ...rest } = event as Record<string, unknown>;
  return rest;
}
