// One View over a fake ViewChannel (no socket, no GPU): the per-view backpressure decision, acks,
// the newest-frame-wins pending slot, the connection concerns the view handles itself (its
// size, its own close) rather than passing them to the canvas's handleEvent, and its statistics.
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { ViewChannel } from '../src/remote/transport/channel.js';
import { ProtocolError, type WireEvent } from '../src/remote/protocol.js';
import { View, type FrameMessage, type ViewHooks } from '../src/remote/transport/view.js';
import { captureReports } from './helpers/common.js';

/** A channel that records what the view sends and lets the test play the peer. */
class FakeChannel implements ViewChannel {
  readonly description = 'fake';
  bufferedAmount = 0;
  readonly sent: (string | Uint8Array)[] = [];
  closedWith: [number, string] | undefined;
  #onMessage: ((data: string | Uint8Array) => void) | undefined;
  #onClose: ((code: number, reason: string) => void) | undefined;
  send(data: string | Uint8Array): void { this.sent.push(data); }
  close(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = [code, reason];
    this.#onClose?.(code, reason);
  }
  onMessage(handler: (data: string | Uint8Array) => void): void { this.#onMessage = handler; }
  onClose(handler: (code: number, reason: string) => void): void { this.#onClose = handler; }
  /** The peer sends a message. */
  receive(data: string | Uint8Array): void { this.#onMessage?.(data); }
  receiveJson(message: unknown): void { this.receive(JSON.stringify(message)); }
  /** The peer goes away. */
  drop(): void { this.closedWith = [1006, '']; this.#onClose?.(1006, ''); }
  get frames(): number[] { return this.sent.filter((d) => typeof d !== 'string').map((d) => (d as Uint8Array)[0]!); }
}

interface Calls { events: WireEvent[]; resizes: boolean[]; acks: number; closes: number }

function makeView(maxBufferedFrames = 2): { view: View; channel: FakeChannel; calls: Calls } {
  const channel = new FakeChannel();
  const calls: Calls = { events: [], resizes: [], acks: 0, closes: 0 };
  return { view: new View(channel, makeHooks(calls), maxBufferedFrames), channel, calls };
}

function makeHooks(calls: Calls = { events: [], resizes: [], acks: 0, closes: 0 }): ViewHooks {
  return {
    onEvent: (_v, e) => calls.events.push(e),
    onResize: (_v, becameVisible) => calls.resizes.push(becameVisible),
    onAck: () => { calls.acks++; },
    onClose: () => { calls.closes++; },
  };
}

/** A frame message whose one data byte is its index (so the channel's record says which went out). */
const frame = (index: number): FrameMessage => ({ index, data: Uint8Array.of(index), lossless: false });
const resize = (pwidth: number, pheight: number): unknown => ({
  type: 'event', event: { type: 'resize', timestamp: 1, width: pwidth, height: pheight, pwidth, pheight, ratio: 1 },
});

let capture: ReturnType<typeof captureReports>;
let reports: ReturnType<typeof captureReports>['reports'];
beforeEach(() => {
  capture = captureReports();
  reports = capture.reports;
});
afterEach(() => { capture.restore(); });

test('sends up to maxBufferedFrames unacknowledged frames, keeps only the newest beyond, sends it on ack', () => {
  const { view, channel, calls } = makeView(2);
  for (const i of [1, 2, 3, 4, 5]) view.offer(frame(i));
  expect(channel.frames).toEqual([1, 2]);
  expect(view.stats()).toMatchObject({ framesSent: 2, framesDropped: 2 });
  expect([view.unacked, view.lastOffered, view.hasRoom()]).toEqual([2, 5, false]);
  channel.receiveJson({ type: 'ack', index: 1 });
  expect(channel.frames).toEqual([1, 2, 5]);
  expect(calls.acks).toBe(1);
  // An ack also settles the older frames the widget skipped.
  channel.receiveJson({ type: 'ack', index: 5 });
  expect([view.unacked, view.hasRoom()]).toEqual([0, true]);
  expect(view.stats()).toMatchObject({ framesSent: 3, framesAcked: 2 });
});

test('a frame kept while there was no room goes out once there is: on an ack, on becoming visible, on a drained channel', () => {
  // Seen in JupyterLab 3.6 (CI): the acks came while the view was hidden, so the frame kept for
  // it stayed kept, and every later frame only replaced it: nothing in flight, nothing sent again.
  const { view, channel } = makeView(2);
  channel.receiveJson(resize(100, 80));
  for (const i of [1, 2, 3]) view.offer(frame(i));
  expect(channel.frames).toEqual([1, 2]);
  channel.receiveJson(resize(0, 0)); // hidden
  channel.receiveJson({ type: 'ack', index: 2 });
  expect(channel.frames).toEqual([1, 2]); // no room while hidden
  channel.receiveJson(resize(100, 80)); // visible again: the kept frame goes
  expect(channel.frames).toEqual([1, 2, 3]);
  // A full channel buffer keeps the next one; the next offer, once it drained, sends both in order.
  channel.receiveJson({ type: 'ack', index: 3 });
  channel.bufferedAmount = 64 * 1024 * 1024;
  view.offer(frame(4));
  expect(channel.frames).toEqual([1, 2, 3]);
  channel.bufferedAmount = 0;
  view.offer({ ...frame(5), baseIndex: 4 }); // a partial frame building on the kept one
  expect(channel.frames).toEqual([1, 2, 3, 4, 5]);
  expect(view.stats()).toMatchObject({ framesSent: 5, framesDropped: 0 });
});

test('a window that holds a frame back says so to the adaptive controller; a full channel buffer does not', () => {
  const held: string[] = [];
  const view = new View(new FakeChannel(), makeHooks(), 2, { quality: 80 });
  view.adaptive!.onWindowFull = () => { held.push('held'); };
  expect([view.hasRoom(1), view.hasRoom(2)]).toEqual([true, false]);
  expect(held).toEqual(['held']);
  (view.channel as FakeChannel).bufferedAmount = 1e9;
  expect(view.hasRoom(0)).toBe(false);
  expect(held).toEqual(['held']);
  expect(view.stats().window).toBe(2);
});

test('hasRoom counts frames still encoding, and a full channel buffer, against the view', () => {
  const { view, channel } = makeView(2);
  view.offer(frame(1));
  expect([view.hasRoom(0), view.hasRoom(1)]).toEqual([true, false]);
  channel.receiveJson({ type: 'ack', index: 1 });
  channel.bufferedAmount = 16 * 1024 * 1024;
  expect(view.hasRoom()).toBe(false);
  view.offer(frame(2));
  expect(channel.frames).toEqual([1]);
  channel.bufferedAmount = 0;
  expect(view.hasRoom()).toBe(true);
});

test('its size reports set its size and visibility, through onResize, never as input events', () => {
  const { view, channel, calls } = makeView();
  expect([view.visible, view.size]).toEqual([true, undefined]);
  channel.receiveJson(resize(64, 48));
  expect(view.size).toEqual({ width: 64, height: 48, pwidth: 64, pheight: 48, ratio: 1 });
  channel.receiveJson(resize(0, 0));
  expect(view.visible).toBe(false);
  expect(view.hasRoom()).toBe(false);
  channel.receiveJson(resize(32, 32));
  expect(view.visible).toBe(true);
  expect(calls.resizes).toEqual([false, false, true]); // only the last one made it visible again
  expect(calls.events).toEqual([]);
});

test('a close event closes this view only (normal close code), once', () => {
  const { view, channel, calls } = makeView();
  channel.receiveJson({ type: 'event', event: { type: 'close', timestamp: 1 } });
  expect(channel.closedWith).toEqual([1000, 'view closed']);
  expect([view.open, view.visible, calls.closes]).toEqual([false, false, 1]);
  expect(calls.events).toEqual([]);
  view.close(1000, 'again');
  channel.receiveJson({ type: 'event', event: { type: 'focus_in', timestamp: 2 } });
  expect([calls.closes, calls.events.length]).toEqual([1, 0]);
});

test('input events reach onEvent parsed and typed; the pending frame is dropped when the peer goes', () => {
  const { view, channel, calls } = makeView(1);
  channel.receiveJson({ type: 'event', event: { type: 'key_down', timestamp: 1, key: 'a', modifiers: ['Shift', 'Alt'], junk: 1 } });
  expect(calls.events).toEqual([{ type: 'key_down', timestamp: 1, key: 'a', modifiers: ['Alt', 'Shift'] }]);
  view.offer(frame(1));
  view.offer(frame(2));
  channel.drop();
  expect([view.open, calls.closes]).toEqual([false, 1]);
  view.offer(frame(3));
  expect(channel.frames).toEqual([1]);
});

test('bad messages are reported as ProtocolErrors and ignored; the view stays open', () => {
  const { view, channel, calls } = makeView();
  channel.receive('not json');
  channel.receive(Uint8Array.of(1, 2, 3));
  channel.receiveJson({ type: 'ack', index: 9 }); // never sent
  channel.receiveJson({ type: 'event', event: { type: 'pointer_down', timestamp: 1, touches: {} } });
  expect(reports.map((r) => r.error instanceof ProtocolError)).toEqual([true, true, true, true]);
  expect(reports.map((r) => r.message)).toEqual([
    'malformed JSON', 'views send JSON text messages only',
    'acknowledgement of a frame that was not sent to it (ignored)', 'field "x" must be a finite number',
  ]);
  expect([view.open, calls.events.length, channel.closedWith]).toEqual([true, 0, undefined]);
});

test('events beyond 1000 a second are dropped (reported once); acks never are', () => {
  const { view, channel, calls } = makeView(2000);
  for (let i = 1; i <= 1500; i++) view.offer(frame(i));
  for (let i = 0; i < 1100; i++) channel.receiveJson({ type: 'event', event: { type: 'focus_in', timestamp: i } });
  for (let i = 1; i <= 1500; i++) channel.receiveJson({ type: 'ack', index: i });
  expect(calls.events.length).toBe(1000);
  expect(calls.acks).toBe(1500);
  expect(reports.length).toBe(1);
  expect(reports[0]!.message).toMatch(/more than 1000 events in a second/);
});

test('stats over the last second: fps counts frames shown, drawnFps every offer, bytesPerSecond the bytes sent', async () => {
  const { view, channel } = makeView(2);
  const big = (index: number, bytes: number): FrameMessage => ({ index, data: new Uint8Array(bytes).fill(index), lossless: false });
  view.offer(big(1, 100));
  view.offer(big(2, 200));
  view.offer(big(3, 300)); // waits: 2 unacknowledged
  view.offer(big(4, 400)); // replaces 3 (dropped)
  expect(channel.frames).toEqual([1, 2]);
  channel.receiveJson({ type: 'ack', index: 1 }); // shown; 4 goes out
  channel.receiveJson({ type: 'ack', index: 2, skipped: true }); // settled, not shown
  expect(channel.frames).toEqual([1, 2, 4]);
  const s = view.stats();
  expect(s).toMatchObject({ framesSent: 3, framesAcked: 2, framesShown: 1, framesDropped: 1, fps: 1, drawnFps: 4, bytesPerSecond: 700 });
  expect(s.roundtripMs).toBeGreaterThanOrEqual(0);
  expect(s.roundtripMs).toBeLessThan(1000);
  // A second later the window is empty; the totals stay.
  await new Promise((resolve) => setTimeout(resolve, 1050));
  expect(view.stats()).toMatchObject({ framesSent: 3, framesShown: 1, fps: 0, drawnFps: 0, bytesPerSecond: 0 });
});

test('a codecs message the view sent already is no news (no hook); another list is; keyframe requests over 10 a second are not passed on', () => {
  const channel = new FakeChannel();
  let codecs = 0;
  let keyframes = 0;
  const view = new View(channel, { ...makeHooks({ events: [], resizes: [], acks: 0, closes: 0 }), onCodecs: () => { codecs++; }, onKeyframeRequest: () => { keyframes++; } }, 2);
  const { reports, restore } = captureReports();
  try {
    for (let i = 0; i < 5; i++) channel.receiveJson({ type: 'codecs', decode: ['h264'] });
    expect([codecs, view.decodes]).toEqual([1, ['h264']]);
    channel.receiveJson({ type: 'codecs', decode: [] });
    expect([codecs, view.decodes]).toEqual([2, []]);
    channel.receiveJson({ type: 'codecs', decode: ['h264'] });
    for (let i = 0; i < 25; i++) channel.receiveJson({ type: 'keyframe' });
    expect(keyframes).toBe(10);
    expect(reports.map(([, e]) => String(e))).toContain('ProtocolError: more than 10 keyframe requests in a second (each makes a whole frame\'s encode; the rest of that second\'s are ignored)');
  } finally {
    restore();
  }
});
