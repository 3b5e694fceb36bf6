// The windows a view's statistics are taken over: what happened in the last second (frames shown,
// frames offered, bytes sent) and the mean of the last N samples (roundtrips). A leaf like
// ../../limiter.ts: it keeps numbers, the view decides what to record.
// Old records are dropped as records come, not only when statistics are asked for: a kernel that
// never asks for them streams for hours.

/** Index of the first record (in time order) whose time is >= `t`. */
function firstAtOrAfter(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Amounts recorded in time order, summed over the window ending now (one second by default). */
export class TimeWindow {
  readonly #windowMs: number;
  readonly #times: number[] = [];
  readonly #amounts: number[] = [];

  /** Sums over the last `windowMs` ms. */
  constructor(windowMs = 1000) {
    this.#windowMs = windowMs;
  }

  /**
   * Records `amount` (one by default) at `now` (never earlier than the last record). Records
   * older than the window are dropped once the oldest is 1.25 windows old: a splice every
   * quarter window, not a shift per record.
   */
  add(now: number, amount = 1): void {
    if (this.#times.length > 0 && this.#times[0]! < now - this.#windowMs * 1.25) this.#forget(now);
    this.#times.push(now);
    this.#amounts.push(amount);
  }

  /** Records in the window ending at `now`. */
  count(now: number): number {
    this.#forget(now);
    return this.#times.length;
  }

  /** The sum of the amounts recorded in the window ending at `now`. */
  sum(now: number): number {
    this.#forget(now);
    let sum = 0;
    for (const a of this.#amounts) sum += a;
    return sum;
  }

  /** Records kept now, those older than the window not yet dropped included (tests of the bound). */
  get kept(): number {
    return this.#times.length;
  }

  /** Drops the records before the window ending at `now`. */
  #forget(now: number): void {
    const n = firstAtOrAfter(this.#times, now - this.#windowMs);
    if (n === 0) return;
    this.#times.splice(0, n);
    this.#amounts.splice(0, n);
  }
}

/** The mean of the last `size` samples. */
export class RecentMean {
  readonly #size: number;
  readonly #samples: number[] = [];

  /** Keeps the last `size` samples (30 by default). */
  constructor(size = 30) {
    this.#size = size;
  }

  /** Adds a sample; the oldest goes once there are more than `size`. */
  add(sample: number): void {
    this.#samples.push(sample);
    if (this.#samples.length > this.#size) this.#samples.shift();
  }

  /** The mean of the samples kept; 0 before the first. */
  get mean(): number {
    const s = this.#samples;
    return s.length > 0 ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  }
}
