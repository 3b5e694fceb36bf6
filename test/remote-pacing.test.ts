// Frames paced to the display: a view reports its display's refresh rate, and the canvas draws no
// more often than its fastest visible view can show, in fastest mode and under a maxFps above the
// display rate. A real RemoteCanvas (Dawn on lavapipe) and a real websocket client; the rate is a
// count over a window with generous bounds (the machine may be loaded: only the ceiling is tight).
// Also: per-view stats count shown frames (skipped acks are not shown) and drawn ones apart.
import { afterEach, describe, expect, it } from 'vitest';
import { STALLED_AFTER_MS } from '../src/remote/transport/view.js';
import { cleanup, makeSolidCanvas, openView, sleep, until, type SolidCanvas } from './helpers/remote.js';

afterEach(cleanup);

/**
 * Draws the canvas completes over `ms`, once `ready` holds (the canvas knows what sets the new
 * pace: a display rate, a view shown or hidden) and the draw in flight under the old pace ended.
 */
async function drawsOver(s: SolidCanvas, ms: number, ready: () => boolean = () => true): Promise<number> {
  await until(ready, 3000, 'the canvas to know the new pace');
  const start = s.canvas.drawCount;
  await until(() => s.canvas.drawCount > start, 3000, 'a draw under the new pace');
  const before = s.canvas.drawCount;
  await sleep(ms); // the rule is about time: a rate is draws per time span
  return s.canvas.drawCount - before;
}

/** Whether the canvas has the display rate `hz` for the view with this hello. */
const hasRate = (s: SolidCanvas, view: { hello?: { viewId: string } }, hz: number) => (): boolean =>
  s.canvas.stats().views.find((v) => v.id === view.hello!.viewId)?.displayHz === hz;

describe('pacing to the display', () => {
  it('fastest mode draws about 30 frames a second for a view that reports a 30 Hz display', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'fastest', losslessDelayMs: Infinity });
    const view = await openView(s.canvas, { size: { width: 64, height: 48 } });
    // Unpaced first: a tiny canvas draws far faster than 30 a second (what the cap removes).
    expect(await drawsOver(s, 1000)).toBeGreaterThan(45);
    view.send({ type: 'display', hz: 30 });
    const paced = await drawsOver(s, 2000, hasRate(s, view, 30));
    expect(paced).toBeLessThanOrEqual(66); // 30 a second, plus timer jitter
    expect(paced).toBeGreaterThanOrEqual(20); // still drawing (a loaded machine may fall short)
    const stats = s.canvas.stats().views[0]!;
    expect(stats.displayHz).toBe(30);
    expect(stats.drawnFps).toBeLessThanOrEqual(33);
    expect(stats.fps).toBeLessThanOrEqual(stats.drawnFps);
  });

  it('the fastest visible view sets the pace; one that has not reported lifts it; maxFps above the display is capped', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'continuous', maxFps: 200, losslessDelayMs: Infinity });
    const slow = await openView(s.canvas, { size: { width: 64, height: 48 } });
    slow.send({ type: 'display', hz: 20 });
    expect(await drawsOver(s, 1000, hasRate(s, slow, 20))).toBeLessThanOrEqual(23);
    const fast = await openView(s.canvas, { size: { width: 64, height: 48 } });
    const fastStats = () => s.canvas.stats().views.find((v) => v.id === fast.hello!.viewId);
    // its display may be faster than 20 Hz
    expect(await drawsOver(s, 1000, () => fastStats()?.visible === true)).toBeGreaterThan(30);
    fast.send({ type: 'display', hz: 40 });
    expect(await drawsOver(s, 1000, hasRate(s, fast, 40))).toBeLessThanOrEqual(44);
    fast.resize(0, 0); // hidden: only the visible view counts
    expect(await drawsOver(s, 1000, () => fastStats()?.visible === false)).toBeLessThanOrEqual(23);
  });
});

describe('pacing and stalled views', () => {
  it('a view that never acknowledged a frame (it shows nothing) does not lift the pace', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'fastest', losslessDelayMs: Infinity });
    const live = await openView(s.canvas, { size: { width: 64, height: 48 } });
    live.send({ type: 'display', hz: 20 });
    const stalled = await openView(s.canvas, { autoAck: false, size: { width: 64, height: 48 } }); // reports no rate, acks nothing
    await stalled.waitFor(() => stalled.frames.length > 0, 3000, 'its first frame');
    // the rule is about time: it counts as stalled STALLED_AFTER_MS after its first frame went out
    await sleep(STALLED_AFTER_MS + 100);
    expect(await drawsOver(s, 1000, hasRate(s, live, 20))).toBeLessThanOrEqual(23);
  });
});

describe('per-view stats', () => {
  it('count shown frames (acknowledged as drawn) apart from skipped and drawn ones', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], maxBufferedFrames: 2, losslessDelayMs: Infinity });
    const view = await openView(s.canvas, { autoAck: false, size: { width: 64, height: 48 } });
    await view.waitFor(() => view.frames.length >= 1);
    s.setColor([0, 255, 0, 255]);
    await view.waitFor(() => view.frames.length >= 2);
    view.send({ type: 'ack', index: view.frames[0]!.header.index, skipped: true });
    view.ack(view.frames[1]!.header.index);
    await view.waitFor(() => s.canvas.stats().views[0]!.framesAcked === 2);
    const stats = s.canvas.stats().views[0]!;
    expect(stats).toMatchObject({ framesAcked: 2, framesShown: 1, fps: 1 });
    expect(stats.drawnFps).toBeGreaterThanOrEqual(2);
    expect(stats.displayHz).toBeUndefined();
  });
});
