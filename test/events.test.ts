// Event queueing, merging and dispatch: the EventEmitter alone, and through a canvas.
import { afterEach, describe, expect, test } from 'vitest';
import {
  EventEmitter, EVENT_TYPES, getDefaultDevice, mergeEvents, OffscreenCanvas, UnknownEventTypeError,
  InvalidArgumentError, type CanvasEvent, type EventControl, type PointerEvent, type WheelEvent, type EventType,
} from '../src/index.js';
import { captureReports, clearTexture, settle, thrown } from './helpers/gpu.js';

let t = 0;
function pointer(type: PointerEvent['type'], x: number, y: number, extra: Partial<PointerEvent> = {}): PointerEvent {
  return { type, timestamp: ++t, x, y, button: 0, buttons: [], modifiers: [], ntouches: 0, touches: {}, ...extra };
}
function wheel(dx: number, dy: number, x = 1, y = 2, extra: Partial<WheelEvent> = {}): WheelEvent {
  return { type: 'wheel', timestamp: ++t, x, y, dx, dy, buttons: [], modifiers: [], ...extra };
}
function resize(pwidth: number, pheight: number, ratio = 1): CanvasEvent {
  return { type: 'resize', timestamp: ++t, pwidth, pheight, ratio, width: pwidth / ratio, height: pheight / ratio };
}

/** An emitter with a '*' handler recording every event it dispatches. */
function recording(): { em: EventEmitter; got: CanvasEvent[] } {
  const em = new EventEmitter();
  const got: CanvasEvent[] = [];
  em.add((e: CanvasEvent) => { got.push(e); }, ['*']);
  return { em, got };
}

const strip = (e: CanvasEvent) => {
  const { stopPropagation: _, ...rest } = e as CanvasEvent & { stopPropagation?: unknown };
  return rest;
};

describe('merging', () => {
  test('pointer_move with equal buttons, modifiers and ntouches: the latest wins', () => {
    const { em, got } = recording();
    em.submit(pointer('pointer_move', 1, 1));
    em.submit(pointer('pointer_move', 2, 2));
    const last = pointer('pointer_move', 3, 4);
    em.submit(last);
    expect(em.pending).toBe(1);
    em.flush();
    expect(got.map(strip)).toEqual([last]);
    expect(em.pending).toBe(0);
  });

  test('pointer_move with different buttons, modifiers or ntouches is not merged', () => {
    const { em, got } = recording();
    em.submit(pointer('pointer_move', 1, 1));
    em.submit(pointer('pointer_move', 2, 2, { buttons: [1] }));
    em.submit(pointer('pointer_move', 3, 3, { buttons: [1], modifiers: ['Shift'] }));
    em.submit(pointer('pointer_move', 4, 4, { buttons: [1], modifiers: ['Shift'], ntouches: 1 }));
    em.flush();
    expect(got.map((e) => (e as PointerEvent).x)).toEqual([1, 2, 3, 4]);
  });

  test('wheel: deltas are summed, the position is the latest; different modifiers are not merged', () => {
    const { em, got } = recording();
    em.submit(wheel(1, 10, 5, 5));
    em.submit(wheel(2, 20, 6, 7));
    em.submit(wheel(-0.5, 0.25, 8, 9));
    em.submit(wheel(100, 100, 0, 0, { modifiers: ['Control'] }));
    em.flush();
    expect(got).toHaveLength(2);
    const [a, b] = got as WheelEvent[];
    expect([a!.dx, a!.dy, a!.x, a!.y]).toEqual([2.5, 30.25, 8, 9]);
    expect([b!.dx, b!.dy, b!.modifiers]).toEqual([100, 100, ['Control']]);
  });

  test('mergeEvents checks its arguments: no events, or an unknown type, is an UnknownEventTypeError (a DawnRfbError)', () => {
    const call = mergeEvents as unknown as (...a: unknown[]) => unknown;
    expect(() => call()).toThrow(UnknownEventTypeError);
    expect(() => call()).toThrow(/mergeEvents\(last, next\): last must be an event object/);
    expect(() => call({ type: 'resize', timestamp: 0 }, { type: 'nope', timestamp: 0 })).toThrow(UnknownEventTypeError);
  });

  test('mergeEvents: resize latest wins; different types and unmergeable types give undefined', () => {
    const r1 = resize(10, 10);
    const r2 = resize(20, 30, 2);
    expect(mergeEvents(r1, r2)).toBe(r2);
    expect(mergeEvents(pointer('pointer_move', 1, 1), wheel(1, 1))).toBeUndefined();
    expect(mergeEvents(pointer('pointer_down', 1, 1), pointer('pointer_down', 2, 2))).toBeUndefined();
    expect(mergeEvents({ type: 'key_down', timestamp: 1, key: 'a', modifiers: [] }, { type: 'key_down', timestamp: 2, key: 'a', modifiers: [] })).toBeUndefined();
    const w = mergeEvents(wheel(1, 2), wheel(3, 4)) as WheelEvent;
    expect([w.dx, w.dy]).toEqual([4, 6]);
  });

  test('only adjacent events merge: order is otherwise preserved', () => {
    const { em, got } = recording();
    em.submit(pointer('pointer_down', 0, 0, { button: 1, buttons: [1] }));
    em.submit(pointer('pointer_move', 1, 1, { buttons: [1] }));
    em.submit(pointer('pointer_move', 2, 2, { buttons: [1] }));
    em.submit(pointer('pointer_up', 2, 2, { button: 1 }));
    em.submit(pointer('pointer_move', 3, 3));
    em.submit({ type: 'key_down', timestamp: ++t, key: 'x', modifiers: [] });
    em.submit(pointer('pointer_move', 4, 4));
    em.flush();
    expect(got.map((e) => e.type)).toEqual(['pointer_down', 'pointer_move', 'pointer_up', 'pointer_move', 'key_down', 'pointer_move']);
    expect((got[1] as PointerEvent).x).toBe(2);
  });

  test('a submitted event is copied: changing the caller\'s object afterwards has no effect', () => {
    const { em, got } = recording();
    const e = pointer('pointer_down', 5, 5);
    em.submit(e);
    e.x = 99;
    em.flush();
    expect((got[0] as PointerEvent).x).toBe(5);
  });
});

describe('handlers', () => {
  test("'*' handlers run after typed handlers, whatever the registration order", () => {
    const em = new EventEmitter();
    const calls: string[] = [];
    em.add(() => calls.push('star'), ['*']);
    em.add(() => calls.push('typed'), ['pointer_down']);
    em.emit(pointer('pointer_down', 0, 0));
    expect(calls).toEqual(['typed', 'star']);
    em.emit(pointer('pointer_up', 0, 0));
    expect(calls).toEqual(['typed', 'star', 'star']);
  });

  test('order: lower runs first, equal orders run in registration order', () => {
    const em = new EventEmitter();
    const calls: string[] = [];
    em.add(() => calls.push('a0'), ['key_down']);
    em.add(() => calls.push('b-5'), ['key_down'], -5);
    em.add(() => calls.push('c10'), ['key_down'], 10);
    em.add(() => calls.push('d0'), ['key_down']);
    em.emit({ type: 'key_down', timestamp: 0, key: 'k', modifiers: [] });
    expect(calls).toEqual(['b-5', 'a0', 'd0', 'c10']);
  });

  test('addEventHandlerWithOrder on a canvas orders handlers', async () => {
    const canvas = new OffscreenCanvas({ size: [4, 4] });
    const calls: string[] = [];
    canvas.addEventHandler(() => calls.push('default'), 'pointer_down');
    canvas.addEventHandlerWithOrder(() => calls.push('early'), -1, 'pointer_down');
    canvas.addEventHandlerWithOrder(() => calls.push('late'), 1, 'pointer_down');
    canvas.handleEvent(pointer('pointer_down', 1, 1));
    await settle();
    expect(calls).toEqual(['early', 'default', 'late']);
    canvas.close();
  });

  test('adding the same handler again replaces it (called once, with the new order)', () => {
    const em = new EventEmitter();
    const calls: string[] = [];
    const h = () => calls.push('h');
    em.add(h, ['pointer_down']);
    em.add(() => calls.push('other'), ['pointer_down']);
    em.add(h, ['pointer_down'], 5);
    em.emit(pointer('pointer_down', 0, 0));
    expect(calls).toEqual(['other', 'h']);
  });

  test('a handler registered for several types is called for each', () => {
    const em = new EventEmitter();
    const types: string[] = [];
    em.add((e: CanvasEvent) => types.push(e.type), ['pointer_down', 'pointer_up']);
    em.emit(pointer('pointer_down', 0, 0));
    em.emit(pointer('pointer_move', 0, 0));
    em.emit(pointer('pointer_up', 0, 0));
    expect(types).toEqual(['pointer_down', 'pointer_up']);
  });

  test('stopPropagation ends the chain, star handlers included', () => {
    const em = new EventEmitter();
    const calls: string[] = [];
    em.add(() => calls.push('first'), ['wheel'], -1);
    em.add((e: CanvasEvent & EventControl) => { calls.push('stopper'); e.stopPropagation(); }, ['wheel']);
    em.add(() => calls.push('after'), ['wheel'], 1);
    em.add(() => calls.push('star'), ['*']);
    em.emit(wheel(1, 1));
    expect(calls).toEqual(['first', 'stopper']);
    // The next event is not affected.
    em.emit(pointer('pointer_down', 0, 0));
    expect(calls).toEqual(['first', 'stopper', 'star']);
  });

  test('removeEventHandler for given types, and for all types', () => {
    const em = new EventEmitter();
    const types: string[] = [];
    const h = (e: CanvasEvent) => { types.push(e.type); };
    em.add(h, ['pointer_down', 'pointer_up', 'wheel']);
    em.remove(h, ['pointer_down']);
    em.emit(pointer('pointer_down', 0, 0));
    em.emit(pointer('pointer_up', 0, 0));
    expect(types).toEqual(['pointer_up']);
    em.add(h, ['*']);
    em.remove(h);
    em.emit(pointer('pointer_up', 0, 0));
    em.emit(wheel(1, 1));
    em.emit(pointer('pointer_down', 0, 0));
    expect(types).toEqual(['pointer_up']);
  });

  test('removeEventHandler on a canvas', async () => {
    const canvas = new OffscreenCanvas({ size: [4, 4] });
    let n = 0;
    const h = () => { n++; };
    canvas.addEventHandler(h, 'key_down', 'key_up');
    canvas.handleEvent({ type: 'key_down', timestamp: 0, key: 'a', modifiers: [] });
    await settle();
    canvas.removeEventHandler(h, 'key_down');
    canvas.handleEvent({ type: 'key_down', timestamp: 0, key: 'a', modifiers: [] });
    canvas.handleEvent({ type: 'key_up', timestamp: 0, key: 'a', modifiers: [] });
    await settle();
    expect(n).toBe(2);
    canvas.removeEventHandler(h);
    canvas.handleEvent({ type: 'key_up', timestamp: 0, key: 'a', modifiers: [] });
    await settle();
    expect(n).toBe(2);
    canvas.close();
  });

  test('unknown event types throw UnknownEventTypeError listing the valid types', () => {
    const em = new EventEmitter();
    const canvas = new OffscreenCanvas({ size: [4, 4] });
    const cases: (() => unknown)[] = [
      () => em.add(() => {}, ['pointer_click' as EventType]),
      () => canvas.addEventHandler(() => {}, 'pointer_click' as EventType),
      () => canvas.removeEventHandler(() => {}, 'pointer_click' as EventType),
      () => canvas.handleEvent({ type: 'pointer_click', timestamp: 0 } as unknown as CanvasEvent),
      () => canvas.handleEvent(undefined as unknown as CanvasEvent),
      () => em.submit({ type: '*', timestamp: 0 } as unknown as CanvasEvent),
    ];
    for (const fn of cases) {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(UnknownEventTypeError);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      for (const type of EVENT_TYPES) expect(e.message).toContain(type);
    }
    expect(thrown(cases[0]!).message).toContain('"pointer_click"');
    canvas.close();
  });

  test('registering with no types or a non-function throws', () => {
    const em = new EventEmitter();
    expect(() => em.add(() => {}, [])).toThrow(InvalidArgumentError);
    expect(() => em.add(42 as never, ['wheel'])).toThrow(InvalidArgumentError);
  });
});

describe('handler errors', () => {
  let restore: (() => void) | undefined;
  afterEach(() => { restore?.(); restore = undefined; });

  test('are reported (once per message) and do not stop the next handler', () => {
    const cap = captureReports();
    restore = cap.restore;
    const em = new EventEmitter();
    let after = 0;
    em.add(() => { throw new Error('handler boom 1'); }, ['focus_in']);
    em.add(() => { after++; }, ['focus_in']);
    em.emit({ type: 'focus_in', timestamp: 0 });
    em.emit({ type: 'focus_in', timestamp: 1 });
    expect(after).toBe(2);
    expect(cap.reports).toHaveLength(1);
    expect(cap.reports[0]![0]).toContain('focus_in');
    expect((cap.reports[0]![1] as Error).message).toBe('handler boom 1');
  });
});

describe('through a canvas', () => {
  test('handleEvent queues, merges and dispatches when the canvas is idle', async () => {
    const canvas = new OffscreenCanvas({ size: [4, 4] });
    const got: CanvasEvent[] = [];
    canvas.addEventHandler((e) => { got.push(e); }, 'pointer_move', 'pointer_down');
    canvas.handleEvent(pointer('pointer_down', 0, 0));
    canvas.handleEvent(pointer('pointer_move', 1, 1));
    canvas.handleEvent(pointer('pointer_move', 2, 2));
    expect(got).toEqual([]); // queued, not dispatched synchronously
    await settle();
    expect(got.map((e) => [e.type, (e as PointerEvent).x])).toEqual([['pointer_down', 0], ['pointer_move', 2]]);
    canvas.close();
  });

  test('a resize event through handleEvent resizes the canvas and is dispatched', async () => {
    const canvas = new OffscreenCanvas({ size: [4, 4], updateMode: 'manual' });
    const got: CanvasEvent[] = [];
    canvas.addEventHandler((e) => { got.push(e); }, 'resize');
    canvas.handleEvent(resize(10, 8, 2));
    expect(canvas.getPhysicalSize()).toEqual([10, 8]);
    expect(canvas.getPixelRatio()).toBe(2);
    expect(canvas.getLogicalSize()).toEqual([5, 4]);
    await settle();
    expect(got.map(strip)).toMatchObject([{ type: 'resize', pwidth: 10, pheight: 8, ratio: 2, width: 5, height: 4 }]);
    canvas.close();
  });

  test('events are flushed before the draw: the draw function sees a handler\'s state', async () => {
    const device = await getDefaultDevice();
    const canvas = new OffscreenCanvas({ size: [4, 4], updateMode: 'manual' });
    const context = canvas.getContext();
    context.configure({ device });
    let down = false;
    const seen: boolean[] = [];
    const order: string[] = [];
    canvas.addEventHandler(() => { down = true; order.push('pointer_down'); }, 'pointer_down');
    canvas.addEventHandler(() => { order.push('before_draw'); }, 'before_draw');
    canvas.requestDraw(() => {
      seen.push(down);
      order.push('draw');
      clearTexture(device, context.getCurrentTexture(), [0, 0, 0, 1]);
    });
    canvas.handleEvent(pointer('pointer_down', 1, 1));
    await canvas.draw(); // started synchronously, before any idle flush
    expect(seen).toEqual([true]);
    expect(order).toEqual(['pointer_down', 'before_draw', 'draw']);
    canvas.close();
  });

  test('after close(): handleEvent is ignored, and the close event was dispatched exactly once', async () => {
    const canvas = new OffscreenCanvas({ size: [4, 4] });
    const got: string[] = [];
    canvas.addEventHandler((e) => { got.push(e.type); }, '*');
    canvas.handleEvent(pointer('pointer_down', 0, 0));
    canvas.close(); // the queued pointer_down happened before: it is delivered first
    canvas.close();
    expect(canvas.isClosed()).toBe(true);
    canvas.handleEvent(pointer('pointer_up', 0, 0));
    canvas.handleEvent(resize(50, 50));
    await settle();
    expect(got).toEqual(['pointer_down', 'close']);
    expect(canvas.getPhysicalSize()).toEqual([4, 4]);
    // Unknown types are still rejected after close.
    expect(() => canvas.handleEvent({ type: 'nope', timestamp: 0 } as unknown as CanvasEvent)).toThrow(UnknownEventTypeError);
  });
});

describe('hidden views', () => {
  test('a resize event with a zero size means hidden: the size stays, nothing throws', () => {
    const canvas = new OffscreenCanvas({ size: [40, 30] });
    canvas.handleEvent({ type: 'resize', timestamp: 0, width: 0, height: 0, pwidth: 0, pheight: 0, ratio: 1 });
    expect(canvas.getPhysicalSize()).toEqual([40, 30]);
    canvas.handleEvent({ type: 'resize', timestamp: 0, width: 25, height: 10, pwidth: 50, pheight: 20, ratio: 2 });
    expect(canvas.getPhysicalSize()).toEqual([50, 20]);
    expect(canvas.getLogicalSize()).toEqual([25, 10]);
    canvas.close();
  });
});
