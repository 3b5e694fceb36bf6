// The event types a canvas receives. The vocabulary itself (types, fields, limits, the merge
// rule) is defined once in src/events/vocabulary.ts, shared with the wire protocol and the browser
// widget; this module adds what only the canvas needs: type and field checks that throw, and its
// clock.
import { InvalidArgumentError, UnknownEventTypeError } from '../errors.js';
import {
  EVENT_TYPES, isEventType, MAX_BUTTON, MODIFIER_ORDER, type CanvasEvent, type EventType, type Touch,
} from '../events/vocabulary.js';

export * from '../events/vocabulary.js';

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
const isButton = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_BUTTON;
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
