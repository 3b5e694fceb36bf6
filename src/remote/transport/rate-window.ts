// "At most N a second" for what a view sends: a count per fixed window (one second), restarted
// by the first message after the window ends. A leaf like ../../limiter.ts: it counts, the view
// decides what to drop and what to report.

/** Messages (events, display reports, bad messages) a view may send per second; acks are exempt. */
export const MAX_VIEW_MESSAGES_PER_SECOND = 1000;

/** Counts against a budget per fixed window of time. */
export class RateWindow {
  readonly #max: number;
  readonly #windowMs: number;
  #windowStart = -Infinity;
  #count = 0;

  /** `max` per window of `windowMs` ms. */
  constructor(max = MAX_VIEW_MESSAGES_PER_SECOND, windowMs = 1000) {
    this.#max = max;
    this.#windowMs = windowMs;
  }

  /** The budget per window. */
  get max(): number {
    return this.#max;
  }

  /**
   * Counts `amount` (one message by default), starting a new window when the last one ended;
   * false once this window's budget is used up (the amount that crosses it included). `first` is
   * true for the first refusal of a window (report it once).
   */
  take(amount = 1, now = performance.now()): { ok: boolean; first: boolean } {
    if (now - this.#windowStart > this.#windowMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    const before = this.#count;
    this.#count += amount;
    if (this.#count <= this.#max) return { ok: true, first: false };
    return { ok: false, first: before <= this.#max };
  }

  /** Whether this window's budget is already used up, without counting anything. */
  exceeded(now = performance.now()): boolean {
    return this.#count > this.#max && now - this.#windowStart <= this.#windowMs;
  }
}
