// Adversarial user code: a draw function that throws every frame, event handlers that throw or
// reject, a draw that never finishes (an async draw whose promise never settles) or rejects
// later. Each problem is reported once, the canvas keeps drawing once the code is fixed, and the
// server keeps serving every other canvas. An unhandled rejection would fail this file (vitest
// reports it) and would end a plain Node process.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, type CanvasEvent } from '../src/index.js';
import { makeBystander, type Bystander } from './helpers/adversarial.js';
import { captureReports, cleanup, frameWithColor, makeSolidCanvas, openView, sleep, until, type SolidCanvas, type ViewClient } from './helpers/remote.js';

let capture: ReturnType<typeof captureReports>;
let bystander: Bystander;
let s: SolidCanvas;
let view: ViewClient;

beforeEach(async () => {
  capture = captureReports();
  bystander = await makeBystander();
  s = await makeSolidCanvas({ size: [32, 24], losslessDelayMs: Infinity }, [255, 0, 0, 255]);
  view = await openView(s.canvas);
  await view.nextFrame();
});

afterEach(async () => {
  await bystander.expectFrames(2);
  capture.restore();
  cleanup();
});

/** Full reports (not the repeat-count notices) at `where`. */
const reportsAt = (where: string | RegExp): string[] =>
  capture.reports.filter((r) => r.repeats === undefined && (typeof where === 'string' ? r.where === where : where.test(r.where))).map((r) => r.message);
/** The repeat-count notices at `where`: counts only, a line at 10, 100, ... occurrences. */
const repeatsAt = (where: string): number[] =>
  capture.reports.filter((r) => r.repeats !== undefined && r.where === where).map((r) => r.repeats!);

/** Puts back a working draw function (the helper's clear) and checks a new colour arrives. */
async function fixedAndWorking(color: readonly [number, number, number, number]): Promise<void> {
  view.skipFrames();
  const device = s.device;
  const context = s.canvas.getContext();
  s.canvas.requestDraw(() => {
    const e = device.createCommandEncoder();
    e.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: { r: color[0] / 255, g: color[1] / 255, b: color[2] / 255, a: 1 } }] }).end();
    device.queue.submit([e.finish()]);
  });
  await frameWithColor(view, color);
}

describe('a draw function that throws every frame', () => {
  it('is reported once over many frames; the canvas recovers when it is fixed', async () => {
    s.canvas.setUpdateMode('continuous', { maxFps: 60 });
    let calls = 0;
    s.canvas.requestDraw(() => { calls++; throw new TypeError(`cannot read properties of undefined (frame ${calls > 0 ? 'n' : 0})`); });
    await until(() => calls >= 20, 10_000, '20 failing draws');
    // In full once; repeats only as a count at 10 (, 100, ...): a handful of lines, not one per frame.
    expect(reportsAt('draw function')).toEqual(['cannot read properties of undefined (frame n)']);
    expect(repeatsAt('draw function').every((n) => [10, 100, 1000].includes(n))).toBe(true);
    expect(capture.reports[0]!.error).toBeInstanceOf(TypeError);
    await bystander.expectFrames(3);
    await fixedAndWorking([0, 255, 0, 255]);
    expect(view.closed).toBeUndefined();
  });
});

describe('event handlers that throw or reject', () => {
  it('each is reported once; other handlers still get every event; frames continue', async () => {
    const seen: CanvasEvent[] = [];
    s.canvas.addEventHandler(() => { throw new Error('sync handler boom'); }, 'pointer_down');
    // (the sleep is the handler's, not a wait: it rejects after an await)
    s.canvas.addEventHandler(async () => { await sleep(1); throw new Error('async handler boom'); }, 'pointer_down');
    s.canvas.addEventHandler((e) => { seen.push(e); }, 'pointer_down');
    for (let i = 0; i < 20; i++) {
      view.event({ type: 'pointer_down', timestamp: i, x: i, y: 0, button: 1, buttons: [1], modifiers: [], touches: {} });
    }
    await until(() => seen.length === 20, 5000, 'all 20 events at the third handler');
    // The async handler's rejections come after an await: wait for the first to be reported.
    await until(() => reportsAt('event handler for "pointer_down"').includes('async handler boom'), 3000, 'the async handler\'s report');
    expect(reportsAt('event handler for "pointer_down"').sort()).toEqual(['async handler boom', 'sync handler boom']);
    await fixedAndWorking([0, 0, 255, 255]);
  });
});

describe('a draw that never finishes, or rejects later', () => {
  it('an async draw whose promise never settles: reported once as a misuse, nothing waits for it', async () => {
    s.canvas.setUpdateMode('continuous', { maxFps: 60 });
    let calls = 0;
    const device = s.device;
    const context = s.canvas.getContext();
    s.canvas.requestDraw((async () => {
      calls++;
      // renders synchronously (so frames still flow), then waits forever
      const e = device.createCommandEncoder();
      e.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [1, 1, 0, 1] }] }).end();
      device.queue.submit([e.finish()]);
      await new Promise(() => {});
    }) as unknown as () => void);
    await until(() => calls >= 10, 10_000, '10 draws');
    await frameWithColor(view, [255, 255, 0, 255]);
    const reports = capture.reports.filter((r) => r.where === 'draw function' && r.repeats === undefined);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.error).toBeInstanceOf(InvalidArgumentError);
    expect(reports[0]!.message).toMatch(/returned a promise.*render before returning/);
    await s.canvas.forceDraw(); // does not wait for the pending promises
    await fixedAndWorking([255, 0, 255, 255]);
  });

  it('an async draw that rejects after an await: the rejection is reported, not left unhandled', async () => {
    let calls = 0;
    s.canvas.requestDraw((async () => {
      calls++;
      await sleep(1); // the draw's, not a wait: it rejects after an await
      throw new RangeError('late failure in the draw function');
    }) as unknown as () => void);
    await until(() => calls >= 1);
    await until(() => reportsAt('draw function').includes('late failure in the draw function'), 3000, 'the late failure report');
    await fixedAndWorking([0, 255, 255, 255]);
  });

  it('a draw that blocks the event loop for a while: afterwards every view is served again', async () => {
    let first = true;
    s.canvas.requestDraw(() => {
      if (first) {
        first = false;
        const end = performance.now() + 300;
        while (performance.now() < end) { /* a slow draw */ }
      }
    });
    // The slow draw blocks the event loop: once this resumes after it, the block is over.
    await until(() => !first, 3000, 'the slow draw');
    await fixedAndWorking([128, 128, 128, 255]);
    await bystander.expectFrames(3);
  });
});
