// The event queue and handler registry of a canvas. Events are queued as they arrive, merged where
// only the latest state matters (the vocabulary's merge table EVENTS_THAT_MERGE, read by its
// mergeEvents: moves, wheel deltas, resizes), and dispatched in arrival order when the canvas
// flushes: before each draw, and when it is idle.
import { InvalidArgumentError, UnknownEventTypeError } from '../errors.js';
import { reportError, reportRejection } from '../report.js';
import { checkEvent, checkEventType, mergeEvents as mergeRule, type CanvasEvent, type EventOf, type EventType } from './events.js';

/**
 * The queue's merge rule, for callers of the public API: the event that replaces `last` and
 * `next` in a queue (the latest move or resize, wheels with summed deltas), or undefined when
 * the two do not merge. The rule is data, `EVENTS_THAT_MERGE` in the shared event vocabulary
 * (the widget's throttle merges by it too); this checks its arguments first.
 * @throws {UnknownEventTypeError} when either argument is not an event object of a known type.
 */
export function mergeEvents<E extends CanvasEvent>(last: CanvasEvent, next: E): E | undefined {
  for (const [name, e] of [['last', last], ['next', next]] as const) {
    if (e === null || typeof e !== 'object') {
      throw new UnknownEventTypeError(`mergeEvents(last, next): ${name} must be an event object { type, timestamp, ... }, got ${e === null ? 'null' : typeof e}`);
    }
    checkEventType((e as { type?: unknown }).type);
  }
  return mergeRule(last, next);
}

/** What a handler can do with the event it receives, besides reading it. */
export interface EventControl {
  /** No handler after this one receives the event. */
  stopPropagation(): void;
}

/** A function that receives events. */
export type EventHandler<E extends CanvasEvent = CanvasEvent> = (event: E & EventControl) => void;

/** A handler for all of the given types: the event is typed as their union. */
export type HandlerFor<T extends EventType | '*'> = EventHandler<[T] extends [EventType] ? EventOf<T> : CanvasEvent>;

interface Entry {
  fn: EventHandler<never>;
  order: number;
  seq: number;
}

/** Queues, merges and dispatches events to registered handlers. */
export class EventEmitter {
  readonly #handlers = new Map<EventType | '*', Entry[]>();
  #queue: CanvasEvent[] = [];
  #closed = false;
  #seq = 0;
  readonly #scope: object | undefined;

  /** @param scope what handler errors are reported against (the canvas): see `reportError`. */
  constructor(scope?: object) {
    this.#scope = scope;
  }

  /**
   * Registers `fn` for the given types ("*" for all; "*" handlers run after typed ones). Lower
   * `order` runs first; equal orders run in registration order. Adding a handler again for a
   * type replaces its earlier registration (and order).
   */
  add(fn: EventHandler<never>, types: readonly (EventType | '*')[], order = 0): void {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`addEventHandler: the handler must be a function, got ${fn === null ? 'null' : typeof fn}`);
    if (!Array.isArray(types)) throw new InvalidArgumentError('addEventHandler: types must be an array of event types (or "*")');
    if (types.length === 0) throw new InvalidArgumentError('addEventHandler: give at least one event type (or "*" for all), e.g. addEventHandler(fn, "pointer_down")');
    if (!Number.isFinite(order)) throw new InvalidArgumentError(`addEventHandler: order must be a finite number, got ${order}`);
    for (const t of types) checkEventType(t, true);
    for (const t of types) {
      const list = (this.#handlers.get(t) ?? []).filter((e) => e.fn !== fn);
      list.push({ fn, order, seq: this.#seq++ });
      list.sort((a, b) => a.order - b.order || a.seq - b.seq);
      this.#handlers.set(t, list);
    }
  }

  /** Unregisters `fn` from the given types, or from all types when none are given. */
  remove(fn: EventHandler<never>, types: readonly (EventType | '*')[] = []): void {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`removeEventHandler: the handler must be a function, got ${fn === null ? 'null' : typeof fn}`);
    if (!Array.isArray(types)) throw new InvalidArgumentError('removeEventHandler: types must be an array of event types (or "*")');
    for (const t of types) checkEventType(t, true);
    const keys = types.length > 0 ? types : [...this.#handlers.keys()];
    for (const t of keys) {
      const list = this.#handlers.get(t);
      if (list) this.#handlers.set(t, list.filter((e) => e.fn !== fn));
    }
  }

  /** Number of events waiting for the next flush. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues an event for the next flush, merging it into the previous queued event where allowed.
   * Throws for unknown types and malformed fields (see `checkEvent`); ignored after close.
   */
  submit(event: CanvasEvent): void {
    checkEvent(event);
    if (this.#closed) return;
    const last = this.#queue[this.#queue.length - 1];
    const merged = last && mergeRule(last, event);
    if (merged) this.#queue[this.#queue.length - 1] = merged;
    else this.#queue.push({ ...event });
  }

  /** Dispatches every queued event, in order. Events queued by handlers wait for the next flush. */
  flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const event of queue) this.emit(event);
  }

  /** Dispatches an event now, bypassing the queue. Handler errors are reported, not thrown. */
  emit(event: CanvasEvent): void {
    checkEvent(event);
    if (this.#closed && event.type !== 'close') return;
    let stopped = false;
    const dispatched = Object.assign({ ...event }, { stopPropagation: () => { stopped = true; } });
    const entries = [...(this.#handlers.get(event.type) ?? []), ...(this.#handlers.get('*') ?? [])];
    for (const { fn } of entries) {
      try {
        reportRejection(`event handler for "${event.type}"`, (fn as EventHandler)(dispatched as CanvasEvent & EventControl), this.#scope);
      } catch (e) {
        reportError(`event handler for "${event.type}"`, e, this.#scope);
      }
      if (stopped) break;
    }
  }

  /** Drops queued events; later submits are ignored. Handlers stay (for the close event). */
  close(): void {
    this.#closed = true;
    this.#queue = [];
  }
}
