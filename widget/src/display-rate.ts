// The refresh rate of the display a view is shown on, measured from requestAnimationFrame and
// reported to the server, so the canvas draws no more frames than the display can show (in
// `fastest` mode the kernel otherwise drew three frames for every one Chromium showed). The
// browser calls rAF once per refresh; the median interval over a short window is robust against
// the refreshes a busy main thread misses. Measured in windows with pauses between them rather
// than continuously: a rAF loop keeps the browser producing frames even when nothing changes.
// A hidden page runs no rAF: it measures nothing then, and a window spanning hidden time is
// thrown away (the view reports itself hidden through its size anyway).
import { MAX_DISPLAY_HZ, MIN_DISPLAY_HZ } from '../../src/remote/protocol.js';

/** Refresh intervals per measurement (half a second at 60 Hz). */
export const DISPLAY_SAMPLES = 30;
/** Pause between measurements, ms: a window moved to another display is noticed this late. */
export const DISPLAY_REMEASURE_MS = 2000;
// A new measurement within this fraction of the last one reported is not sent again (jitter).
const CHANGE = 0.05;

/**
 * The refresh rate, Hz (one decimal), that intervals (ms) between refreshes say: the median
 * interval's; undefined when there are none or it is outside the protocol's range.
 */
export function rateFromIntervals(intervals: readonly number[]): number | undefined {
  const sorted = intervals.filter((i) => Number.isFinite(i) && i > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const hz = Math.round(10_000 / median) / 10;
  return hz >= MIN_DISPLAY_HZ && hz <= MAX_DISPLAY_HZ ? hz : undefined;
}

/** Whether `next` differs enough from the rate last reported to be sent. */
export function rateChanged(last: number | undefined, next: number): boolean {
  return last === undefined || Math.abs(next - last) > last * CHANGE;
}

/** The running measurement: `resend()` reports the last rate again (a new connection). */
export interface DisplayRateWatch {
  /** The rate last reported, Hz; undefined before the first measurement. */
  readonly hz: number | undefined;
  resend(): void;
}

/**
 * The little of a window the measurement uses (a `Window` is one); declared here so that the
 * pure parts of this module also type-check in the project's Node build, which has no DOM lib.
 */
export interface FrameSource {
  requestAnimationFrame(callback: (time: number) => void): number;
  readonly document: {
    addEventListener(type: 'visibilitychange', listener: () => void, options: { signal: AbortSignal }): void;
  };
}

/** Measures the display rate of `win` now and every few seconds, calling `report` when it changes. */
export function watchDisplayRate(win: FrameSource, report: (hz: number) => void, signal: AbortSignal): DisplayRateWatch {
  let last: number | undefined;
  let intervals: number[] = [];
  let previous: number | undefined;
  let pause: ReturnType<typeof setTimeout> | undefined;
  // Each window's chain of callbacks carries its number: a callback of an abandoned window (one
  // pending when the page was hidden) ends its chain instead of running beside the new one.
  let generation = 0;
  const frame = (t: number, mine: number): void => {
    if (signal.aborted || mine !== generation) return;
    if (previous !== undefined) intervals.push(t - previous);
    previous = t;
    if (intervals.length < DISPLAY_SAMPLES) {
      win.requestAnimationFrame((next) => frame(next, mine));
      return;
    }
    const hz = rateFromIntervals(intervals);
    if (hz !== undefined && rateChanged(last, hz)) {
      last = hz;
      report(hz);
    }
    restart(DISPLAY_REMEASURE_MS);
  };
  const restart = (delayMs: number): void => {
    const mine = ++generation;
    intervals = [];
    previous = undefined;
    clearTimeout(pause);
    pause = setTimeout(() => { if (!signal.aborted) win.requestAnimationFrame((t) => frame(t, mine)); }, delayMs);
  };
  // Time spent hidden is no refresh interval: start the window again.
  win.document.addEventListener('visibilitychange', () => restart(0), { signal });
  signal.addEventListener('abort', () => clearTimeout(pause), { once: true });
  restart(0);
  return {
    get hz() { return last; },
    resend: () => { if (last !== undefined) report(last); },
  };
}
