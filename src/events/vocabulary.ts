// The event vocabulary, defined once: event types and fields, the field table that says what each
// field must be (EVENT_FIELDS: types, ranges, lengths, clamps), modifier order, and the merge table
// (EVENTS_THAT_MERGE) for events where only the latest state matters. The canvas's checks
// (src/canvas/events.ts checkEvent), the wire protocol's validation (src/remote/protocol.ts
// parseEvent, through readEventFields here) and the browser widget's throttle (mergeEvents) all
// read these tables, so they cannot drift apart: a limit changed here changes what the canvas
// and the server accept alike. Names and fields follow the jupyter_rfb / rendercanvas event spec
// (snake_case), so handlers written for those port over unchanged.
//
// A leaf: it imports nothing (the callers turn the problems it finds into their own typed
// errors), and runs in Node and in the browser bundle alike.

/** Keyboard modifiers, always listed in this order. */
export type Modifier = 'Alt' | 'Control' | 'Meta' | 'Shift';
/** The order modifiers are listed in. */
export const MODIFIER_ORDER: readonly Modifier[] = ['Alt', 'Control', 'Meta', 'Shift'];

/**
 * Mouse buttons: 0 none, 1 left, 2 right, 3 middle, 4 back, 5 forward. A pointer event's `button`
 * (the one that changed) may be 0; its `buttons` (those held) are 1..5 only, as in jupyter_rfb,
 * whose views build the list from the DOM `buttons` bitmask: "none" is an empty list.
 */
export type Button = 0 | 1 | 2 | 3 | 4 | 5;
/** The highest button number. */
export const MAX_BUTTON = 5;
/** The buttons a `buttons` list may hold, in order: 1..{@link MAX_BUTTON} (0, none, is never held). */
export const HELD_BUTTONS: readonly Button[] = [1, 2, 3, 4, 5];

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
  /** Buttons held (1..5, never 0), sorted. */
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
/** Largest physical size (`pwidth`, `pheight`) and touch pointer id. */
export const MAX_PHYSICAL = 2 ** 31;
/** Smallest and largest pixel ratio a view's resize keeps; others are clamped to these. */
export const RATIO_RANGE: readonly [number, number] = [0.01, 100];

const TYPE_SET = new Set<string>(EVENT_TYPES);

/** True when `type` is a known event type. */
export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && TYPE_SET.has(type);
}

// ---- the field table ------------------------------------------------------------------------

/**
 * What one field of an event must be. `checkEvent` (the canvas) refuses an event whose field breaks
 * its spec, and `parseEvent` (the wire) refuses the same ones; what the wire accepts it also
 * cleans: numbers pulled into `clamp`, sets in spec order without repeats, a `countOf` field
 * computed instead of read. The canvas takes accepted values as given (a caller's coordinates
 * beyond the clamp are its own business; only what comes off the wire is untrusted). Every field
 * is required: the spec has no optional event field.
 */
export type FieldSpec<N extends string = string> =
  | NumberField<N> | IntegerField<N> | StringField<N> | BooleanField<N> | SetField<N> | TouchesField<N>;

/** A finite number; at least `min` (above it, with `exclusiveMin`); on the wire clamped to `clamp`. */
export interface NumberField<N extends string = string> {
  readonly kind: 'number';
  readonly name: N;
  readonly min?: number;
  readonly exclusiveMin?: boolean;
  /** Where the wire clamps an accepted value to: [low, high]. */
  readonly clamp?: readonly [number, number];
  /** The unit, shown in messages ("seconds"). */
  readonly unit?: string;
}
/** An integer from `min` to `max`; with `countOf`, the wire sets it to that field's entry count. */
export interface IntegerField<N extends string = string> {
  readonly kind: 'integer';
  readonly name: N;
  readonly min: number;
  readonly max: number;
  /** The field whose entries this counts (`ntouches` counts `touches`): derived on the wire. */
  readonly countOf?: string;
}
/** A string of at most `maxLength` UTF-16 code units. */
export interface StringField<N extends string = string> {
  readonly kind: 'string';
  readonly name: N;
  readonly maxLength: number;
}
/** true or false. */
export interface BooleanField<N extends string = string> {
  readonly kind: 'boolean';
  readonly name: N;
}
/** An array of at most `maxLength` entries, each one of `values`; the wire returns them in `values` order, once each. */
export interface SetField<N extends string = string> {
  readonly kind: 'set';
  readonly name: N;
  readonly values: readonly (string | number)[];
  readonly maxLength: number;
  /** What the entries are, for messages ("button numbers"); the values are listed without it. */
  readonly noun?: string;
}
/** An object of at most `maxCount` points keyed by integer id 0..`maxId`, each with `fields`. */
export interface TouchesField<N extends string = string> {
  readonly kind: 'touches';
  readonly name: N;
  readonly maxCount: number;
  readonly maxId: number;
  readonly fields: readonly FieldSpec[];
}

// Marked free of side effects so that a bundle that never reads the table (the widget) drops it.
const number = /* @__NO_SIDE_EFFECTS__ */ <N extends string>(name: N, o: Omit<NumberField, 'kind' | 'name'> = {}): NumberField<N> => ({ kind: 'number', name, ...o });
const integer = /* @__NO_SIDE_EFFECTS__ */ <N extends string>(name: N, min: number, max: number, countOf?: string): IntegerField<N> =>
  ({ kind: 'integer', name, min, max, ...(countOf === undefined ? {} : { countOf }) });
const string = /* @__NO_SIDE_EFFECTS__ */ <N extends string>(name: N, maxLength: number): StringField<N> => ({ kind: 'string', name, maxLength });

const COORDINATE: Omit<NumberField, 'kind' | 'name'> = { clamp: [-MAX_COORDINATE, MAX_COORDINATE] };
const TIMESTAMP = number('timestamp', { unit: 'seconds', clamp: [0, Number.MAX_VALUE] });
const X = number('x', COORDINATE);
const Y = number('y', COORDINATE);
const BUTTONS: SetField<'buttons'> = { kind: 'set', name: 'buttons', values: HELD_BUTTONS, maxLength: MAX_BUTTON, noun: 'button numbers' };
const MODIFIERS: SetField<'modifiers'> = { kind: 'set', name: 'modifiers', values: MODIFIER_ORDER, maxLength: MODIFIER_ORDER.length };
const KEY = [TIMESTAMP, string('key', MAX_KEY_LENGTH), MODIFIERS] as const;
const SIMPLE = [TIMESTAMP] as const;

/** The fields of one touch point of a pointer event's `touches`. */
export const TOUCH_FIELDS: readonly FieldSpec<keyof Touch>[] = [X, Y, number('pressure', { clamp: [0, 1] })];

const POINTER = [
  TIMESTAMP, X, Y, integer('button', 0, MAX_BUTTON), BUTTONS, MODIFIERS, integer('ntouches', 0, MAX_TOUCHES, 'touches'),
  { kind: 'touches', name: 'touches', maxCount: MAX_TOUCHES, maxId: MAX_PHYSICAL, fields: TOUCH_FIELDS } as TouchesField<'touches'>,
] as const;

/** The names of an event type's fields (all but `type`). */
export type FieldName<T extends EventType> = Exclude<keyof EventMap[T], 'type'> & string;
/** A field table: the specs of every field of every event type. */
export type FieldTable = { readonly [T in EventType]: readonly FieldSpec<FieldName<T>>[] };

const TABLE = {
  resize: [TIMESTAMP, number('width', { min: 0, clamp: [0, MAX_COORDINATE] }), number('height', { min: 0, clamp: [0, MAX_COORDINATE] }),
    integer('pwidth', 0, MAX_PHYSICAL), integer('pheight', 0, MAX_PHYSICAL),
    number('ratio', { min: 0, exclusiveMin: true, clamp: RATIO_RANGE })],
  pointer_down: POINTER, pointer_up: POINTER, pointer_move: POINTER, pointer_enter: POINTER, pointer_leave: POINTER, double_click: POINTER,
  wheel: [TIMESTAMP, X, Y, number('dx', COORDINATE), number('dy', COORDINATE), BUTTONS, MODIFIERS],
  key_down: KEY, key_up: KEY,
  char: [TIMESTAMP, string('data', MAX_TEXT_LENGTH), { kind: 'boolean', name: 'is_composing' } as BooleanField<'is_composing'>,
    string('input_type', MAX_INPUT_TYPE_LENGTH)],
  focus_in: SIMPLE, focus_out: SIMPLE, close: SIMPLE, before_draw: SIMPLE,
} as const satisfies FieldTable;

// Compile-time completeness: a field added to an event interface but not to the table fails to
// compile here ("does not satisfy the constraint 'never'").
type Unlisted = { [T in EventType]: Exclude<FieldName<T>, (typeof TABLE)[T][number]['name']> }[EventType];
type NoneUnlisted<U extends never> = U;
type TableIsComplete = NoneUnlisted<Unlisted>;

/**
 * Every field of every event type and what it must be, in spec order: the one table that the
 * canvas's `checkEvent` and the wire's `parseEvent` both read (see {@link FieldSpec}).
 */
export const EVENT_FIELDS: FieldTable = TABLE;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIntegerRun(values: readonly (string | number)[]): values is readonly number[] {
  return values.length > 2 && values.every((v, i) => typeof v === 'number' && Number.isInteger(v) && (i === 0 || v === (values[i - 1] as number) + 1));
}

/** What a field must be, in words, as error messages say it: "an integer from 0 to 5". */
export function describeField(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'number': {
      const bound = spec.min === undefined ? '' : ` ${spec.exclusiveMin ? '>' : '>='} ${spec.min}`;
      return `a finite number${bound}${spec.unit ? ` (${spec.unit})` : ''}`;
    }
    case 'integer':
      return `an integer from ${spec.min} to ${spec.max}`;
    case 'string':
      return `a string of at most ${spec.maxLength} characters`;
    case 'boolean':
      return 'a boolean';
    case 'set': {
      const values = isIntegerRun(spec.values) ? `${spec.values[0]}..${spec.values[spec.values.length - 1]}` : spec.values.map((v) => JSON.stringify(v)).join(', ');
      return `an array of ${spec.noun ? `${spec.noun} ` : ''}${values} (at most ${spec.maxLength} entries)`;
    }
    case 'touches':
      return `an object of at most ${spec.maxCount} touch points keyed by integer pointer id 0..${spec.maxId}, each { ${spec.fields.map((f) => f.name).join(', ')} }`;
  }
}

/** A field of an event that breaks its spec in {@link EVENT_FIELDS}. */
export interface FieldProblem {
  /** Which field, quoted: `"x"`, or `"pressure" of each touch point` for a field inside `touches`. */
  field: string;
  /** What it must be ({@link describeField}). */
  expected: string;
  /** The value given; undefined when the field is missing. */
  got: unknown;
}

/** What {@link readEventFields} found. */
export interface ReadFields {
  /**
   * The event as the wire cleans it: `type`, then the table's fields by name, in table order
   * (undefined where a field broke its spec).
   */
  fields: Record<string, unknown>;
  /** Every field that broke its spec, in table order; empty when the event is valid. */
  problems: FieldProblem[];
}

const BAD = Symbol('bad');

/** The value of one field, cleaned; BAD when it breaks its spec (nested problems go to `problems`). */
function readValue(spec: FieldSpec, v: unknown, problems: FieldProblem[]): unknown {
  switch (spec.kind) {
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return BAD;
      if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) return BAD;
      return spec.clamp ? Math.min(spec.clamp[1], Math.max(spec.clamp[0], v)) : v;
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max ? v : BAD;
    case 'string':
      return typeof v === 'string' && v.length <= spec.maxLength ? v : BAD;
    case 'boolean':
      return typeof v === 'boolean' ? v : BAD;
    case 'set': {
      if (!Array.isArray(v) || v.length > spec.maxLength) return BAD;
      const values = spec.values as readonly unknown[];
      for (const x of v) if (!values.includes(x)) return BAD;
      return v.length === 0 ? [] : values.filter((x) => v.includes(x)); // spec order, once each
    }
    case 'touches': {
      if (!isRecord(v)) return BAD;
      const keys = Object.keys(v);
      if (keys.length > spec.maxCount) return BAD;
      const out: Record<number, Record<string, unknown>> = {};
      for (const key of keys) {
        const id = Number(key);
        const point = v[key];
        if (!Number.isInteger(id) || String(id) !== key || id < 0 || id > spec.maxId || !isRecord(point)) return BAD;
        out[id] = readFields(spec.fields, point, ' of each touch point', problems, false);
      }
      return out;
    }
  }
}

function readFields(
  specs: readonly FieldSpec[], raw: Readonly<Record<string, unknown>>, where: string, problems: FieldProblem[], derive: boolean,
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const spec of specs) {
    if (derive && spec.kind === 'integer' && spec.countOf !== undefined) {
      out[spec.name] = undefined; // set once what it counts is read; here to keep the table's order
      continue;
    }
    const v = raw[spec.name];
    const value = readValue(spec, v, problems);
    if (value === BAD) problems.push({ field: `"${spec.name}"${where}`, expected: describeField(spec), got: v });
    out[spec.name] = value === BAD ? undefined : value;
  }
  return out;
}

/**
 * Reads the fields of an event of type `type` from `raw` by {@link EVENT_FIELDS}: every field
 * that breaks its spec, and the fields cleaned (clamped, sets in spec order, only the table's
 * fields). With `derive` (the wire), a `countOf` field is not read but set to the entry count of
 * the field it counts, so a view cannot send a touch count that disagrees with its touches.
 */
export function readEventFields(type: EventType, raw: Readonly<Record<string, unknown>>, derive = false): ReadFields {
  const problems: FieldProblem[] = [];
  const specs: readonly FieldSpec[] = EVENT_FIELDS[type];
  const fields = readFields(specs, raw, '', problems, derive, { type });
  if (derive) {
    for (const spec of specs) {
      if (spec.kind === 'integer' && spec.countOf !== undefined) fields[spec.name] = Object.keys((fields[spec.countOf] as object | undefined) ?? {}).length;
    }
  }
  return { fields, problems };
}

// ---- the merge table ------------------------------------------------------------------------

/**
 * How two consecutive events of one type merge: only when every `match` field is equal (arrays
 * element by element), into the later event with every `sum` field added up.
 */
export interface MergeRule<T extends EventType = EventType> {
  readonly match: readonly FieldName<T>[];
  readonly sum: readonly FieldName<T>[];
}

/**
 * The event types that {@link mergeEvents} merges and how (rendercanvas's `_EVENTS_THAT_MERGE`):
 * pointer_move on equal buttons/modifiers/ntouches (latest wins), wheel on equal
 * buttons/modifiers (deltas summed, latest position), resize (latest wins). Merging across a
 * button or modifier change would hide that change from handlers.
 */
export const EVENTS_THAT_MERGE: { readonly [T in EventType]?: MergeRule<T> } = {
  pointer_move: { match: ['buttons', 'modifiers', 'ntouches'], sum: [] },
  wheel: { match: ['buttons', 'modifiers'], sum: ['dx', 'dy'] },
  resize: { match: [], sum: [] },
};

function same(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Merges `next` into `last` by {@link EVENTS_THAT_MERGE}, or returns undefined (different types,
 * a type that does not merge, or a `match` field that differs). Without `sum` fields the result
 * is `next` itself.
 */
export function mergeEvents<E extends CanvasEvent>(last: CanvasEvent, next: E): E | undefined {
  if (last.type !== next.type || !Object.prototype.hasOwnProperty.call(EVENTS_THAT_MERGE, next.type)) return undefined;
  const rule = EVENTS_THAT_MERGE[next.type] as MergeRule;
  const [a, b] = [last as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>];
  if (!rule.match.every((k) => same(a[k], b[k]))) return undefined;
  if (rule.sum.length === 0) return next;
  const merged: Record<string, unknown> = { ...b };
  for (const k of rule.sum) merged[k] = (a[k] as number) + (b[k] as number);
  return merged as E;
}
