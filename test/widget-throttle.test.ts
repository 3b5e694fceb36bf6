// The widget's event queue (widget/src/throttle.ts) with a fake clock: moves and wheels merge by
// the shared vocabulary's rule and go out at most every `ms`; any other event flushes the pending
// one first, so order is kept. Pure, no browser.
import { expect, test } from 'vitest';
import { mergeEvents, type Button, type Modifier, type WireEvent } from '../src/remote/protocol.js';
import { EventQueue, type Clock } from '../widget/src/throttle.js';

/** A clock whose time moves only when told; timers run as it passes them. */
class FakeClock implements Clock {
  time = 1000;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now(): number { return this.time; }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(timer: unknown): void { this.#timers.delete(timer as number); }
  get pending(): number { return this.#timers.size; }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}

const move = (x: number, buttons: Button[] = [], modifiers: Modifier[] = [], ntouches = 0): WireEvent => ({
  type: 'pointer_move', timestamp: x, x, y: 0, button: 0, buttons, modifiers, ntouches, touches: {},
});
const wheel = (dy: number, modifiers: Modifier[] = []): WireEvent => ({
  type: 'wheel', timestamp: dy, x: 5, y: 5, dx: 0, dy, buttons: [], modifiers,
});
const key = (k: string): WireEvent => ({ type: 'key_down', timestamp: 0, key: k, modifiers: [] });

function setup(ms = 20): { clock: FakeClock; queue: EventQueue; sent: WireEvent[] } {
  const clock = new FakeClock();
  const sent: WireEvent[] = [];
  return { clock, queue: new EventQueue((e) => sent.push(e), ms, clock), sent };
}

test('the first move goes out at once; later ones merge and go out every `ms`, latest position winning', () => {
  const { clock, queue, sent } = setup(20);
  queue.push(move(1));
  clock.advance(0);
  expect(sent.map((e) => (e as { x: number }).x)).toEqual([1]);
  queue.push(move(2));
  queue.push(move(3));
  queue.push(move(4));
  clock.advance(19);
  expect(sent.length).toBe(1);
  clock.advance(1);
  expect(sent.map((e) => (e as { x: number }).x)).toEqual([1, 4]);
  expect(clock.pending).toBe(0);
});

test('wheel deltas add up while merged', () => {
  const { clock, queue, sent } = setup(20);
  queue.push(wheel(1));
  clock.advance(0);
  queue.push(wheel(2));
  queue.push(wheel(3));
  clock.advance(20);
  expect(sent.map((e) => (e as { dy: number }).dy)).toEqual([1, 5]);
});

test('any other event first sends the pending move, so order is kept', () => {
  const { clock, queue, sent } = setup(20);
  queue.push(move(1));
  clock.advance(0);
  queue.push(move(2));
  queue.push(key('a'));
  expect(sent.map((e) => e.type)).toEqual(['pointer_move', 'pointer_move', 'key_down']);
  expect((sent[1] as { x: number }).x).toBe(2);
  expect(clock.pending).toBe(0);
});

test('a change of buttons, modifiers, touch count or type is never merged away', () => {
  const { clock, queue, sent } = setup(20);
  queue.push(move(1));
  clock.advance(0);
  queue.push(move(2, [1])); // a button now held
  queue.push(move(3, [1], ['Shift']));
  queue.push(move(4, [1], ['Shift'], 1));
  queue.push(wheel(1));
  queue.push(wheel(2, ['Control']));
  clock.advance(100);
  expect(sent.map((e) => [e.type, e.timestamp])).toEqual([
    ['pointer_move', 1], ['pointer_move', 2], ['pointer_move', 3], ['pointer_move', 4], ['wheel', 1], ['wheel', 2],
  ]);
});

test('resizes are not delayed by the throttle', () => {
  const { clock, queue, sent } = setup(20);
  queue.push(move(1));
  clock.advance(0);
  queue.push(move(2));
  queue.push({ type: 'resize', timestamp: 0, width: 10, height: 10, pwidth: 10, pheight: 10, ratio: 1 });
  expect(sent.map((e) => e.type)).toEqual(['pointer_move', 'pointer_move', 'resize']);
});

test('it merges by the same rule as the canvas queue (mergeEvents from the shared vocabulary)', () => {
  const pairs: [WireEvent, WireEvent][] = [
    [move(1), move(2)], [move(1), move(2, [1])], [move(1, [], ['Alt']), move(2, [], ['Alt'])], [move(1, [], [], 1), move(2, [], [], 2)],
    [wheel(1), wheel(2)], [wheel(1), wheel(2, ['Shift'])],
  ];
  for (const [a, b] of pairs) {
    const { clock, queue, sent } = setup(20);
    queue.push(move(0));
    clock.advance(0);
    sent.length = 0;
    queue.push(a);
    queue.push(b);
    queue.flush();
    const merged = mergeEvents(a, b);
    expect(sent).toEqual(merged ? [merged] : [a, b]);
  }
});

test('ms 0 sends every move at once; dispose drops the pending one and its timer', () => {
  const zero = setup(0);
  zero.queue.push(move(1));
  zero.clock.advance(0);
  zero.queue.push(move(2));
  zero.clock.advance(0);
  expect(zero.sent.length).toBe(2);

  const { clock, queue, sent } = setup(20);
  queue.push(move(1));
  clock.advance(0);
  queue.push(move(2));
  queue.dispose();
  clock.advance(100);
  expect(sent.length).toBe(1);
  expect(clock.pending).toBe(0);
});
