// The Scheduler on its own, with fake hooks and fake timers (rendercanvas tests its scheduler with
// a stub canvas the same way): exact counts and times instead of the GPU suite's wide
// tolerances. test/scheduler.test.ts covers the same modes on real canvases.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Scheduler, resolveScheduleOptions, type ScheduleOptions } from '../src/canvas/scheduler.js';
import { InvalidArgumentError } from '../src/errors.js';
import { captureReports } from './helpers/common.js';

interface FakeCanvas {
  scheduler: Scheduler;
  /** performance.now() at the start of each draw. */
  draws: number[];
  flushes: number;
  /** What mayDraw() answers. */
  mayDraw: boolean;
  /** When set, draws stay in flight until finish() is called. */
  hold: boolean;
  /** Ends the draw in flight (when `hold`). */
  finish(): void;
  /** Makes the next draw reject with this error. */
  failNext: Error | undefined;
  /** What maxDrawRate() answers (default Infinity: no cap). */
  maxDrawRate: number;
}

let schedulers: Scheduler[] = [];

function fakeCanvas(options: ScheduleOptions = {}): FakeCanvas {
  let finish: (() => void) | undefined;
  const c: FakeCanvas = {
    draws: [], flushes: 0, mayDraw: true, hold: false, failNext: undefined, maxDrawRate: Infinity,
    finish: () => { finish?.(); finish = undefined; },
    scheduler: undefined as unknown as Scheduler,
  };
  c.scheduler = new Scheduler({
    draw: () => {
      c.draws.push(performance.now());
      const error = c.failNext;
      c.failNext = undefined;
      if (error) return Promise.reject(error);
      return c.hold ? new Promise<void>((r) => { finish = r; }) : Promise.resolve();
    },
    flushEvents: () => { c.flushes++; },
    mayDraw: () => c.mayDraw,
    maxDrawRate: () => c.maxDrawRate,
  }, options);
  schedulers.push(c.scheduler);
  return c;
}

/** Advances fake time by `ms`, running timers, immediates and promise callbacks on the way. */
const advance = (ms: number): Promise<void> => vi.advanceTimersByTimeAsync(ms).then(() => undefined);

let capture: ReturnType<typeof captureReports>;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
  capture = captureReports();
});
afterEach(async () => {
  for (const s of schedulers.splice(0)) void s.stop();
  vi.useRealTimers();
  capture.restore();
});

describe('draw rate cap (maxDrawRate: the displays a canvas is shown on)', () => {
  // The cap aims a millisecond early (timers fire late), so exact fake timers draw a little more
  // often than the cap: 1000 ms / (20 - 1) ms = 52 draws for 50 a second.
  test('fastest draws no more often than the cap', async () => {
    const c = fakeCanvas({ updateMode: 'fastest' });
    c.maxDrawRate = 50;
    await advance(1000);
    expect(c.draws.length).toBeGreaterThanOrEqual(50);
    expect(c.draws.length).toBeLessThanOrEqual(53);
  });

  test('continuous with maxFps above the cap is capped; below it keeps its own rate', async () => {
    const fast = fakeCanvas({ updateMode: 'continuous', maxFps: 200 });
    const slow = fakeCanvas({ updateMode: 'continuous', maxFps: 20 });
    fast.maxDrawRate = slow.maxDrawRate = 50;
    await advance(999); // the draw at 0 and 19 more 50 ms later
    expect(fast.draws.length).toBeGreaterThanOrEqual(50);
    expect(fast.draws.length).toBeLessThanOrEqual(53);
    expect(slow.draws.length).toBe(20);
  });

  test('a new cap takes effect at the next draw; Infinity, 0 and NaN mean none', async () => {
    const c = fakeCanvas({ updateMode: 'continuous', maxFps: 100 });
    c.maxDrawRate = 10;
    await advance(999); // every 99 ms from 0: 11 draws
    expect(c.draws.length).toBeGreaterThanOrEqual(10);
    expect(c.draws.length).toBeLessThanOrEqual(11);
    for (const none of [Infinity, 0, Number.NaN]) {
      c.maxDrawRate = none;
      c.draws.length = 0;
      c.scheduler.wake();
      await advance(1000);
      expect(c.draws.length).toBeGreaterThanOrEqual(99);
    }
  });

  test('forced draws and manual mode ignore it', async () => {
    const c = fakeCanvas({ updateMode: 'manual' });
    c.maxDrawRate = 1;
    await c.scheduler.drawNow();
    await c.scheduler.drawNow();
    expect(c.draws.length).toBe(2);
    c.scheduler.sizeChanged();
    await advance(1);
    expect(c.draws.length).toBe(3);
  });
});

describe('ondemand', () => {
  test('draws once per batch of requests, never without one', async () => {
    const c = fakeCanvas();
    await advance(500);
    expect(c.draws).toEqual([]);
    for (let i = 0; i < 5; i++) c.scheduler.requestDraw();
    await advance(1);
    expect(c.draws.length).toBe(1);
    await advance(1000);
    expect(c.draws.length).toBe(1);
    expect(c.scheduler.drawCount).toBe(1);
  });

  test('requests are paced by maxFps: the next draw waits 1/maxFps after the last one started', async () => {
    const c = fakeCanvas({ maxFps: 10 });
    c.scheduler.requestDraw();
    await advance(1);
    c.scheduler.requestDraw();
    await advance(50);
    expect(c.draws.length).toBe(1);
    await advance(60);
    expect(c.draws.length).toBe(2);
    expect(c.draws[1]! - c.draws[0]!).toBeGreaterThanOrEqual(100);
    expect(c.draws[1]! - c.draws[0]!).toBeLessThan(101);
  });

  test('minFps draws without requests, exactly that often', async () => {
    const c = fakeCanvas({ minFps: 5 });
    await advance(999); // draws at 0, 200, ..., 800 ms
    expect(c.draws).toEqual([0, 200, 400, 600, 800].map((t) => expect.closeTo(c.draws[0]! + t, 0)));
  });

  test('an idle canvas holds no timer; a minFps heartbeat holds one', async () => {
    const idle = fakeCanvas();
    idle.scheduler.requestDraw();
    await advance(100);
    expect(vi.getTimerCount()).toBe(0);
    fakeCanvas({ minFps: 1 });
    await advance(10);
    expect(vi.getTimerCount()).toBe(1);
  });

  test('events are flushed on every tick, also when nothing is drawn', async () => {
    const c = fakeCanvas();
    await advance(1);
    const before = c.flushes;
    c.scheduler.wake();
    await advance(1);
    expect(c.flushes).toBe(before + 1);
    expect(c.draws).toEqual([]);
  });
});

describe('mayDraw and draws in flight', () => {
  test('a request made while mayDraw() is false waits, and is drawn on wake() once it is true', async () => {
    const c = fakeCanvas();
    c.mayDraw = false;
    c.scheduler.requestDraw();
    await advance(500);
    expect(c.draws).toEqual([]);
    c.mayDraw = true;
    await advance(500);
    expect(c.draws).toEqual([]); // nobody woke it: no polling
    c.scheduler.wake();
    await advance(1);
    expect(c.draws.length).toBe(1);
  });

  test('no tick starts a draw while one is in flight; the request made meanwhile follows it', async () => {
    const c = fakeCanvas({ updateMode: 'fastest' });
    c.hold = true;
    await advance(1);
    expect(c.draws.length).toBe(1);
    expect(c.scheduler.drawing).toBe(true);
    c.scheduler.requestDraw();
    c.scheduler.wake();
    await advance(1000);
    expect(c.draws.length).toBe(1);
    c.hold = false;
    c.finish();
    await advance(1);
    expect(c.draws.length).toBeGreaterThanOrEqual(2);
  });

  test('drawNow waits for the draw in flight, then draws', async () => {
    const c = fakeCanvas({ updateMode: 'manual' });
    c.hold = true;
    const first = c.scheduler.drawNow();
    await advance(1);
    let secondDone = false;
    const second = c.scheduler.drawNow().then(() => { secondDone = true; });
    await advance(100);
    expect([c.draws.length, secondDone]).toEqual([1, false]);
    c.finish();
    await first;
    await advance(1);
    expect(c.draws.length).toBe(2);
    c.finish();
    await second;
    expect(c.scheduler.drawCount).toBe(2);
  });

  test('a failing draw is reported and scheduling goes on', async () => {
    const c = fakeCanvas();
    const broke = new Error('draw broke');
    c.failNext = broke;
    c.scheduler.requestDraw();
    await advance(1);
    expect(capture.reports.map((r) => [r.where, r.error])).toEqual([['draw', broke]]);
    c.scheduler.requestDraw();
    await advance(100);
    expect(c.draws.length).toBe(2);
    expect(c.scheduler.drawCount).toBe(2);
  });

  test('stop() ends scheduling after the draw in flight', async () => {
    const c = fakeCanvas({ updateMode: 'continuous', maxFps: 100 });
    c.hold = true;
    await advance(1);
    let stopped = false;
    const stopping = c.scheduler.stop().then(() => { stopped = true; });
    await advance(1);
    expect(stopped).toBe(false);
    c.finish();
    await stopping;
    c.hold = false;
    await advance(1000);
    expect(c.draws.length).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('other modes', () => {
  test('manual ignores requests; a size change draws once', async () => {
    const c = fakeCanvas({ updateMode: 'manual' });
    c.scheduler.requestDraw();
    await advance(500);
    expect(c.draws).toEqual([]);
    c.scheduler.sizeChanged();
    await advance(1);
    expect(c.draws.length).toBe(1);
    await advance(500);
    expect(c.draws.length).toBe(1);
  });

  test('continuous at maxFps 20 draws 20 times a second, without requests', async () => {
    const c = fakeCanvas({ updateMode: 'continuous', maxFps: 20 });
    await advance(999); // draws at 0, 50, ..., 950 ms
    expect(c.draws.length).toBe(20);
  });

  test('fastest draws back to back, ignoring maxFps', async () => {
    const c = fakeCanvas({ updateMode: 'fastest', maxFps: 1 });
    await advance(10);
    // Each draw is followed by the next one's tick at once (maxFps 1 would allow one draw).
    expect(c.draws.length).toBeGreaterThanOrEqual(10);
  });

  test('setOptions changes the mode at once and keeps unspecified rates', async () => {
    const c = fakeCanvas({ updateMode: 'manual', maxFps: 7 });
    c.scheduler.setOptions({ updateMode: 'continuous' });
    expect(c.scheduler.options).toEqual({ updateMode: 'continuous', minFps: 0, maxFps: 7 });
    await advance(999);
    expect(c.draws.length).toBe(7);
  });
});

describe('resolveScheduleOptions', () => {
  const bad: [ScheduleOptions, RegExp][] = [
    [{ updateMode: 'sometimes' as never }, /unknown updateMode "sometimes"; allowed: ondemand, continuous, fastest, manual/],
    [{ minFps: -1 }, /minFps must be a finite number >= 0/],
    [{ minFps: Infinity }, /minFps must be a finite number >= 0/],
    [{ maxFps: 0 }, /maxFps must be a number > 0/],
    [{ maxFps: Number.NaN }, /maxFps must be a number > 0/],
  ];
  test.each(bad)('refuses %j', (options, message) => {
    expect(() => resolveScheduleOptions(options)).toThrow(InvalidArgumentError);
    expect(() => resolveScheduleOptions(options)).toThrow(message);
  });

  test('defaults: ondemand, minFps 0, maxFps 30; maxFps Infinity is allowed', () => {
    expect(resolveScheduleOptions()).toEqual({ updateMode: 'ondemand', minFps: 0, maxFps: 30 });
    expect(resolveScheduleOptions({ maxFps: Infinity }).maxFps).toBe(Infinity);
  });
});
