// When canvases draw: update modes, pacing, size changes. Rate checks use wide tolerances (the
// suite runs two files at once on two cores). A rate is counted over a time span (those waits
// say so); that nothing more was drawn is asserted after the scheduler's fence, drawDecided().
import { afterEach, describe, expect, test } from 'vitest';
import { OffscreenCanvas, UPDATE_MODES, type CanvasEvent } from '../src/index.js';
import { captureReports, drawDecided, makeClearCanvas, settle, sleep, until, waitFor, type ClearCanvas } from './helpers/gpu.js';

const open: OffscreenCanvas[] = [];
afterEach(() => { for (const c of open.splice(0)) c.close(); });

async function canvasIn(options: ConstructorParameters<typeof OffscreenCanvas>[0]): Promise<ClearCanvas> {
  const c = await makeClearCanvas([32, 32], [0, 0, 0, 1], 'rgba8unorm', options);
  open.push(c.canvas);
  return c;
}

/** Draw-function calls during `ms` milliseconds (for rates: the rule is about time). */
async function callsDuring(c: ClearCanvas, ms: number): Promise<number> {
  const before = c.calls;
  await sleep(ms); // the rule is about time: a rate is draws per time span
  return c.calls - before;
}

describe('manual', () => {
  test('requestDraw does not draw; forceDraw draws once', async () => {
    const c = await canvasIn({ updateMode: 'manual' });
    for (let i = 0; i < 5; i++) c.canvas.requestDraw();
    await drawDecided(c.canvas);
    expect(c.calls).toBe(0);
    expect(c.canvas.drawCount).toBe(0);
    await c.canvas.forceDraw();
    expect(c.calls).toBe(1);
    expect(c.canvas.getLastFrame()!.index).toBe(1);
    await drawDecided(c.canvas);
    expect(c.calls).toBe(1);
  });

  test('a size change draws exactly once, at the new size, after one resize event', async () => {
    const c = await canvasIn({ updateMode: 'manual' });
    const log: string[] = [];
    const resizes: CanvasEvent[] = [];
    c.canvas.addEventHandler((e) => { resizes.push(e); log.push('resize'); }, 'resize');
    c.canvas.addEventHandler(() => { log.push('before_draw'); }, 'before_draw');
    c.canvas.setPhysicalSize(40, 24);
    c.canvas.setPhysicalSize(40, 24); // no change: no second event or draw
    expect(await waitFor(() => c.calls > 0)).toBe(true);
    await drawDecided(c.canvas);
    expect(c.calls).toBe(1);
    expect(c.sizes).toEqual([[40, 24]]);
    const frame = c.canvas.getLastFrame()!;
    expect([frame.width, frame.height]).toEqual([40, 24]);
    expect(resizes).toHaveLength(1);
    expect(resizes[0]).toMatchObject({ type: 'resize', pwidth: 40, pheight: 24, width: 40, height: 24, ratio: 1 });
    expect(log).toEqual(['resize', 'before_draw']);
  });

  test('a pixel ratio change is a size change too', async () => {
    const c = await canvasIn({ updateMode: 'manual' });
    const resizes: CanvasEvent[] = [];
    c.canvas.addEventHandler((e) => { resizes.push(e); }, 'resize');
    c.canvas.setPixelRatio(2);
    expect(await waitFor(() => c.canvas.getLastFrame() !== undefined)).toBe(true);
    expect(c.calls).toBe(1);
    expect(c.canvas.getLogicalSize()).toEqual([16, 16]);
    expect(resizes).toMatchObject([{ pwidth: 32, pheight: 32, width: 16, height: 16, ratio: 2 }]);
    expect(c.canvas.getLastFrame()!.pixelRatio).toBe(2);
  });
});

describe('ondemand', () => {
  test('many requests in one tick give exactly one draw; a later request gives another', async () => {
    // maxFps Infinity: no frame interval, so drawDecided() is exact (a second draw would start in
    // the tick it waits for).
    const c = await canvasIn({ updateMode: 'ondemand', maxFps: Infinity });
    expect(await waitFor(() => c.calls === 1)).toBe(true); // requestDraw(fn) in the helper
    await drawDecided(c.canvas);
    expect(c.calls).toBe(1);
    for (let i = 0; i < 10; i++) c.canvas.requestDraw();
    await until(() => c.calls === 2, 3000, 'the second draw');
    await drawDecided(c.canvas);
    expect(c.calls).toBe(2);
    c.canvas.requestDraw();
    expect(await waitFor(() => c.calls === 3, 1000)).toBe(true);
    await drawDecided(c.canvas);
    expect(c.calls).toBe(3);
  });

  test('requests are paced by maxFps', async () => {
    const c = await canvasIn({ updateMode: 'ondemand', maxFps: 10 });
    const end = performance.now() + 500;
    while (performance.now() < end) {
      c.canvas.requestDraw();
      await sleep(5); // the rule is about time: requests every 5 ms for 0.5 s, against a 10 fps cap
    }
    // 10 fps for 0.5 s: about 5 draws (the first immediately).
    expect(c.calls).toBeGreaterThanOrEqual(3);
    expect(c.calls).toBeLessThanOrEqual(7);
  });

  test('minFps 5 draws about 5 times a second without requests', async () => {
    const c = await canvasIn({ updateMode: 'ondemand', minFps: 5 });
    const n = await callsDuring(c, 1000);
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThanOrEqual(8);
  });

  test('an idle canvas holds no timer; a minFps heartbeat does', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
    const before = timers();
    const c = await canvasIn({ updateMode: 'ondemand' });
    expect(await waitFor(() => c.calls === 1)).toBe(true);
    // Dawn's own short-lived timers after a readback go; then the process holds what it held before.
    await until(() => timers() <= before, 3000, 'the timers of before the canvas');
    const idle = timers();
    c.canvas.setUpdateMode('ondemand', { minFps: 1 });
    await settle(5);
    expect(timers()).toBe(idle + 1);
    c.canvas.setUpdateMode('ondemand', { minFps: 0 });
    // The heartbeat timer is dropped when minFps goes back to 0 (its tick finds nothing to do).
    await drawDecided(c.canvas);
    expect(timers()).toBeLessThanOrEqual(idle);
  });
});

describe('continuous and fastest', () => {
  test('continuous at maxFps 20 draws without requests, never sooner than 50 ms apart; close() stops it', async () => {
    const c = await canvasIn({ updateMode: 'continuous', maxFps: 20 });
    const from = c.times.length;
    const t0 = performance.now();
    const n = await callsDuring(c, 1000);
    const elapsed = performance.now() - t0;
    // At most 20 a second, however fast the machine; at least a few, however loaded (a loaded
    // run drew 11 in its second: the cap is what a slow machine cannot break). The draw function
    // runs synchronously at the scheduler's draw start, so its calls are the starts it spaces.
    expect(n).toBeGreaterThanOrEqual(4);
    expect(n).toBeLessThanOrEqual(Math.floor(elapsed / 50) + 1);
    const gaps = c.times.slice(from + 1).map((t, i) => t - c.times[from + i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(45); // a GC pause between start and call aside
    c.canvas.close();
    await settle();
    const after = c.calls;
    // the rule is about time: a closed canvas takes no events (no fence), and at 20 fps a draw
    // that close() did not stop would start within 50 ms
    await sleep(200);
    expect(c.calls).toBe(after);
  });

  test('fastest draws much more often than continuous at 10 fps', async () => {
    // Counted per draw, not per time span: a loaded CI run drew only 4 fastest frames in 300 ms
    // (software GPU, two test files at once), so a count over a fixed span said more about the
    // machine than about the mode. What the mode promises: no wait between frames, so its
    // shortest gap between draw starts is one frame's time, far under continuous's 100 ms.
    const slow = await canvasIn({ updateMode: 'continuous', maxFps: 10 });
    await until(() => slow.calls >= 4, 10_000, '4 draws at 10 fps');
    slow.canvas.close();
    const fast = await canvasIn({ updateMode: 'fastest' });
    await until(() => fast.calls >= 12, 10_000, '12 fastest draws');
    fast.canvas.close();
    const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps(slow.times))).toBeGreaterThanOrEqual(95);
    expect(Math.min(...gaps(fast.times))).toBeLessThan(50);
  });
});

describe('setUpdateMode', () => {
  test('switches modes; unspecified rates keep their values', async () => {
    const c = await canvasIn({ updateMode: 'manual', maxFps: 25 });
    expect(c.canvas.getUpdateMode()).toEqual({ updateMode: 'manual', minFps: 0, maxFps: 25 });
    await drawDecided(c.canvas);
    expect(c.calls).toBe(0);

    c.canvas.setUpdateMode('continuous');
    expect(c.canvas.getUpdateMode()).toEqual({ updateMode: 'continuous', minFps: 0, maxFps: 25 });
    await until(() => c.calls >= 3, 3000, 'three continuous draws');

    c.canvas.setUpdateMode('manual');
    await drawDecided(c.canvas); // a draw in flight has ended
    const calls = c.calls;
    await drawDecided(c.canvas);
    expect(c.calls).toBe(calls);

    c.canvas.setUpdateMode('ondemand', { maxFps: 50 });
    expect(c.canvas.getUpdateMode()).toEqual({ updateMode: 'ondemand', minFps: 0, maxFps: 50 });
    c.canvas.requestDraw();
    expect(await waitFor(() => c.calls > 0, 1000)).toBe(true);
    expect(UPDATE_MODES).toEqual(['ondemand', 'continuous', 'fastest', 'manual']);
  });
});

describe('errors in scheduled draws', () => {
  test('are reported once per message and do not stop the loop', async () => {
    const cap = captureReports();
    try {
      const c = await canvasIn({ updateMode: 'continuous', maxFps: 50 });
      let calls = 0;
      c.canvas.requestDraw(() => { calls++; throw new Error('scheduled draw boom'); });
      expect(await waitFor(() => calls >= 4)).toBe(true);
      const mine = cap.reports.filter(([, e]) => (e as Error).message === 'scheduled draw boom');
      expect(mine).toHaveLength(1);
      expect(mine[0]![0]).toBe('draw function');
    } finally {
      cap.restore();
    }
  });
});
