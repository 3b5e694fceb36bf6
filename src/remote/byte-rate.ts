// The per-view bounds on what a view's messages may cost before they are parsed: a byte budget
// per second (the message rate alone lets 1000 messages of 16 KiB a second through, 16 MiB/s of
// parsing), and the size of an acknowledgement, the one message exempt from the message rate.
// A leaf like ../limiter.ts: it counts, the view decides what to drop and what to report.

/** Bytes a view may send per second; what is over is dropped unparsed for the rest of that second. */
export const MAX_VIEW_BYTES_PER_SECOND = 1024 * 1024;

/**
 * Longest acknowledgement accepted, in characters: `{"type":"ack","index":4294967295}` is 33,
 * with `"skipped":true` 48.
 * A longer message that starts like an ack is refused unparsed (never exempt from the rates).
 */
export const MAX_ACK_LENGTH = 64;

/** Counts bytes per fixed one-second window (the same windows as the message rate). */
export class ByteRate {
  readonly #max: number;
  readonly #windowMs: number;
  #windowStart = -Infinity;
  #bytes = 0;
  #reported = false;

  constructor(maxBytesPerSecond = MAX_VIEW_BYTES_PER_SECOND, windowMs = 1000) {
    this.#max = maxBytesPerSecond;
    this.#windowMs = windowMs;
  }

  /** The budget per window, bytes. */
  get max(): number {
    return this.#max;
  }

  /**
   * Counts a message of `bytes`; false once this window's budget is used up (the message that
   * crosses it included). `first` is true for the first refusal of a window (report it once).
   */
  take(bytes: number, now = performance.now()): { ok: boolean; first: boolean } {
    if (now - this.#windowStart > this.#windowMs) {
      this.#windowStart = now;
      this.#bytes = 0;
      this.#reported = false;
    }
    this.#bytes += bytes;
    if (this.#bytes <= this.#max) return { ok: true, first: false };
    const first = !this.#reported;
    this.#reported = true;
    return { ok: false, first };
  }
}

/** Bytes of a message as received (text as UTF-8). */
export function messageBytes(data: string | Uint8Array): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}
