// Untrusted input from views: every bad message is reported once and ignored, never closes the
// view, and the canvas keeps drawing and delivering frames to that view and to others. Reports
// are read once a valid marker event sent after the bad input reached the handler (a view's
// messages are handled in order); only the rate window is waited out, being a duration.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_COORDINATE, ProtocolError, type CanvasEvent } from '../src/index.js';
import {
  captureReports, cleanup, expectSolid, frameWithColor, makeSolidCanvas, MARK_X, openView, plain, sleep, until,
  type RGBA, type SolidCanvas, type ViewClient,
} from './helpers/remote.js';

let s: SolidCanvas;
let bad: ViewClient;
let good: ViewClient;
let events: Record<string, unknown>[];
/** The numbers (`y`) of the marker events of handled() that reached the handler. */
let marks: Set<number>;
let nextMark = 0;
let capture: ReturnType<typeof captureReports>;
let colorCount = 0;

beforeEach(async () => {
  capture = captureReports();
  s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity }, [255, 0, 0, 255]);
  events = [];
  marks = new Set();
  s.canvas.addEventHandler((e: CanvasEvent) => {
    if (e.type === 'pointer_down' && e.x === MARK_X) marks.add(e.y);
    else if (e.type !== 'before_draw') events.push(plain(e));
  }, '*');
  bad = await openView(s.canvas);
  good = await openView(s.canvas);
  // bad: frame 1, then 2 (drawn for good's arrival); good: frame 1 (the newest, at once), then 2
  await until(() => s.canvas.viewCount === 2 && bad.lastFrame()?.header.index === 2 && good.lastFrame()?.header.index === 2);
  await until(() => s.canvas.stats().views.every((v) => v.framesAcked === v.framesSent));
});

afterEach(() => {
  capture.restore();
  cleanup();
});

/**
 * Sends a valid marker event on `view` and waits until the handler received it: the view's
 * messages are handled in order, so everything it sent before has been handled by then.
 */
async function handled(view: ViewClient): Promise<void> {
  const mark = ++nextMark;
  view.event(pointer('pointer_down', { x: MARK_X, y: mark }));
  await until(() => marks.has(mark), 3000, `marker event ${mark}`);
}

/** Reports about `view`, once everything it sent has been handled. */
async function reportsOf(view: ViewClient): Promise<{ where: string; error: unknown; message: string }[]> {
  await handled(view);
  return capture.reports.filter((r) => r.where.startsWith(`view ${view.hello!.viewId}`));
}

/** Asserts exactly one report about `view`, a ProtocolError whose message matches. */
async function expectOneReport(view: ViewClient, message: RegExp): Promise<void> {
  const reports = await reportsOf(view);
  expect(reports.map((r) => r.message)).toHaveLength(1);
  expect(reports[0]!.message).toMatch(message);
  expect(reports[0]!.error).toBeInstanceOf(ProtocolError);
}

/** A new colour is drawn and reaches every given view; none of them was closed. */
async function expectStillWorks(...views: ViewClient[]): Promise<void> {
  const n = ++colorCount;
  const color: RGBA = [(n * 50) % 256, 255 - ((n * 50) % 256), 128, 255];
  for (const v of views) v.skipFrames();
  s.setColor(color);
  for (const v of views) {
    await frameWithColor(v, color); // a draw already in flight may deliver the previous colour first
    expect(v.closed).toBeUndefined();
  }
}

const pointer = (type: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type, timestamp: 1, x: 5, y: 6, button: 0, buttons: [], modifiers: [], touches: {}, ...extra,
});

describe('bad messages are reported once and ignored', () => {
  it('malformed JSON', async () => {
    bad.sendRaw('{"type": "ack", ');
    await expectOneReport(bad, /malformed JSON/);
    await expectStillWorks(bad, good);
  });

  it('a JSON array', async () => {
    bad.sendRaw(JSON.stringify([{ type: 'ack', index: 1 }]));
    await expectOneReport(bad, /must be a JSON object/);
    await expectStillWorks(bad, good);
  });

  it('an unknown message type', async () => {
    bad.send({ type: 'subscribe', channel: 'all' });
    await expectOneReport(bad, /unknown message type "subscribe"/);
    await expectStillWorks(bad, good);
  });

  it('an event of an unknown type (before_draw cannot be injected either)', async () => {
    bad.event({ type: 'explode', timestamp: 1 });
    bad.event({ type: 'before_draw', timestamp: 1 });
    const reports = await reportsOf(bad);
    expect(reports.map((r) => r.message)).toEqual([
      expect.stringMatching(/unknown event type "explode"/),
      expect.stringMatching(/unknown event type "before_draw"/),
    ]);
    expect(events).toEqual([]);
    await expectStillWorks(bad, good);
  });

  it('wrong field types', async () => {
    bad.event(pointer('pointer_down', { x: '5' }));
    await expectOneReport(bad, /field "x" must be a finite number/);
    expect(events).toEqual([]);
    await expectStillWorks(bad, good);
  });

  it('huge coordinates are clamped to MAX_COORDINATE (not an error)', async () => {
    bad.event(pointer('pointer_down', { x: 1e308, y: -1e308, button: 1, buttons: [1] }));
    await until(() => events.length === 1);
    expect(MAX_COORDINATE).toBe(1e6);
    expect(events[0]).toMatchObject({ type: 'pointer_down', x: 1e6, y: -1e6 });
    expect(await reportsOf(bad)).toEqual([]);
    await expectStillWorks(bad, good);
  });

  it('too many touch points', async () => {
    const touches: Record<string, unknown> = {};
    for (let i = 0; i < 11; i++) touches[i] = { x: i, y: i, pressure: 0.5 };
    bad.event(pointer('pointer_down', { touches }));
    await expectOneReport(bad, /touches/);
    expect(events).toEqual([]);
    // ten are fine
    delete touches[10];
    bad.event(pointer('pointer_down', { touches }));
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ ntouches: 10 });
    await expectStillWorks(bad, good);
  });

  it('an ack for a frame never sent', async () => {
    bad.ack(987_654);
    await expectOneReport(bad, /acknowledgement of a frame that was not sent/);
    await expectStillWorks(bad, good);
  });

  it('a binary message', async () => {
    bad.sendRaw(Buffer.from([1, 2, 3, 4]));
    await expectOneReport(bad, /JSON text messages only/);
    await expectStillWorks(bad, good);
  });

  it('the same bad message twice is reported once; another kind is reported too', async () => {
    bad.sendRaw('not json');
    bad.sendRaw('not json');
    bad.send({ type: 'nope' });
    bad.send({ type: 'nope' });
    const reports = await reportsOf(bad);
    expect(reports.map((r) => r.message)).toEqual([
      expect.stringMatching(/malformed JSON/),
      expect.stringMatching(/unknown message type "nope"/),
    ]);
    await expectStillWorks(bad, good);
  });
});

describe('floods and misbehaving connections', () => {
  it('a view that flooded still gets frames once the second is over (acks are never dropped)', async () => {
    const f = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity }, [255, 0, 0, 255]);
    const view = await openView(f.canvas); // acks every frame
    await view.nextFrame();
    await until(() => f.canvas.stats().views[0]!.framesAcked === 1);
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) view.event({ type: 'pointer_move', timestamp: i, x: i, y: 0, button: 0, buttons: [], modifiers: [], touches: {} });
    f.setColor([0, 255, 0, 255]);
    await view.nextFrame();
    f.setColor([0, 0, 255, 255]);
    await view.nextFrame();
    // the rule is about time: the rate limit is per second; wait until this one is over
    await sleep(Math.max(0, 1200 - (performance.now() - t0)));
    f.setColor([255, 255, 255, 255]);
    await expectSolid((await frameWithColor(view, [255, 255, 255, 255])).image, [255, 255, 255], 12);
  });


  it('a burst of 5000 pointer_move events is rate limited and merged, reported once', async () => {
    // Past the rate a marker event is dropped too; acks are exempt, so an ack sent after the
    // burst is the fence: once the canvas counted it, the burst before it has been handled.
    bad.autoAck = false;
    bad.skipFrames();
    s.setColor([9, 99, 199, 255]);
    const unacked = await frameWithColor(bad, [9, 99, 199, 255]);
    const acked = (): number => s.canvas.stats().views.find((v) => v.id === bad.hello!.viewId)!.framesAcked;
    const ackedBefore = acked();
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) bad.event(pointer('pointer_move', { x: i % 500, timestamp: i }));
    bad.ack(unacked.header.index);
    bad.autoAck = true;
    await until(() => acked() > ackedBefore, 10_000, 'the ack after the burst');
    // Handled events are dispatched at the canvas's next tick: the first moves are there by now.
    await until(() => events.some((e) => e.type === 'pointer_move'), 3000, 'the first moves');
    const moves = events.filter((e) => e.type === 'pointer_move');
    expect(moves.length).toBeLessThan(1000);
    const reports = capture.reports.filter((r) => r.where.startsWith(`view ${bad.hello!.viewId}`));
    expect(reports.map((r) => r.message)).toEqual([expect.stringMatching(/more than 1000 events in a second/)]);
    expect(reports[0]!.error).toBeInstanceOf(ProtocolError);
    await expectStillWorks(good);
    // once the second is over, the flooding view is served like any other
    // the rule is about time: the rate limit is per second
    await sleep(Math.max(0, 1100 - (performance.now() - t0)));
    await expectStillWorks(bad, good);
    expect(bad.closed).toBeUndefined();
  });

  it('a client that disconnects right after connecting, or while its frame is drawn', async () => {
    const { port } = await s.canvas.server();
    const url = `ws://127.0.0.1:${port}${s.canvas.socketPath}`;
    // before the handshake completes
    const early = new WebSocket(url);
    early.on('error', () => {});
    early.terminate();
    // right after it opens (its arrival asked for a draw, now in flight)
    const quick = new WebSocket(url);
    quick.on('error', () => {});
    await new Promise<void>((r) => quick.once('open', () => { quick.terminate(); r(); }));
    // mid-frame: a draw for this view is being rendered and encoded when it goes away
    const mid = await openView(s.canvas, { autoAck: false });
    s.setColor([1, 2, 3, 255]);
    mid.close();
    await until(() => s.canvas.viewCount === 2, 3000, 'the closed views to be gone');
    await expectStillWorks(bad, good);
    expect(capture.reports.filter((r) => !/ECONNRESET|EPIPE/.test(r.message))).toEqual([]);
  });

  it('a client that never reads does not hold back the others', async () => {
    s.canvas.setUpdateMode('continuous', { maxFps: 60 });
    (bad.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    good.skipFrames();
    const start = good.frames.length;
    const badStats = () => s.canvas.stats().views.find((v) => v.id === bad.hello!.viewId)!;
    // The good view keeps getting frames while the one that never reads has frames dropped.
    await good.waitFor(() => good.frames.length - start >= 9 && badStats().framesDropped > 0, 10_000, '9 more frames on the good view, frames dropped for the other');
    const stats = badStats();
    expect(stats.framesSent - stats.framesAcked).toBeLessThanOrEqual(2);
    expect(stats.framesDropped).toBeGreaterThan(0);
    s.canvas.setUpdateMode('ondemand');
    await expectStillWorks(good);
  });
});
