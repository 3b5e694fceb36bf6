// Frames paced to the display: a view reports its display's refresh rate, and the canvas draws no
// more often than its fastest visible view can show, in fastest mode and under a maxFps above the
// display rate. A real RemoteCanvas (Dawn on lavapipe) and a real websocket client; the rate is a
// count over a window with generous bounds (the machine may be loaded: only the ceiling is tight).
// Also: per-view stats count shown frames (skipped acks are not shown) and drawn ones apart.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, makeSolidCanvas, openView, sleep, type SolidCanvas } from './helpers/remote.js';

afterEach(cleanup);

/** Draws the canvas completes over `ms`, after `settleMs` for a new rate to take hold. */
async function drawsOver(s: SolidCanvas, ms: number, settleMs = 300): Promise<number> {
  await sleep(settleMs);
  const before = s.canvas.drawCount;
  await sleep(ms);
  return s.canvas.drawCount - before;
}

describe('pacing to the display', () => {
  it('fastest mode draws about 30 frames a second for a view that reports a 30 Hz display', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'fastest', losslessDelayMs: Infinity });
    const view = await openView(s.canvas, { size: { width: 64, height: 48 } });
    // Unpaced first: a tiny canvas draws far faster than 30 a second (what the cap removes).
    expect(await drawsOver(s, 1000)).toBeGreaterThan(45);
    view.send({ type: 'display', hz: 30 });
    const paced = await drawsOver(s, 2000);
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
    expect(await drawsOver(s, 1000)).toBeLessThanOrEqual(23);
    const fast = await openView(s.canvas, { size: { width: 64, height: 48 } });
    expect(await drawsOver(s, 1000)).toBeGreaterThan(30); // its display may be faster than 20 Hz
    fast.send({ type: 'display', hz: 40 });
    expect(await drawsOver(s, 1000)).toBeLessThanOrEqual(44);
    fast.resize(0, 0); // hidden: only the visible view counts
    expect(await drawsOver(s, 1000)).toBeLessThanOrEqual(23);
  });
});

describe('pacing and stalled views', () => {
  it('a view that never acknowledged a frame (it shows nothing) does not lift the pace', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'fastest', losslessDelayMs: Infinity });
    const live = await openView(s.canvas, { size: { width: 64, height: 48 } });
    live.send({ type: 'display', hz: 20 });
    await openView(s.canvas, { autoAck: false, size: { width: 64, height: 48 } }); // reports no rate, acks nothing
    await sleep(2200); // it counts as stalled 2 s after its first frame went out
    expect(await drawsOver(s, 1000)).toBeLessThanOrEqual(23);
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
