// The event vocabulary, defined once: event types and fields, the limits a view's events must
// keep to, modifier order, and the rule for merging events where only the latest state matters.
// The canvas's queue (src/canvas/emitter.ts), the wire protocol's validation
// (src/remote/protocol.ts) and the browser widget's throttle all use it, so they cannot drift
// apart. Names and fields follow the jupyter_rfb / rendercanvas event spec (snake_case), so
// handlers written for those port over unchanged.
//
// A leaf: it imports nothing, and runs in Node and in the browser bundle alike.

/** Keyboard modifiers, always listed in this order. */
export type Modifier = 'Alt' | 'Control' | 'Meta' | 'Shift';
/** The order modifiers are listed in. */
export const MODIFIER_ORDER: readonly Modifier[] = ['Alt', 'Control', 'Meta', 'Shift'];

/** Mouse buttons: 0 none, 1 left, 2 right, 3 middle, 4 back, 5 forward. */
export type Button = 0 | 1 | 2 | 3 | 4 | 5;
/** The highest button number. */
export const MAX_BUTTON = 5;

/** Fields every event has. */
export interface BaseEvent {
  /** Seconds (any monotonic clock; the widget uses the page's `performance.now() / 1000`). */
  timestamp: number;
}

/** The view changed size; a zero size means hidden. */
export interface ResizeEvent extends BaseEvent {
  type: 'resize';
  /** Logical (CSS) width. */
  width: number;
  /** Logical (CSS) height. */
  height: number;
  /** Physical width in pixels. */
  pwidth: number;
  /** Physical height in pixels. */
  pheight: number;
  /** Physical pixels per logical pixel. */
  ratio: number;
}

/** One touch point of a pointer event. */
export interface Touch {
  x: number;
  y: number;
  pressure: number;
}

/** A pointer (mouse, pen, touch) event. Coordinates are logical pixels, origin top-left, +y down. */
export interface PointerEvent extends BaseEvent {
  type: 'pointer_down' | 'pointer_up' | 'pointer_move' | 'pointer_enter' | 'pointer_leave' | 'double_click';
  x: number;
  y: number;
  /** The button that changed (0 for moves). */
  button: Button;
  /** Buttons held, sorted. */
  buttons: Button[];
  modifiers: Modifier[];
  /** Number of touch points (0 for a mouse). */
  ntouches: number;
  /** Touch points by pointer id. */
  touches: Record<number, Touch>;
}

/** Wheel or trackpad scroll; deltas in logical pixels, positive `dy` scrolls down. */
export interface WheelEvent extends BaseEvent {
  type: 'wheel';
  x: number;
  y: number;
  dx: number;
  dy: number;
  buttons: Button[];
  modifiers: Modifier[];
}

/** A key went down or up (`key` is `KeyboardEvent.key`; repeats are not sent). */
export interface KeyEvent extends BaseEvent {
  type: 'key_down' | 'key_up';
  key: string;
  modifiers: Modifier[];
}

/** Text input (after composition, e.g. from an IME). */
export interface CharEvent extends BaseEvent {
  type: 'char';
  data: string;
  is_composing: boolean;
  input_type: string;
}

/** Focus, close, and the event emitted before each draw. */
export interface SimpleEvent extends BaseEvent {
  type: 'focus_in' | 'focus_out' | 'close' | 'before_draw';
}

/** Any canvas event. */
export type CanvasEvent = ResizeEvent | PointerEvent | WheelEvent | KeyEvent | CharEvent | SimpleEvent;
/** The `type` of any canvas event. */
export type EventType = CanvasEvent['type'];
/** Event interface by event type. */
export interface EventMap {
  resize: ResizeEvent;
  pointer_down: PointerEvent;
  pointer_up: PointerEvent;
  pointer_move: PointerEvent;
  pointer_enter: PointerEvent;
  pointer_leave: PointerEvent;
  double_click: PointerEvent;
  wheel: WheelEvent;
  key_down: KeyEvent;
  key_up: KeyEvent;
  char: CharEvent;
  focus_in: SimpleEvent;
  focus_out: SimpleEvent;
  close: SimpleEvent;
  before_draw: SimpleEvent;
}
/** The event interface for a given type (or union of types). */
export type EventOf<T extends EventType> = EventMap[T];

/** The `type` of an event a view may send: every type but `before_draw`, which only the canvas emits. */
export type WireEventType = Exclude<EventType, 'before_draw'>;
/** An event a view may send (see {@link WireEventType}). */
export type WireEvent = { [T in WireEventType]: EventMap[T] & { type: T } }[WireEventType];

/** Pointer event types (they share {@link PointerEvent}'s fields). */
export const POINTER_EVENT_TYPES: readonly PointerEvent['type'][] = [
  'pointer_down', 'pointer_up', 'pointer_move', 'pointer_enter', 'pointer_leave', 'double_click',
];
/** Event types a view may send, in spec order. */
export const WIRE_EVENT_TYPES: readonly WireEventType[] = [
  'resize', ...POINTER_EVENT_TYPES, 'wheel', 'key_down', 'key_up', 'char', 'focus_in', 'focus_out', 'close',
];
/** Every event type, in spec order. */
export const EVENT_TYPES: readonly EventType[] = [...WIRE_EVENT_TYPES, 'before_draw'];
/** Event types that {@link mergeEvents} may merge (rendercanvas's `_EVENTS_THAT_MERGE`). */
export const EVENTS_THAT_MERGE: readonly EventType[] = ['pointer_move', 'wheel', 'resize'];

// ---- limits on what a view sends (the server rejects more; the widget never sends more) ----

/** Most touch points in one pointer event. */
export const MAX_TOUCHES = 10;
/** Longest `key` of a key event, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 64;
/** Longest `data` of a char event, in UTF-16 code units (the widget splits longer text). */
export const MAX_TEXT_LENGTH = 256;
/** Longest `input_type` of a char event. */
export const MAX_INPUT_TYPE_LENGTH = 64;
/** Coordinates and deltas beyond ± this are clamped (a view is never a million pixels wide). */
export const MAX_COORDINATE = 1e6;

const TYPE_SET = new Set<string>(EVENT_TYPES);

/** True when `type` is a known event type. */
export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && TYPE_SET.has(type);
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Merges `next` into `last` when only the latest state matters, or returns undefined:
 * pointer_move on equal buttons/modifiers/ntouches (latest wins), wheel on equal
 * buttons/modifiers (deltas summed, latest position), resize (latest wins). Merging across a
 * button or modifier change would hide that change from handlers.
 */
export function mergeEvents<E extends CanvasEvent>(last: CanvasEvent, next: E): E | undefined {
  if (last.type !== next.type) return undefined;
  if (next.type === 'resize') return next;
  if (next.type === 'pointer_move' && last.type === 'pointer_move') {
    const same = sameList(last.buttons, next.buttons) && sameList(last.modifiers, next.modifiers)
      && last.ntouches === next.ntouches;
    return same ? next : undefined;
  }
  if (next.type === 'wheel' && last.type === 'wheel') {
    const same = sameList(last.buttons, next.buttons) && sameList(last.modifiers, next.modifiers);
    return same ? { ...next, dx: last.dx + next.dx, dy: last.dy + next.dy } : undefined;
  }
  return undefined;
}
