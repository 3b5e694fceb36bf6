// Adversarial input from an authenticated view (it has the token, so every message reaches the
// parser): each bad message is refused as stated, the attacking view's connection stays open
// unless the protocol requires closing it (oversized or invalid UTF-8 messages), the attacked
// canvas keeps delivering frames to a second view, a bystander canvas keeps its frames, reports
// stay few, and memory stays bounded. (test/remote-bad-input.test.ts covers single messages
// field by field; this file throws whole classes at the server.) Nothing here waits for a time:
// a view's messages are handled in order, so after bad input a test sends one valid marker event
// and waits for the handler to receive it; by then every message before it has been refused and
// reported.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode, MAX_CLIENT_MESSAGE_BYTES, PROTOCOL_VERSION, ProtocolError, type CanvasEvent } from '../src/index.js';
import { makeBystander, settledMemory, type Bystander } from './helpers/adversarial.js';
import {
  captureReports, cleanup, frameWithColor, makeSolidCanvas, openView, plain, until,
  type Report, type SolidCanvas, type ViewClient,
} from './helpers/remote.js';

let bystander: Bystander;
let s: SolidCanvas;
let bad: ViewClient;
let good: ViewClient;
let events: Record<string, unknown>[];
/** The numbers (`y`) of the marker events the handler received. */
let marks: number[];
let nextMark = 0;
let capture: ReturnType<typeof captureReports>;
let colors = 0;

beforeEach(async () => {
  capture = captureReports();
  bystander = await makeBystander();
  s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity });
  events = [];
  marks = [];
  s.canvas.addEventHandler((e: CanvasEvent) => {
    if (e.type === 'pointer_down' && e.x === MARK_X) marks.push(e.y);
    else if (e.type !== 'before_draw') events.push(plain(e));
  }, '*');
  bad = await openView(s.canvas);
  good = await openView(s.canvas);
  await until(() => bad.frames.length > 0 && good.frames.length > 0);
});

afterEach(async () => {
  await bystander.expectFrames(2);
  capture.restore();
  cleanup();
});

/** Reports about a view (`where` is "view v3" or "view v3 ..."). */
const aboutView = (v: ViewClient): Report[] => capture.reports.filter((r) => r.where === `view ${v.hello!.viewId}` || r.where.startsWith(`view ${v.hello!.viewId} `));
/** The messages of the full reports about a view (a repeat notice, with its count, is not one). */
const reportsOf = (v: ViewClient): string[] => aboutView(v).filter((r) => r.repeats === undefined).map((r) => r.message);
/** The repeat notices about a view: [message, count so far]. */
const repeatsOf = (v: ViewClient): [string, number][] => aboutView(v).filter((r) => r.repeats !== undefined).map((r) => [r.message, r.repeats!]);
const badReports = (): string[] => reportsOf(bad);

/** The x of marker events (no test sends it otherwise). */
const MARK_X = -4242;

/**
 * Sends a valid marker event on `v` and waits until the canvas's handler received it: the view's
 * messages are handled in order, so everything `v` sent before has been handled by then.
 */
async function handled(v: ViewClient = bad): Promise<void> {
  const mark = ++nextMark;
  v.event(pointer({ x: MARK_X, y: mark }));
  await until(() => marks.includes(mark), 3000, `marker event ${mark} from view ${v.hello!.viewId}`);
}

/** How many kinds of bad message a view has reported before it says no more (view.ts MAX_BAD_REPORTS). */
const MAX_BAD_REPORTS = 10;

/**
 * The reports a stream of messages refused with `refusals` (in order) must produce on one view:
 * each kind once (repeats are counted, not reported), and after MAX_BAD_REPORTS kinds one notice
 * that further bad messages go unreported.
 */
function reportsFor(refusals: readonly string[]): string[] {
  const kinds = [...new Set(refusals)];
  if (kinds.length <= MAX_BAD_REPORTS) return kinds;
  return [...kinds.slice(0, MAX_BAD_REPORTS), `${MAX_BAD_REPORTS} kinds of bad messages reported; further bad messages from this view are not reported (they are still ignored)`];
}

/**
 * Sends each input from a fresh view of the canvas (a view reports each kind of problem once, so
 * only a fresh one shows what one input produces) and returns, per input, what was reported
 * about that view once the input was handled; each view must still be open.
 */
async function refusalsOf<T>(inputs: readonly T[], send: (v: ViewClient, input: T) => void): Promise<string[][]> {
  const out: string[][] = [];
  for (const input of inputs) {
    const v = await openView(s.canvas);
    send(v, input);
    await handled(v);
    expect(v.closed).toBeUndefined();
    out.push(reportsOf(v));
    v.close();
  }
  return out;
}

/** A fresh colour reaches the good view (and the bad one, unless it was closed). */
async function stillWorks(timeoutMs?: number): Promise<void> {
  const n = ++colors;
  const color = [(n * 70) % 256, 200, (n * 30) % 256, 255] as const;
  good.skipFrames();
  bad.skipFrames();
  s.setColor(color);
  await frameWithColor(good, color, undefined, timeoutMs);
  if (!bad.closed) await frameWithColor(bad, color, undefined, timeoutMs);
}

const pointer = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ type: 'pointer_down', timestamp: 1, x: 1, y: 2, button: 1, buttons: [1], modifiers: [], touches: {}, ...extra });

describe('invalid JSON and wrong types: reported, ignored, connection kept', () => {
  it('malformed JSON of every shape', async () => {
    // Each input and the one refusal it must produce.
    const cases: [text: string, refusal: string][] = [
      ...['', ' ', '{', '}', '[1,', 'NaN', 'Infinity', '-Infinity', 'undefined', "{'type':'ack'}",
        '{"type":"ack","index":1,}', '\u0000', '\uFEFF{}'].map((t): [string, string] => [t, 'malformed JSON']),
      ['"\\ud800"', 'a message must be a JSON object'],
    ];
    for (const [text] of cases) bad.sendRaw(text);
    await handled();
    expect(bad.closed).toBeUndefined();
    expect(badReports()).toEqual(reportsFor(cases.map(([, r]) => r)));
    // The 13 malformed ones are one error repeated: counted, and noticed once at its 10th time.
    expect(repeatsOf(bad)).toEqual([['malformed JSON', 10]]);
    expect(events).toEqual([]);
    expect(await refusalsOf(cases, (v, [text]) => v.sendRaw(text))).toEqual(cases.map(([, r]) => [r]));
    await stillWorks();
  });

  it('JSON of the wrong types', async () => {
    const notObject = 'a message must be a JSON object';
    const badIndex = 'field "index" must be an integer from 1 to 4294967295';
    const notEvent = 'an event must be a JSON object';
    // Each message and the one refusal it must produce.
    const cases: [message: unknown, refusal: string][] = [
      [null, notObject], [true, notObject], [42, notObject], ['ack', notObject], [[], notObject], [[{ type: 'ack', index: 1 }], notObject],
      [{ type: 5 }, 'unknown message type 5; valid: event, ack, display, codecs, keyframe'],
      [{ type: null }, 'unknown message type null; valid: event, ack, display, codecs, keyframe'],
      [{ type: ['ack'] }, 'unknown message type ["ack"]; valid: event, ack, display, codecs, keyframe'],
      [{ type: 'ack', index: '1' }, badIndex], [{ type: 'ack' }, badIndex],
      [{ type: 'event' }, notEvent], [{ type: 'event', event: null }, notEvent], [{ type: 'event', event: 'pointer_down' }, notEvent],
      [{ type: 'event', event: [] }, notEvent],
      [{ type: 'event', event: { type: 'pointer_down' } }, 'field "timestamp" must be a finite number (seconds)'],
      [{ type: 'event', event: pointer({ x: '1' }) }, 'field "x" must be a finite number'],
      [{ type: 'event', event: pointer({ buttons: 'all' }) }, 'field "buttons" must be an array of button numbers 1..5 (at most 5 entries)'],
      [{ type: 'event', event: pointer({ modifiers: ['Hyper'] }) }, 'field "modifiers" must be an array of "Alt", "Control", "Meta", "Shift" (at most 4 entries)'],
      [{ type: 'event', event: pointer({ touches: [] }) }, 'field "touches" must be an object of at most 10 touch points keyed by integer pointer id 0..2147483648, each { x, y, pressure }'],
      [{ type: 'event', event: { type: 'char', timestamp: 1, data: 5, is_composing: false, input_type: '' } }, 'field "data" must be a string of at most 256 characters'],
    ];
    for (const [m] of cases) bad.send(m);
    await handled();
    expect(events).toEqual([]);
    expect(bad.closed).toBeUndefined();
    // 12 kinds: the first 10 reported, then the notice that no more are.
    expect(badReports()).toEqual(reportsFor(cases.map(([, r]) => r)));
    expect(await refusalsOf(cases, (v, [m]) => v.send(m))).toEqual(cases.map(([, r]) => [r]));
    expect(events).toEqual([]);
    await stillWorks();
  });

  it('NaN, Infinity, negative and 1e9 numbers: refused or clamped, never applied raw', async () => {
    // JSON has no NaN/Infinity; 1e999 parses to Infinity.
    bad.sendRaw(`{"type":"event","event":{"type":"pointer_down","timestamp":1,"x":1e999,"y":0,"button":1,"buttons":[1],"modifiers":[],"touches":{}}}`);
    bad.sendRaw(`{"type":"event","event":{"type":"resize","timestamp":1,"width":1e999,"height":10,"pwidth":10,"pheight":10,"ratio":1}}`);
    bad.event({ type: 'resize', timestamp: 1, width: -5, height: 10, pwidth: -5, pheight: 10, ratio: 1 });
    bad.event({ type: 'resize', timestamp: 1, width: 10, height: 10, pwidth: 10.5, pheight: 10, ratio: 1 });
    bad.event(pointer({ timestamp: -1e9, x: -1e9, y: 1e9 }));
    await until(() => events.some((e) => e.type === 'pointer_down'));
    // coordinates clamped to ±1e6, a negative timestamp to 0
    expect(events.find((e) => e.type === 'pointer_down')).toMatchObject({ x: -1e6, y: 1e6, timestamp: 0 });
    expect(s.canvas.getPhysicalSize()).toEqual([64, 48]);
    // The first four refused (two for the same reason: reported once), the pointer clamped.
    expect(badReports()).toEqual([
      'field "x" must be a finite number', 'field "width" must be a finite number >= 0', 'field "pwidth" must be an integer from 0 to 2147483648',
    ]);
    // A ratio of 0 or less is refused; a positive one out of range is clamped to 0.01..100, not applied raw.
    bad.event({ type: 'resize', timestamp: 1, width: 64, height: 48, pwidth: 64, pheight: 48, ratio: -1 });
    await handled();
    expect(s.canvas.getPixelRatio()).toBe(1);
    expect(badReports().at(-1)).toMatch(/^field "ratio" must be a finite number > 0/);
    bad.event({ type: 'resize', timestamp: 1, width: 64, height: 48, pwidth: 64, pheight: 48, ratio: 0.0001 });
    await handled();
    expect(s.canvas.getPixelRatio()).toBe(0.01);
    await stillWorks();
  });

  it('a 1e9-pixel resize is clamped to what the device can render (and the view stays served)', async () => {
    const max = s.device.limits.maxTextureDimension2D;
    bad.event({ type: 'resize', timestamp: 1, width: 1e9, height: 1e9, pwidth: 1e9, pheight: 1e9, ratio: 1 });
    // a huge but finite request keeps the primary view's aspect, within the device limit
    await until(() => s.canvas.getPhysicalSize()[0] !== 64, 3000, 'the resize');
    const [w, h] = s.canvas.getPhysicalSize();
    expect(w).toBeLessThanOrEqual(max);
    expect(h).toBeLessThanOrEqual(max);
    // back to a sane size: frames flow again at that size
    bad.resize(64, 48);
    await until(() => s.canvas.getPhysicalSize()[0] === 64, 10_000, 'the size back');
    // A frame at the clamped size may still be rendering and encoding (seconds on a busy machine).
    await stillWorks(30_000);
  }, 60_000);

  it('unknown event types and extra fields', async () => {
    bad.event({ type: 'explode', timestamp: 1 });
    bad.event({ type: 'before_draw', timestamp: 1 });
    bad.event({ type: '__proto__', timestamp: 1 });
    bad.event({ type: 'constructor', timestamp: 1 });
    bad.send({ type: 'event', event: pointer({ evil: true, __proto__: { polluted: true }, constructor: 'x' }), extra: 'field' });
    bad.send({ type: 'ack', index: bad.frames[0]!.header.index, extra: { nested: [1, 2, 3] } });
    await until(() => events.length === 1);
    expect(Object.keys(events[0]!).sort()).toEqual(['button', 'buttons', 'modifiers', 'ntouches', 'timestamp', 'touches', 'type', 'x', 'y']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(badReports().filter((m) => /unknown event type/.test(m))).toHaveLength(4);
    await stillWorks();
  });

  it('deep nesting', async () => {
    const depth = Math.floor((MAX_CLIENT_MESSAGE_BYTES - 100) / 2);
    bad.sendRaw('['.repeat(depth) + ']'.repeat(depth));
    bad.sendRaw(`{"type":"event","event":{"type":"pointer_down","x":${'['.repeat(depth / 2)}${']'.repeat(depth / 2)}}}`);
    bad.sendRaw('{"a":'.repeat(2000) + '1' + '}'.repeat(2000));
    await handled();
    expect(bad.closed).toBeUndefined();
    expect(events).toEqual([]);
    // Parsed whole (no stack overflow), then refused for what they are.
    expect(badReports()).toEqual([
      'a message must be a JSON object', 'field "timestamp" must be a finite number (seconds)', 'unknown message type undefined; valid: event, ack, display, codecs, keyframe',
    ]);
    await stillWorks();
  });

  it('binary messages', async () => {
    bad.sendRaw(Buffer.alloc(0));
    bad.sendRaw(Buffer.from('{"type":"ack","index":1}'));
    bad.sendRaw(Buffer.alloc(MAX_CLIENT_MESSAGE_BYTES, 0xff));
    await handled();
    expect(bad.closed).toBeUndefined();
    expect(badReports()).toEqual([expect.stringMatching(/JSON text messages only/)]);
    await stillWorks();
  });

  it('invalid UTF-8 in a text message: the protocol requires closing that connection (1007); nothing else is affected', async () => {
    bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await bad.whenClosed).code).toBe(1007);
    await stillWorks();
    expect(s.canvas.viewCount).toBe(1);
  });
});

describe('the size cap', () => {
  it('a message of exactly MAX_CLIENT_MESSAGE_BYTES is accepted; one byte more closes that connection with 1009', async () => {
    const ack = (index: number): string => `{"type":"ack","index":${index}}`;
    const index = bad.frames[bad.frames.length - 1]!.header.index;
    const atCap = ack(index).padEnd(MAX_CLIENT_MESSAGE_BYTES, ' ');
    expect(Buffer.byteLength(atCap)).toBe(MAX_CLIENT_MESSAGE_BYTES);
    bad.sendRaw(atCap);
    await handled();
    expect(bad.closed).toBeUndefined();
    // Accepted as a message, refused as an ack (one that long is not exempt from the rates).
    expect(badReports().filter((m) => !/not sent to it|already settled/.test(m))).toEqual([expect.stringMatching(/an ack message is at most 64 characters/)]);
    bad.sendRaw(atCap + ' ');
    expect(await bad.whenClosed).toMatchObject({ code: 1009 });
    await stillWorks();
    // many oversized messages from fresh connections do not grow the server
    const before = await settledMemory();
    for (let i = 0; i < 20; i++) {
      const v = await openView(s.canvas);
      v.sendRaw('x'.repeat(MAX_CLIENT_MESSAGE_BYTES * 8));
      await v.whenClosed;
    }
    const after = await settledMemory();
    expect((after.heap - before.heap) / 2 ** 20).toBeLessThan(8);
    await stillWorks();
  });
});

describe('acknowledgements', () => {
  it('of frames never sent, duplicated, zero, negative, fractional, huge: reported, never stall the view', async () => {
    const last = bad.frames[bad.frames.length - 1]!.header.index;
    for (const index of [last + 1000, last, last, 0, -1, 1.5, 2 ** 32, 2 ** 53, Number.MAX_VALUE]) bad.ack(index);
    bad.sendRaw('{"type":"ack","index":1e999}');
    await handled();
    // In order of first occurrence: last + 1000, then `last` (already acknowledged on arrival),
    // then the indices that are not integers from 1 to 2^32-1 (1e999 parses to Infinity).
    expect(badReports()).toEqual([
      'acknowledgement of a frame that was not sent to it (ignored)',
      'acknowledgement of a frame already settled by a later one (acknowledge frames in order; ignored)',
      'field "index" must be an integer from 1 to 4294967295',
    ]);
    await stillWorks();
    // the view's accounting is not confused: it has room again after acking what it got
    const st = s.canvas.stats().views.find((v) => v.id === bad.hello!.viewId)!;
    expect(st.framesSent - st.framesAcked).toBeLessThanOrEqual(2);
  });
});

describe('protocol version', () => {
  it('another version, garbage, or two versions: closed with protocolMismatch naming the version spoken', async () => {
    const { port } = await s.canvas.server();
    const v = PROTOCOL_VERSION;
    for (const version of [String(v + 1), String(v - 1), '0', 'abc', '', `${v}&protocol=${v + 1}`, `${v}&protocol=${v}`, `${v}.0`]) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${s.canvas.id}?token=${encodeURIComponent(s.canvas.token)}&protocol=${version}`);
      ws.on('error', () => {});
      let got = false;
      ws.on('message', () => { got = true; });
      const [code, reason] = await new Promise<[number, string]>((r) => ws.once('close', (c, why) => r([c, why.toString()])));
      expect(code, version).toBe(CloseCode.protocolMismatch);
      expect(reason).toContain(`this server speaks ${v}`);
      expect(got).toBe(false);
    }
    await stillWorks();
  });
});

describe('reports stay few and memory bounded under a stream of distinct bad messages', () => {
  it('5,000 different unknown event types: at most a handful of lines reach the output', async () => {
    // Past 1,000 messages a second the view's messages are dropped unparsed, a marker event
    // included; acks are exempt, so an ack sent after the flood is the fence: once the canvas
    // counted it, the flood before it has been handled.
    bad.autoAck = false;
    bad.skipFrames();
    s.setColor([10, 20, 30, 255]);
    const unacked = await frameWithColor(bad, [10, 20, 30, 255]);
    const ackedBefore = (): number => s.canvas.stats().views.find((v) => v.id === bad.hello!.viewId)!.framesAcked;
    const acks = ackedBefore();
    const before = await settledMemory();
    for (let i = 0; i < 5000; i++) bad.event({ type: `unknown-${i}`, timestamp: 1 });
    for (let i = 0; i < 500; i++) bad.sendRaw(`garbage ${i}`);
    bad.ack(unacked.header.index);
    bad.autoAck = true;
    await until(() => ackedBefore() > acks, 10_000, 'the ack sent after the flood');
    expect(s.canvas.stats().views.length).toBe(2);
    const reports = badReports();
    expect(reports.length).toBeLessThanOrEqual(12);
    expect(reports.some((m) => /further bad messages from this view are not reported/.test(m))).toBe(true);
    for (const r of capture.reports) expect(r.error).toBeInstanceOf(ProtocolError);
    const after = await settledMemory();
    expect((after.heap - before.heap) / 2 ** 20).toBeLessThan(8);
    await stillWorks();
  });
});
