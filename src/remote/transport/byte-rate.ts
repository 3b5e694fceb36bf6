// The per-view bounds on what a view's messages may cost before they are parsed: a byte budget
// per second (the message rate alone lets 1000 messages of 16 KiB a second through, 16 MiB/s of
// parsing), and the size of an acknowledgement, the one message exempt from the message rate.
// A leaf like ../../limiter.ts: it counts, the view decides what to drop and what to report.
import { RateWindow } from './rate-window.js';

/** Bytes a view may send per second; what is over is dropped unparsed for the rest of that second. */
export const MAX_VIEW_BYTES_PER_SECOND = 1024 * 1024;

/**
 * Longest acknowledgement accepted, in characters: `{"type":"ack","index":4294967295}` is 33,
 * with `"skipped":true` 48, with `"heldMs":60000` too 63.
 * A longer message that starts like an ack is refused unparsed (never exempt from the rates).
 */
export const MAX_ACK_LENGTH = 64;

/** Counts bytes per fixed one-second window (the same windows as the message rate, rate-window.ts). */
export class ByteRate extends RateWindow {
  /** `maxBytesPerSecond` per window of `windowMs` ms. */
  constructor(maxBytesPerSecond = MAX_VIEW_BYTES_PER_SECOND, windowMs = 1000) {
    super(maxBytesPerSecond, windowMs);
  }

  /**
   * Counts a message of `bytes`; false once this window's budget is used up (the message that
   * crosses it included). `first` is true for the first refusal of a window (report it once).
   */
  override take(bytes: number, now = performance.now()): { ok: boolean; first: boolean } {
    return super.take(bytes, now);
  }
}

/** Bytes of a message as received (text as UTF-8). */
export function messageBytes(data: string | Uint8Array): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}
