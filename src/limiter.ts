// "At most N at once" for async work: encodes in flight on sharp's thread pool, staging buffers
// mapped for readback. Waiters are served in arrival order. Like ws's lib/limiter.js, a leaf that
// knows nothing of what it limits.
import { InvalidArgumentError } from './errors.js';

/** Lets at most `max` holders in at once; the others wait, first come first served. */
export class Limiter {
  readonly #max: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  /** @throws {InvalidArgumentError} unless `max` is an integer >= 1. */
  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new InvalidArgumentError(`a limit must be an integer >= 1, got ${max}`);
    this.#max = max;
  }

  /** The limit. */
  get max(): number {
    return this.#max;
  }

  /** Holders now (at most `max`). */
  get active(): number {
    return this.#active;
  }

  /** Callers waiting in {@link acquire}. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether an {@link acquire} would succeed without waiting. */
  get free(): boolean {
    return this.#active < this.#max && this.#waiting.length === 0;
  }

  /** Resolves once the caller holds a place; pair every call with one {@link release}. */
  acquire(): Promise<void> {
    if (this.free) {
      this.#active++;
      return Promise.resolve();
    }
    // The place is handed over by release(), so `active` never dips below the limit while
    // someone waits (no barging by a caller that arrives in between).
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a place back, to the longest waiting caller if there is one. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else if (this.#active > 0) this.#active--;
  }

  /** Runs `job` holding a place; the place is released however the job ends. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await job();
    } finally {
      this.release();
    }
  }
}
