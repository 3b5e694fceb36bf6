// When a canvas draws. One timer at a time; a draw is in flight from the moment it starts until
// its frame is presented (readback included), and no tick starts another meanwhile. An idle
// on-demand canvas holds no timer, so a script with nothing left to do exits.
import { InvalidArgumentError } from '../errors.js';
import { reportError } from '../report.js';

/** How a canvas decides to draw. */
export type UpdateMode = 'ondemand' | 'continuous' | 'fastest' | 'manual';
/** Every update mode. */
export const UPDATE_MODES: readonly UpdateMode[] = ['ondemand', 'continuous', 'fastest', 'manual'];

/** Scheduling options of a canvas. */
export interface ScheduleOptions {
  /**
   * - `ondemand` (default): draw when `requestDraw()` was called, or when `minFps` > 0 and the
   *   last draw is older than 1/minFps; at most `maxFps` times a second.
   * - `continuous`: draw `maxFps` times a second.
   * - `fastest`: draw as fast as frames can be presented.
   * - `manual`: draw only on `forceDraw()` (and after a size change).
   *
   * In every mode but manual the canvas also draws no more often than it can be shown: a
   * RemoteCanvas no faster than the display refresh of its fastest visible view (once all its
   * visible views reported one).
   */
  updateMode?: UpdateMode;
  /** Ondemand only: draw at least this often, even without requests. Default 0 (off). */
  minFps?: number;
  /** Ondemand and continuous: draw at most this often. Default 30. */
  maxFps?: number;
}

/** What the scheduler asks of its canvas. */
export interface SchedulerHooks {
  /** Draws and presents one frame; resolves when presentation (readback included) is done. */
  draw(): Promise<void>;
  /** Dispatches queued events (called when idle, so events never wait for a draw). */
  flushEvents(): void;
  /** False while drawing would be wasted (no visible view, too many frames unacknowledged). */
  mayDraw(): boolean;
  /**
   * Most draws a second worth making whatever the mode (the fastest display the canvas is shown
   * on: more frames than that are never seen); Infinity for no such limit. Asked before every
   * draw, so a change takes effect at the next one (call `wake()` to apply it sooner). Manual
   * mode and forced draws ignore it. Default: no limit.
   */
  maxDrawRate?(): number;
}

// Timers fire up to about a millisecond late; a rate cap aims that much early so that the frames
// drawn per second reach the cap rather than falling a few short of it (a 60 Hz display would
// otherwise get 57 frames a second, and show a repeated frame several times a second).
const CAP_SLACK_MS = 1;

/** Validates and fills in schedule options. */
export function resolveScheduleOptions(o: ScheduleOptions = {}): Required<ScheduleOptions> {
  const updateMode = o.updateMode ?? 'ondemand';
  const minFps = o.minFps ?? 0;
  const maxFps = o.maxFps ?? 30;
  if (!UPDATE_MODES.includes(updateMode)) {
    throw new InvalidArgumentError(`unknown updateMode ${JSON.stringify(updateMode)}; allowed: ${UPDATE_MODES.join(', ')}`);
  }
  if (typeof minFps !== 'number' || !Number.isFinite(minFps) || minFps < 0) {
    throw new InvalidArgumentError(`minFps must be a finite number >= 0, got ${minFps}`);
  }
  if (typeof maxFps !== 'number' || Number.isNaN(maxFps) || maxFps <= 0) {
    throw new InvalidArgumentError(`maxFps must be a number > 0 (Infinity for no limit), got ${maxFps}`);
  }
  return { updateMode, minFps, maxFps };
}

/** Decides when its canvas draws; see {@link ScheduleOptions}. */
export class Scheduler {
  readonly #hooks: SchedulerHooks;
  #options: Required<ScheduleOptions>;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #timerAt = Infinity;
  #requested = false;
  #sizeChanged = false;
  #current: Promise<void> | undefined;
  #lastDrawStart = -Infinity;
  #stopped = false;
  #draws = 0;

  constructor(hooks: SchedulerHooks, options: ScheduleOptions = {}) {
    this.#hooks = hooks;
    this.#options = resolveScheduleOptions(options);
    this.#schedule(0);
  }

  /** The options in force. */
  get options(): Readonly<Required<ScheduleOptions>> {
    return this.#options;
  }

  /** Draws completed so far (scheduled and forced). */
  get drawCount(): number {
    return this.#draws;
  }

  /** True while a frame is being drawn or presented. */
  get drawing(): boolean {
    return this.#current !== undefined;
  }

  /** Changes mode and rates; unspecified fields keep their values. */
  setOptions(options: ScheduleOptions): void {
    this.#options = resolveScheduleOptions({ ...this.#options, ...options });
    this.wake();
  }

  /** Asks for a draw (ignored in manual mode). */
  requestDraw(): void {
    if (this.#options.updateMode === 'manual') return;
    this.#requested = true;
    this.wake();
  }

  /** The size changed: draw in every mode, manual included. */
  sizeChanged(): void {
    this.#sizeChanged = true;
    this.wake();
  }

  /** Re-evaluates soon: events arrived, or `mayDraw()` may have become true. */
  wake(): void {
    if (!this.#current) this.#schedule(0);
  }

  /**
   * Draws now (with `draw`, default the hooks' draw), after any draw in flight. Resolves when
   * the frame is presented.
   */
  async drawNow(draw: () => Promise<void> = this.#hooks.draw): Promise<void> {
    while (this.#current) await this.#current;
    await this.#run(draw);
  }

  /** Stops all scheduling; resolves when a draw in flight has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    while (this.#current) await this.#current;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      if (this.#timerAt === -1) clearImmediate(this.#timer as NodeJS.Immediate);
      else clearTimeout(this.#timer as NodeJS.Timeout);
    }
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    const at = performance.now() + delayMs;
    if (this.#timer !== undefined && (this.#timerAt === -1 || this.#timerAt <= at)) return;
    this.#clearTimer();
    if (delayMs <= 0) {
      this.#timer = setImmediate(() => this.#tick());
      this.#timerAt = -1;
    } else {
      this.#timer = setTimeout(() => this.#tick(), delayMs);
      this.#timerAt = at;
    }
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#stopped || this.#current) return;
    this.#hooks.flushEvents();
    const { updateMode, minFps, maxFps } = this.#options;
    const now = performance.now();
    const sinceLast = now - this.#lastDrawStart;
    let want: boolean;
    switch (updateMode) {
      case 'manual': want = this.#sizeChanged; break;
      case 'ondemand': want = this.#requested || this.#sizeChanged || (minFps > 0 && sinceLast >= 1000 / minFps); break;
      default: want = true;
    }
    if (!want) {
      // Idle: only a minFps heartbeat keeps a timer.
      if (updateMode === 'ondemand' && minFps > 0) this.#schedule(1000 / minFps - sinceLast);
      return;
    }
    const interval = this.#interval(updateMode, maxFps);
    if (sinceLast < interval) {
      this.#schedule(interval - sinceLast);
      return;
    }
    if (!this.#hooks.mayDraw()) return; // the canvas calls wake() when it may draw again
    void this.#run();
  }

  /** Least time between draw starts, ms: the mode's own (1/maxFps) or the draw rate cap, whichever is longer. */
  #interval(updateMode: UpdateMode, maxFps: number): number {
    if (updateMode === 'manual') return 0;
    const own = updateMode === 'fastest' ? 0 : 1000 / maxFps;
    const cap = this.#hooks.maxDrawRate?.() ?? Infinity;
    if (!(cap > 0) || !Number.isFinite(cap)) return own;
    return Math.max(own, 1000 / cap - CAP_SLACK_MS);
  }

  #run(draw: () => Promise<void> = this.#hooks.draw): Promise<void> {
    this.#requested = false;
    this.#sizeChanged = false;
    this.#lastDrawStart = performance.now();
    const p = draw()
      .catch((e: unknown) => { reportError('draw', e); })
      .finally(() => {
        this.#draws++;
        this.#current = undefined;
        this.#afterDraw();
      });
    this.#current = p;
    return p;
  }

  #afterDraw(): void {
    // Always tick once more: it flushes events that arrived during the draw, and draws again if
    // the mode or a request asks for it (paced by maxFps in #tick).
    this.#schedule(0);
  }
}
