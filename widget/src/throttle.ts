// Rate limiting of pointer moves and wheels. A mouse produces moves far faster than a remote
// renderer can use them, so they are merged and sent at most every `ms`; every other event first
// flushes the merged one, so the server sees events in the order they happened (jupyter_rfb sends
// a pending move after the click that followed it).
import type { WireEvent } from '../../src/remote/protocol.js';
import type { EventSink } from './input.js';

function sameList(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// Merging across a button or modifier change would hide that change from the handler.
function mergeable(a: WireEvent, b: WireEvent): boolean {
  return a.type === b.type && sameList(a.buttons, b.buttons) && sameList(a.modifiers, b.modifiers) && a.ntouches === b.ntouches;
}

/**
 * Passes events on to `send`, merging pointer moves and wheels and sending them at most every `ms`;
 * any other event first flushes the pending one, so order is kept.
 */
export class EventQueue {
  private pending: WireEvent | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSent = -Infinity;

  constructor(private readonly send: EventSink, private readonly ms: number) {}

  push(event: WireEvent): void {
    if (event.type !== 'pointer_move' && event.type !== 'wheel') {
      this.flush();
      this.send(event);
      return;
    }
    const pending = this.pending;
    if (pending && mergeable(pending, event)) {
      // Moves: only the latest position matters. Wheels: every delta counts, so they add up.
      this.pending = event.type === 'wheel'
        ? { ...event, dx: (pending.dx as number) + (event.dx as number), dy: (pending.dy as number) + (event.dy as number) }
        : event;
      return;
    }
    this.flush();
    this.pending = event;
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.lastSent + this.ms - performance.now()));
  }

  /** Sends the merged move or wheel now, if there is one. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    this.lastSent = performance.now();
    this.send(pending);
  }

  /** Drops the pending event (the widget is going away). */
  dispose(): void {
    clearTimeout(this.timer);
    this.pending = null;
  }
}
