// The event tables of src/events/vocabulary.ts, and that every reader follows them. One
// table-driven boundary test walks EVENT_FIELDS: for every field of every event type it builds the
// values just inside and just outside each limit (and at and beyond each clamp) and gives the same
// event to the canvas's checkEvent and the wire's parseEvent, which must agree: both accept, or
// both refuse with their typed error saying which field and what it must be. The merge table
// drives a test of mergeEvents the same way, and docs/protocol.md's event table must be the one
// this file derives from EVENT_FIELDS. Pure: no GPU, no server.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  checkEvent, DawnRfbError, describeField, EVENT_FIELDS, EVENT_TYPES, EVENTS_THAT_MERGE, InvalidArgumentError, mergeEvents,
  parseEvent, ProtocolError, WIRE_EVENT_TYPES, type CanvasEvent, type EventType, type FieldSpec,
} from '../src/index.js';

// ---- values around a limit -------------------------------------------------------------------

const bits = new DataView(new ArrayBuffer(8));
/** The next double after `x` towards +Infinity (dir 1) or -Infinity (dir -1): "just" past a limit. */
function nextAfter(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  bits.setFloat64(0, x);
  const n = bits.getBigInt64(0);
  bits.setBigInt64(0, (x > 0) === (dir > 0) ? n + 1n : n - 1n);
  return bits.getFloat64(0);
}

/** A valid value of a field: what the sample events carry. */
function validValue(spec: FieldSpec): unknown {
  switch (spec.kind) {
    case 'number': {
      const lo = spec.clamp?.[0] ?? -Infinity;
      const hi = spec.clamp?.[1] ?? Infinity;
      return 1 >= lo && 1 <= hi ? 1 : lo;
    }
    case 'integer': return spec.min;
    case 'string': return 'a';
    case 'boolean': return false;
    case 'set': return [];
    case 'touches': return {};
  }
}

function sample(type: EventType): Record<string, unknown> {
  const event: Record<string, unknown> = { type };
  for (const spec of EVENT_FIELDS[type]) event[spec.name] = validValue(spec);
  return event;
}

const MISSING = Symbol('missing');

/**
 * One value of a field and the verdict: `ok` (both readers accept; `wire` is what parseEvent
 * returns for it when that is not the value itself) or not (both refuse). `canvasOnly` marks the
 * one asymmetry the table declares: a `countOf` field, which the wire computes instead of reading.
 */
interface Case {
  what: string;
  value: unknown;
  ok: boolean;
  wire?: unknown;
  canvasOnly?: true;
  /** For a refusal inside a nested field: the field the message names, and its spec. */
  inner?: { where: string; spec: FieldSpec };
}

function casesOf(spec: FieldSpec): Case[] {
  const out: Case[] = [{ what: 'missing', value: MISSING, ok: false }];
  switch (spec.kind) {
    case 'number': {
      const min = spec.min;
      const accepted = (v: number) => min === undefined || (spec.exclusiveMin ? v > min : v >= min);
      out.push({ what: 'NaN', value: Number.NaN, ok: false }, { what: 'Infinity', value: Infinity, ok: false },
        { what: '-Infinity', value: -Infinity, ok: false }, { what: 'a string', value: '1', ok: false }, { what: 'null', value: null, ok: false });
      if (min !== undefined) {
        if (spec.exclusiveMin) out.push({ what: `just above ${min}`, value: nextAfter(min, 1), ok: true }, { what: `${min} (excluded)`, value: min, ok: false });
        else out.push({ what: `${min}`, value: min, ok: true }, { what: `just below ${min}`, value: nextAfter(min, -1), ok: false });
      }
      // An accepted number comes off the wire clamped.
      const clamp = spec.clamp;
      if (clamp) for (const c of out) if (c.ok && typeof c.value === 'number') c.wire = Math.min(clamp[1], Math.max(clamp[0], c.value));
      for (const [bound, dir] of clamp ? [[clamp[0], -1], [clamp[1], 1]] as const : []) {
        if (accepted(bound)) out.push({ what: `clamp bound ${bound}`, value: bound, ok: true });
        const beyond = nextAfter(bound, dir);
        const far = dir * Math.max(Math.abs(bound) * 4, 4);
        for (const v of [beyond, far]) {
          if (Number.isFinite(v) && accepted(v)) out.push({ what: `${v} (beyond the clamp to ${bound})`, value: v, ok: true, wire: bound });
        }
      }
      break;
    }
    case 'integer': {
      const canvasOnly = spec.countOf !== undefined ? { canvasOnly: true as const } : {};
      out.push({ what: `${spec.min}`, value: spec.min, ok: true, ...canvasOnly }, { what: `${spec.max}`, value: spec.max, ok: true, ...canvasOnly },
        { what: `${spec.min - 1}`, value: spec.min - 1, ok: false, ...canvasOnly }, { what: `${spec.max + 1}`, value: spec.max + 1, ok: false, ...canvasOnly },
        { what: `${spec.min + 0.5}`, value: spec.min + 0.5, ok: false, ...canvasOnly }, { what: 'a string', value: String(spec.min), ok: false, ...canvasOnly });
      if (spec.countOf !== undefined) out[0]!.canvasOnly = true;
      break;
    }
    case 'string':
      out.push({ what: `${spec.maxLength} characters`, value: 'k'.repeat(spec.maxLength), ok: true }, { what: 'empty', value: '', ok: true },
        { what: `${spec.maxLength + 1} characters`, value: 'k'.repeat(spec.maxLength + 1), ok: false }, { what: 'a number', value: 5, ok: false });
      break;
    case 'boolean':
      out.push({ what: 'true', value: true, ok: true }, { what: 'false', value: false, ok: true },
        { what: '0', value: 0, ok: false }, { what: '"true"', value: 'true', ok: false });
      break;
    case 'set': {
      const values = spec.values;
      const first = values[0]!;
      out.push({ what: 'all values, reversed', value: [...values].reverse(), ok: values.length <= spec.maxLength, wire: [...values] },
        { what: `${spec.maxLength} entries (repeats)`, value: Array(spec.maxLength).fill(first), ok: true, wire: [first] },
        { what: `${spec.maxLength + 1} entries`, value: Array(spec.maxLength + 1).fill(first), ok: false },
        { what: 'not an array', value: first, ok: false });
      if (values.every((v) => typeof v === 'number')) {
        const numbers = values as readonly number[];
        const [lo, hi] = [Math.min(...numbers), Math.max(...numbers)];
        out.push({ what: `[${lo}]`, value: [lo], ok: true }, { what: `[${hi}]`, value: [hi], ok: true },
          { what: `[${lo - 1}]`, value: [lo - 1], ok: false }, { what: `[${hi + 1}]`, value: [hi + 1], ok: false });
      } else {
        out.push({ what: 'an unknown name', value: ['Hyper'], ok: false }, { what: 'a name in another case', value: [String(first).toLowerCase()], ok: false });
      }
      break;
    }
    case 'touches': {
      const point = Object.fromEntries(spec.fields.map((f) => [f.name, validValue(f)]));
      const points = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { ...point }]));
      out.push({ what: `${spec.maxCount} points`, value: points(spec.maxCount), ok: true },
        { what: `${spec.maxCount + 1} points`, value: points(spec.maxCount + 1), ok: false },
        { what: `id ${spec.maxId}`, value: { [spec.maxId]: point }, ok: true },
        { what: `id ${spec.maxId + 1}`, value: { [spec.maxId + 1]: point }, ok: false },
        { what: 'id -1', value: { '-1': point }, ok: false }, { what: 'id 1.5', value: { '1.5': point }, ok: false },
        { what: 'id 01', value: { '01': point }, ok: false }, { what: 'a point not an object', value: { 0: 5 }, ok: false },
        { what: 'an array', value: [], ok: false }, { what: 'null', value: null, ok: false });
      for (const inner of spec.fields) {
        for (const c of casesOf(inner)) {
          const p = { ...point, [inner.name]: c.value };
          if (c.value === MISSING) delete p[inner.name];
          out.push({
            ...c, what: `${inner.name} ${c.what}`, value: { 7: p },
            ...(c.wire === undefined ? {} : { wire: { 7: { ...point, [inner.name]: c.wire } } }),
            inner: { where: `"${inner.name}" of each touch point`, spec: inner },
          });
        }
      }
      break;
    }
  }
  return out;
}

function withField(type: EventType, name: string, value: unknown): Record<string, unknown> {
  const event = sample(type);
  if (value === MISSING) delete event[name];
  else event[name] = value;
  return event;
}

function thrown(fn: () => unknown): Error | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

// ---- the boundary test: checkEvent and parseEvent agree on every limit --------------------------

describe('EVENT_FIELDS drives checkEvent and parseEvent alike: every limit, just inside and just outside', () => {
  const rows = EVENT_TYPES.flatMap((type) => EVENT_FIELDS[type].map((spec) => [type, spec.name, spec] as const));
  test.each(rows)('%s.%s', (type, name, spec) => {
    const wire = (WIRE_EVENT_TYPES as readonly string[]).includes(type);
    const cases = casesOf(spec);
    expect(cases.filter((c) => c.ok).length).toBeGreaterThan(0);
    expect(cases.filter((c) => !c.ok).length).toBeGreaterThan(0);
    for (const c of cases) {
      const event = withField(type, name, c.value);
      const label = `${type}.${name}: ${c.what}`;
      const canvasError = thrown(() => checkEvent(event));
      const wireError = wire ? thrown(() => parseEvent(event)) : undefined;
      // The field the message names, and what the message says it must be.
      const [where, expected] = c.inner ? [c.inner.where, describeField(c.inner.spec)] : [`"${name}"`, describeField(spec)];
      if (c.ok) {
        expect(canvasError, label).toBeUndefined();
      } else {
        expect(canvasError, label).toBeInstanceOf(InvalidArgumentError);
        expect(canvasError, label).toBeInstanceOf(DawnRfbError);
        expect(canvasError!.message, label).toContain(`bad "${type}" event: ${where} must be ${expected}, got `);
      }
      if (!wire) continue;
      if (c.canvasOnly) {
        // Derived on the wire: whatever a view sends, the count of what it counts comes out.
        expect(wireError, label).toBeUndefined();
        const out = parseEvent(event) as unknown as Record<string, unknown>;
        const counted = spec.kind === 'integer' ? spec.countOf! : '';
        expect(out[name], label).toBe(Object.keys(event[counted] as object).length);
        continue;
      }
      if (c.ok) {
        expect(wireError, label).toBeUndefined();
        const out = parseEvent(event);
        expect((out as unknown as Record<string, unknown>)[name], label).toEqual(c.wire ?? c.value);
        // What the wire lets through is always valid canvas input.
        expect(() => checkEvent(out), label).not.toThrow();
      } else {
        expect(wireError, label).toBeInstanceOf(ProtocolError);
        expect(wireError, label).toBeInstanceOf(DawnRfbError);
        expect(wireError!.message, label).toBe(`field ${where} must be ${expected}`);
      }
    }
  });

  test('parseEvent returns exactly the table\'s fields (extra ones dropped); before_draw is the canvas\'s own', () => {
    for (const type of WIRE_EVENT_TYPES) {
      const out = parseEvent({ ...sample(type), extra: 1, __proto__: { polluted: true } });
      expect(Object.keys(out).sort()).toEqual(['type', ...EVENT_FIELDS[type].map((s) => s.name)].sort());
    }
    expect(() => checkEvent(sample('before_draw'))).not.toThrow();
    expect(() => parseEvent(sample('before_draw'))).toThrow(ProtocolError);
  });

  test('checkEvent lists every bad field at once, with what it got; parseEvent names the first', () => {
    const event = { ...sample('pointer_move'), x: 'left', buttons: [0], touches: { 1: { x: 0, y: 0 } } };
    const message = thrown(() => checkEvent(event))!.message;
    expect(message).toBe('bad "pointer_move" event: "x" must be a finite number, got "left"; '
      + '"buttons" must be an array of button numbers 1..5 (at most 5 entries), got [0]; '
      + '"pressure" of each touch point must be a finite number, got nothing');
    expect(thrown(() => parseEvent(event))!.message).toBe('field "x" must be a finite number');
  });
});

// ---- the merge table -----------------------------------------------------------------------------

describe('EVENTS_THAT_MERGE drives mergeEvents', () => {
  /** Another valid value of a field than the sample's. */
  function otherValue(spec: FieldSpec): unknown {
    const base = JSON.stringify(validValue(spec));
    const c = casesOf(spec).find((k) => k.ok && !k.canvasOnly && JSON.stringify(k.value) !== base);
    if (spec.kind === 'integer') return spec.min + 1;
    return c!.value;
  }

  test.each(EVENT_TYPES.map((t) => [t]))('%s', (type) => {
    const rule = EVENTS_THAT_MERGE[type];
    const a = { ...sample(type), timestamp: 1 } as unknown as CanvasEvent;
    const b = { ...sample(type), timestamp: 2 } as unknown as CanvasEvent;
    if (!rule) {
      expect(mergeEvents(a, b)).toBeUndefined();
      return;
    }
    const merged = mergeEvents(a, b) as unknown as Record<string, unknown>;
    expect(merged).toBeDefined();
    if (rule.sum.length === 0) expect(merged).toBe(b);
    for (const field of rule.sum) expect(merged[field]).toBe((a as never)[field] + (b as never)[field]);
    expect(merged.timestamp).toBe(2);
    for (const field of rule.match) {
      const spec = (EVENT_FIELDS[type] as readonly FieldSpec[]).find((s) => s.name === field)!;
      const changed = { ...b, [field]: otherValue(spec) } as CanvasEvent;
      expect(() => checkEvent(changed)).not.toThrow();
      expect(mergeEvents(a, changed), `${type} with another ${field}`).toBeUndefined();
    }
    // Any field the rule does not match on may differ: the latest wins (or is summed).
    for (const spec of EVENT_FIELDS[type]) {
      if ((rule.match as readonly string[]).includes(spec.name)) continue;
      const changed = { ...b, [spec.name]: otherValue(spec) } as CanvasEvent;
      expect(mergeEvents(a, changed), `${type} with another ${spec.name}`).toBeDefined();
    }
    const other = EVENT_TYPES.find((t) => t !== type)!;
    expect(mergeEvents(a, { ...sample(other) } as unknown as CanvasEvent)).toBeUndefined();
  });
});

// ---- docs/protocol.md's event table is this table ------------------------------------------------

/** What the server does with an accepted value, beyond taking it: the table's clamps and derivations. */
function serverDoes(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'number': {
      if (!spec.clamp) return '';
      const [lo, hi] = spec.clamp;
      return hi === Number.MAX_VALUE ? `raises one below ${lo} to ${lo}` : `clamps it to ${lo}..${hi}`;
    }
    case 'integer': return spec.countOf ? `ignores it: sets the number of \`${spec.countOf}\`` : '';
    case 'set': return 'puts them in that order, each once';
    case 'touches': return `keeps ${spec.fields.map((f) => `\`${f.name}\``).join(', ')} of each point (below)`;
    default: return '';
  }
}

/** The rows docs/protocol.md must carry: the wire's types grouped by field list, a row per field. */
function docRows(): string {
  const groups = new Map<string, EventType[]>();
  for (const type of WIRE_EVENT_TYPES) {
    const key = JSON.stringify(EVENT_FIELDS[type].slice(1));
    groups.set(key, [...(groups.get(key) ?? []), type]);
  }
  const rows: string[] = [];
  for (const types of groups.values()) {
    const fields = EVENT_FIELDS[types[0]!].slice(1);
    const name = types.map((t) => `\`${t}\``).join(', ');
    if (fields.length === 0) rows.push(`| ${name} | none | | |`);
    fields.forEach((spec, i) => {
      rows.push(`| ${i === 0 ? name : ''} | \`${spec.name}\` | ${describeField(spec)} | ${serverDoes(spec)} |`);
      if (spec.kind === 'touches') {
        for (const f of spec.fields) rows.push(`|  | \`${spec.name}[id].${f.name}\` | ${describeField(f)} | ${serverDoes(f)} |`);
      }
    });
  }
  return rows.join('\n');
}

test('docs/protocol.md lists the event fields exactly as EVENT_FIELDS has them', () => {
  const docs = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');
  for (const type of WIRE_EVENT_TYPES) expect(EVENT_FIELDS[type][0]!.name).toBe('timestamp');
  const rows = docRows();
  expect(docs, `docs/protocol.md should have these rows:\n${rows}`).toContain(`| type | field | must be | the server |\n| --- | --- | --- | --- |\n${rows}\n`);
  const timestamp = EVENT_FIELDS.focus_in[0]!;
  const sentence = `Every event has \`timestamp\`: ${describeField(timestamp)}; the server ${serverDoes(timestamp)}.`;
  expect(docs, sentence).toContain(sentence);
});
