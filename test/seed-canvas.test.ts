// The wgpu-py seed's canvas-side additions and semantics (issue 12), on the real software GPU:
// the context's present() for custom canvases, the canvas's view and its texture, readback
// buffers reused when frames shrink, opaque alpha, reporting of repeated errors, event checks
// and what close does.
import { afterEach, describe, expect, test } from 'vitest';
import {
  CanvasContext, DawnRfbError, getDefaultDevice, InvalidArgumentError, OffscreenCanvas, RemoteCanvas, reportError,
  requestDevice, textureViewSize, UnknownEventTypeError, viewTexture, type CanvasEvent,
} from '../src/index.js';
import { captureReports, clearTexture, expectUniform, settle, thrown, waitFor } from './helpers/gpu.js';

const DEFAULT_BACKEND = process.env.DAWN_RFB_BACKEND?.split(',')[0]?.trim() || 'vulkan';

let restore: (() => void) | undefined;
afterEach(() => { restore?.(); restore = undefined; });

describe("the context's present() (GPUCanvasContext.present)", () => {
  test('a custom canvas renders with its own CanvasContext and gets the pixels from present()', async () => {
    const device = await getDefaultDevice();
    let size: [number, number] = [5, 3];
    const context = new CanvasContext({ getPhysicalSize: () => size });
    context.configure({ device, format: 'rgba8unorm' });
    expect(context.present()).toBeUndefined(); // nothing rendered yet
    clearTexture(device, context.getCurrentTexture(), [0, 1, 0, 1]);
    const pixels = (await context.present())!;
    expect([pixels.width, pixels.height]).toEqual([5, 3]);
    expectUniform({ ...pixels, index: 1, timestamp: 0, pixelRatio: 1, alphaMode: 'opaque' }, [0, 255, 0, 255]);
    expect(context.present()).toBeUndefined(); // each frame is presented once
    size = [2, 2];
    clearTexture(device, context.getCurrentTexture(), [0, 0, 1, 1]);
    expect([...(await context.present())!.data]).toEqual([0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255]);
    for (const bad of [undefined, null, {}, { getPhysicalSize: 3 }]) {
      expect(thrown(() => new CanvasContext(bad as never))).toBeInstanceOf(InvalidArgumentError);
    }
  });

  test("the canvas's view knows its texture and size", async () => {
    const device = await getDefaultDevice();
    const canvas = new OffscreenCanvas({ size: [30, 20], pixelRatio: 2, updateMode: 'manual' });
    const context = canvas.getContext();
    context.configure({ device });
    let seen: { texture: boolean; size: number[] } | undefined;
    canvas.requestDraw(() => {
      const texture = context.getCurrentTexture();
      const view = texture.createView();
      seen = { texture: viewTexture(view) === texture, size: textureViewSize(view) };
      clearTexture(device, texture, [0, 0, 0, 1]);
    });
    await canvas.draw();
    expect(seen).toEqual({ texture: true, size: [60, 40, 1] });
    canvas.close();
  });
});

describe('readback', () => {
  test('the staging buffer is reused when the frame shrinks, not only at the same size', async () => {
    const device = await requestDevice({ backend: DEFAULT_BACKEND as never, label: 'readback reuse' });
    const created: number[] = [];
    const createBuffer = device.createBuffer.bind(device);
    device.createBuffer = (d: GPUBufferDescriptor) => {
      if (d.label === 'dawn-rfb readback staging') created.push(d.size);
      return createBuffer(d);
    };
    const canvas = new OffscreenCanvas({ size: [64, 64], updateMode: 'manual' });
    const context = canvas.getContext();
    context.configure({ device, format: 'rgba8unorm' });
    canvas.requestDraw(() => clearTexture(device, context.getCurrentTexture(), [1, 0, 0, 1]));
    await canvas.draw();
    canvas.setPhysicalSize(32, 16);
    expectUniform(await canvas.draw(), [255, 0, 0, 255]);
    canvas.setPhysicalSize(50, 7);
    expectUniform(await canvas.draw(), [255, 0, 0, 255]);
    expect(created).toEqual([256 * 64]); // one buffer: 64 rows of 256 bytes
    canvas.setPhysicalSize(128, 64); // larger: a new buffer
    await canvas.draw();
    expect(created).toEqual([256 * 64, 512 * 64]);
    canvas.close();
    device.destroy();
  });

  test("a context configured alphaMode 'opaque' gives alpha 255 in draw()'s pixels; premultiplied keeps it", async () => {
    const device = await getDefaultDevice();
    for (const [alphaMode, alpha] of [['opaque', 255], ['premultiplied', 128]] as const) {
      const canvas = new OffscreenCanvas({ size: [4, 4], updateMode: 'manual' });
      const context = canvas.getContext();
      context.configure({ device, format: 'rgba8unorm', alphaMode });
      canvas.requestDraw(() => clearTexture(device, context.getCurrentTexture(), [0.5, 0, 0, 0.5]));
      const frame = await canvas.draw();
      expect(frame.alphaMode).toBe(alphaMode);
      expectUniform(frame, [128, 0, 0, alpha]);
      canvas.close();
    }
  });
});

test("a draw on a destroyed device fails with an error that says the readback's map was aborted", async () => {
  const device = await requestDevice({ backend: DEFAULT_BACKEND as never, label: 'doomed canvas device' });
  const canvas = new OffscreenCanvas({ size: [4, 4], updateMode: 'manual' });
  const context = canvas.getContext();
  context.configure({ device });
  canvas.requestDraw(() => clearTexture(device, context.getCurrentTexture(), [1, 0, 0, 1]));
  device.destroy();
  const e = await canvas.draw().then(() => undefined, (x: unknown) => x as Error);
  expect(e).toBeInstanceOf(DawnRfbError);
  expect(e!.message).toMatch(/^canvas readback: mapping buffer "dawn-rfb readback staging" failed: \w+Error \(/);
  canvas.close();
});

describe('reporting of repeated errors', () => {
  test('the same draw error is printed once in full, then with a repeat count; a new canvas reports its own', async () => {
    const cap = captureReports();
    restore = cap.restore;
    const device = await getDefaultDevice();
    const make = (): OffscreenCanvas => {
      const canvas = new OffscreenCanvas({ size: [4, 4], updateMode: 'manual' });
      canvas.getContext().configure({ device });
      canvas.requestDraw(() => { throw new Error('seed draw boom'); });
      return canvas;
    };
    const first = make();
    for (let i = 0; i < 12; i++) await first.forceDraw();
    // The full report, then the count at 10.
    expect(cap.reports.map(([, , repeats]) => repeats)).toEqual([undefined, 10]);
    expect(cap.reports[0]![0]).toBe('draw function');
    expect((cap.reports[0]![1] as Error).message).toBe('seed draw boom');
    first.close(); // the repeats since: their final count
    expect(cap.reports.map(([, , repeats]) => repeats)).toEqual([undefined, 10, 12]);
    // A re-run cell makes a new canvas: the same error is reported in full again.
    const second = make();
    await second.forceDraw();
    expect(cap.reports.map(([, , repeats]) => repeats)).toEqual([undefined, 10, 12, undefined]);
    second.close();
    expect(cap.reports).toHaveLength(4); // no repeats: nothing more at close
  });

  test("a draw function that renders nothing (the README's template as is) is reported once, on console.error by default", async () => {
    const device = await getDefaultDevice();
    const lines: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => { lines.push(args.join(' ')); };
    const canvas = new OffscreenCanvas({ size: [4, 4], maxFps: 1000 });
    const remote = new RemoteCanvas({ size: [4, 4], updateMode: 'manual' });
    try {
      canvas.getContext().configure({ device });
      await canvas.forceDraw(); // no draw function yet: a canvas not drawn yet, nothing to report
      expect(lines).toEqual([]);
      const empty = (): void => { /* render into context.getCurrentTexture() */ };
      let draws = 0;
      canvas.addEventHandler(() => { draws++; }, 'before_draw');
      for (let i = 1; i <= 12; i++) {
        canvas.requestDraw(empty); // scheduled draws, as a live view's
        expect(await waitFor(() => draws >= i)).toBe(true);
      }
      await settle();
      await canvas.forceDraw();
      expect(lines).toHaveLength(1); // once, not once per frame nor at 10 repeats
      expect(lines[0]).toMatch(/^\[dawn-rfb\] draw function: CanvasStateError: the draw function rendered nothing, so no frame was shown: render into canvas\.getContext\(\)\.getCurrentTexture\(\)/);
      canvas.requestDraw(() => { /* another one that forgot to render */ });
      await waitFor(() => lines.length === 2);
      // A RemoteCanvas (whose view would stay empty) says the same.
      remote.getContext().configure({ device });
      remote.requestDraw(empty);
      await remote.forceDraw();
      await remote.forceDraw();
      expect(lines).toHaveLength(3);
      expect(lines[2]).toContain('the draw function rendered nothing');
    } finally {
      console.error = error;
      canvas.close();
      remote.close();
    }
  });

  test('the default reporter prints a repeat as one short line with the count', () => {
    const lines: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => { lines.push(args.join(' ')); };
    try {
      const scope = {};
      for (let i = 0; i < 10; i++) reportError('seed place', new Error('seed repeated'), scope);
    } finally {
      console.error = error;
    }
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[dawn-rfb\] seed place: Error: seed repeated\n\s+at /);
    expect(lines[1]).toBe('[dawn-rfb] seed place: the same error again, 10 times in all: Error: seed repeated');
  });
});

describe('events', () => {
  const move = { type: 'pointer_move', timestamp: 1, x: 1, y: 2, button: 0, buttons: [], modifiers: [], ntouches: 0, touches: {} } as const;

  test('handleEvent checks fields: a field-less pointer_move is a clear InvalidArgumentError', () => {
    const canvas = new OffscreenCanvas({ size: [4, 4] });
    canvas.handleEvent({ ...move, buttons: [], modifiers: [] }); // queued: the next move would merge into it
    const e = thrown(() => canvas.handleEvent({ type: 'pointer_move', timestamp: 2 } as CanvasEvent));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('bad "pointer_move" event');
    for (const field of ['"x"', '"y"', '"buttons"', '"modifiers"', '"ntouches"']) expect(e.message).toContain(field);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...move, modifiers: ['Hyper'] }, '"modifiers" must be an array of "Alt", "Control", "Meta", "Shift"'],
      [{ ...move, x: Number.NaN }, '"x" must be a finite number'],
      [{ type: 'wheel', timestamp: 0, x: 0, y: 0, dx: '1', dy: 0, buttons: [], modifiers: [] }, '"dx" must be a finite number, got "1"'],
      [{ type: 'key_down', timestamp: 0, modifiers: [] }, '"key" must be a string'],
      [{ type: 'char', timestamp: 0, data: 'a', is_composing: 0, input_type: '' }, '"is_composing" must be a boolean'],
      [{ type: 'resize', timestamp: 0, width: 1, height: 1, pwidth: 1.5, pheight: 1, ratio: 1 }, '"pwidth" must be an integer'],
      [{ type: 'focus_in' }, '"timestamp" must be a finite number'],
    ];
    for (const [event, message] of cases) {
      const err = thrown(() => canvas.handleEvent(event as unknown as CanvasEvent));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toContain(message);
    }
    expect(thrown(() => canvas.handleEvent(null as never))).toBeInstanceOf(UnknownEventTypeError);
    canvas.close();
  });

  test('addEventHandler and removeEventHandler misuse throws DawnRfbErrors', () => {
    const canvas = new OffscreenCanvas({ size: [4, 4] });
    const calls = [
      () => canvas.addEventHandler(42 as never, 'wheel'),
      () => canvas.addEventHandler(() => {}),
      () => canvas.addEventHandler(() => {}, 'wheeel' as never),
      () => canvas.addEventHandlerWithOrder(() => {}, Number.NaN, 'wheel'),
      () => canvas.removeEventHandler(undefined as never),
    ];
    for (const call of calls) {
      const e = thrown(call);
      expect(e).toBeInstanceOf(DawnRfbError);
      expect(e.message.length).toBeGreaterThan(20);
    }
    canvas.close();
  });

  test('a close event from a view closes the canvas; queued events come first; close is emitted once', async () => {
    const canvas = new OffscreenCanvas({ size: [4, 4] });
    const got: string[] = [];
    canvas.addEventHandler((e) => {
      got.push(e.type);
      if (e.type === 'close') canvas.close(); // a handler closing again changes nothing
    }, '*');
    canvas.handleEvent({ type: 'key_down', timestamp: 1, key: 'a', modifiers: [] });
    canvas.handleEvent({ type: 'close', timestamp: 2 });
    expect(canvas.isClosed()).toBe(true);
    canvas.handleEvent({ type: 'close', timestamp: 3 });
    canvas.handleEvent({ type: 'key_up', timestamp: 4, key: 'a', modifiers: [] });
    canvas.close();
    await settle();
    expect(got).toEqual(['key_down', 'close']);
  });
});
