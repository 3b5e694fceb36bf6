// The event types a canvas receives. The vocabulary itself (types, the field table, limits, the
// merge table) is defined once in src/events/vocabulary.ts, shared with the wire protocol and the
// browser widget; this module adds what only the canvas needs: type and field checks that throw
// (reading the same field table as the wire's parseEvent, so both accept the same events), and
// its clock.
import { InvalidArgumentError, UnknownEventTypeError } from '../errors.js';
import {
  EVENT_TYPES, isEventType, readEventFields, type CanvasEvent, type EventType, type FieldProblem,
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

/** A value as a message shows it: JSON where it has one, cut short; NaN and Infinity as such. */
function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = undefined;
  }
  text ??= String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const problemText = (p: FieldProblem): string => `${p.field} must be ${p.expected}, got ${shown(p.got)}`;

/**
 * Throws unless `event` is a complete event of a known type whose every field keeps to the event
 * field table (`EVENT_FIELDS`, the one the wire's `parseEvent` reads too): {@link UnknownEventTypeError}
 * for the type, {@link InvalidArgumentError} naming each missing or malformed field, what it must
 * be and what it was (e.g. a `pointer_move` without `buttons`, or one holding button 0).
 */
export function checkEvent(event: unknown): asserts event is CanvasEvent {
  if (event === null || typeof event !== 'object') {
    throw new UnknownEventTypeError(`expected an event object { type, timestamp, ... }, got ${event === null ? 'null' : typeof event}; valid types: ${EVENT_TYPES.join(', ')}`);
  }
  const e = event as Record<string, unknown>;
  checkEventType(e.type);
  const { problems } = readEventFields(e.type, e);
  if (problems.length > 0) throw new InvalidArgumentError(`bad "${e.type}" event: ${problems.map(problemText).join('; ')}`);
}
