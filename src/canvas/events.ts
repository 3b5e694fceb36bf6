// The event types a canvas receives. Names and fields follow the jupyter_rfb / rendercanvas event
// spec (snake_case types and fields), so handlers written for those port over unchanged, and so
// the same objects travel over the wire from the browser widget.
import { InvalidArgumentError, UnknownEventTypeError } from '../errors.js';

/** Keyboard modifiers, always listed in this order. */
export type Modifier = 'Alt' | 'Control' | 'Meta' | 'Shift';
/** The order modifiers are listed in. */
export const MODIFIER_ORDER: readonly Modifier[] = ['Alt', 'Control', 'Meta', 'Shift'];

/** Mouse buttons: 0 none, 1 left, 2 right, 3 middle, 4 back, 5 forward. */
export type Button = 0 | 1 | 2 | 3 | 4 | 5;

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

/** Every event type, in spec order. */
export const EVENT_TYPES: readonly EventType[] = [
  'resize', 'pointer_down', 'pointer_up', 'pointer_move', 'pointer_enter', 'pointer_leave',
  'double_click', 'wheel', 'key_down', 'key_up', 'char', 'focus_in', 'focus_out', 'close',
  'before_draw',
];
const TYPE_SET = new Set<string>(EVENT_TYPES);

/** True when `type` is a known event type. */
export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && TYPE_SET.has(type);
}

/** Throws {@link UnknownEventTypeError} (listing the valid types) unless `type` is known. */
export function checkEventType(type: unknown, allowWildcard = false): asserts type is EventType {
  if (isEventType(type) || (allowWildcard && type === '*')) return;
  throw new UnknownEventTypeError(
    `unknown event type ${JSON.stringify(type)}; valid types: ${EVENT_TYPES.join(', ')}${allowWildcard ? ', or "*" for all' : ''}`,
  );
}

/** Seconds on the process's monotonic clock, for event timestamps. */
export function now(): number {
  return performance.now() / 1000;
}

// ---- field checks of events given to handleEvent --------------------------------------------

type FieldCheck = [name: string, expected: string, ok: (v: unknown) => boolean];

const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const nonNegative = (v: unknown): boolean => finite(v) && (v as number) >= 0;
const isButton = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 5;
const buttonList = (v: unknown): boolean => Array.isArray(v) && v.every(isButton);
const modifierList = (v: unknown): boolean => Array.isArray(v) && v.every((m) => (MODIFIER_ORDER as readonly unknown[]).includes(m));
const touchMap = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v)
  && Object.values(v as object).every((t) => t !== null && typeof t === 'object' && finite((t as Touch).x) && finite((t as Touch).y));

const BUTTONS: FieldCheck = ['buttons', 'an array of buttons 0..5', buttonList];
const MODIFIERS: FieldCheck = ['modifiers', `an array of ${MODIFIER_ORDER.map((m) => `"${m}"`).join(', ')}`, modifierList];
const XY: FieldCheck[] = [['x', 'a finite number', finite], ['y', 'a finite number', finite]];
const POINTER: FieldCheck[] = [...XY, ['button', 'an integer 0..5', isButton], BUTTONS, MODIFIERS,
  ['ntouches', 'an integer >= 0', (v) => Number.isInteger(v) && (v as number) >= 0],
  ['touches', 'an object of pointer id -> { x, y, pressure }', touchMap]];
const FIELDS: Record<EventType, FieldCheck[]> = {
  resize: [['width', 'a number >= 0', nonNegative], ['height', 'a number >= 0', nonNegative],
    ['pwidth', 'an integer >= 0', (v) => Number.isInteger(v) && (v as number) >= 0],
    ['pheight', 'an integer >= 0', (v) => Number.isInteger(v) && (v as number) >= 0],
    ['ratio', 'a number > 0', (v) => finite(v) && (v as number) > 0]],
  pointer_down: POINTER, pointer_up: POINTER, pointer_move: POINTER, pointer_enter: POINTER,
  pointer_leave: POINTER, double_click: POINTER,
  wheel: [...XY, ['dx', 'a finite number', finite], ['dy', 'a finite number', finite], BUTTONS, MODIFIERS],
  key_down: [['key', 'a string (KeyboardEvent.key)', (v) => typeof v === 'string'], MODIFIERS],
  key_up: [['key', 'a string (KeyboardEvent.key)', (v) => typeof v === 'string'], MODIFIERS],
  char: [['data', 'a string', (v) => typeof v === 'string'], ['is_composing', 'a boolean', (v) => typeof v === 'boolean'],
    ['input_type', 'a string', (v) => typeof v === 'string']],
  focus_in: [], focus_out: [], close: [], before_draw: [],
};

/**
 * Throws unless `event` is a complete event of a known type: {@link UnknownEventTypeError} for
 * the type, {@link InvalidArgumentError} naming each missing or malformed field and what it
 * must be (e.g. a `pointer_move` without `buttons`).
 */
export function checkEvent(event: unknown): asserts event is CanvasEvent {
  if (event === null || typeof event !== 'object') {
    throw new UnknownEventTypeError(`expected an event object { type, timestamp, ... }, got ${event === null ? 'null' : typeof event}; valid types: ${EVENT_TYPES.join(', ')}`);
  }
  const e = event as Record<string, unknown>;
  checkEventType(e.type);
  const problems = [['timestamp', 'a finite number (seconds)', finite] as FieldCheck, ...FIELDS[e.type]]
    .filter(([name, , ok]) => !ok(e[name]))
    .map(([name, expected]) => `"${name}" must be ${expected}, got ${e[name] === undefined ? 'nothing' : JSON.stringify(e[name])}`);
  if (problems.length > 0) throw new InvalidArgumentError(`bad "${e.type}" event: ${problems.join('; ')}`);
}
