// The event types a canvas receives. The vocabulary itself (types, fields, limits, the merge
// rule) is defined once in src/events/vocabulary.ts, shared with the wire protocol and the browser
// widget; this module adds what only the canvas needs: type checks that throw, and its clock.
import { UnknownEventTypeError } from '../errors.js';
import { EVENT_TYPES, isEventType, type EventType } from '../events/vocabulary.js';

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
