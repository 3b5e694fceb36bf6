// Rate limiting of pointer moves and wheels. A mouse produces moves far faster than a remote
// renderer can use them, so they are merged (by the vocabulary's mergeEvents, the rule the
// canvas's own queue applies) and sent at most every `ms`; every other event first flushes the
// merged one, so the server sees events in the order they happened (jupyter_rfb sends a pending
// move after the click that followed it).
import { mergeEvents, type WireEvent } from '../../src/remote/protocol.js';
import type { EventSink } from './input.js';

// Resizes merge too, but the resize watcher already sends only changes, and a late size costs a
// frame at the wrong size.
const THROTTLED: ReadonlySet<WireEvent['type']> = new Set(['pointer_move', 'wheel']);

/** A clock in milliseconds and a timer, replaceable in tests. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

const pageClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/**
 * Passes events on to `send`, merging pointer moves and wheels and sending them at most every `ms`;
 * any other event first flushes the pending one, so order is kept.
 */
export class EventQueue {
  private pending: WireEvent | null = null;
  private timer: unknown;
  private lastSent = -Infinity;

  constructor(private readonly send: EventSink, private readonly ms: number, private readonly clock: Clock = pageClock) {}

  push(event: WireEvent): void {
    if (!THROTTLED.has(event.type)) {
      this.flush();
      this.send(event);
      return;
    }
    // Moves: only the latest position matters. Wheels: every delta counts, so they add up.
    const merged = this.pending && mergeEvents(this.pending, event);
    if (merged) {
      this.pending = merged;
      return;
    }
    this.flush();
    this.pending = event;
    this.timer = this.clock.setTimeout(() => this.flush(), Math.max(0, this.lastSent + this.ms - this.clock.now()));
  }

  /** Sends the merged move or wheel now, if there is one. */
  flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    this.lastSent = this.clock.now();
    this.send(pending);
  }

  /** Drops the pending event (the widget is going away). */
  dispose(): void {
    this.clock.clearTimeout(this.timer);
    this.pending = null;
  }
}
