// Per-view backpressure: drawing waits while every view is maxBufferedFrames behind, resumes on
// acknowledgement, and a slow view never holds back a fast one (it gets the newest frame).
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, expectSolid, makeSolidCanvas, openView, sleep, type RGBA } from './helpers/remote.js';

const TOL = 12;

afterEach(cleanup);

/** A distinct colour per number (channels at least 40 apart between neighbours). */
function colorOf(n: number): RGBA {
  return [(n * 40) % 256, (255 - n * 40 + 2560) % 256, (n * 90) % 256, 255];
}

describe('backpressure', () => {
  it('drawing waits after maxBufferedFrames unacknowledged frames and resumes on ack', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'continuous', maxFps: 60, maxBufferedFrames: 2, losslessDelayMs: Infinity });
    const view = await openView(s.canvas, { autoAck: false });
    await sleep(500);
    expect(view.frames.map((f) => f.header.index)).toEqual([1, 2]);
    expect(s.calls).toBe(2); // drawing waited, not just sending
    view.ack(1);
    await sleep(300);
    expect(view.frames.map((f) => f.header.index)).toEqual([1, 2, 3]);
    expect(s.calls).toBe(3);
    view.ack(3); // settles 2 and 3
    await sleep(300);
    expect(view.frames.map((f) => f.header.index)).toEqual([1, 2, 3, 4, 5]);
    expect(s.canvas.stats().views[0]).toMatchObject({ framesSent: 5, framesAcked: 2 });
  });

  it('a draw requested during backpressure is not lost', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], maxBufferedFrames: 2, losslessDelayMs: Infinity }, [255, 0, 0, 255]);
    const view = await openView(s.canvas, { autoAck: false });
    await view.nextFrame();
    s.setColor([0, 255, 0, 255]);
    await expectSolid((await view.nextFrame()).image, [0, 255, 0], TOL);
    s.setColor([0, 0, 255, 255]);
    await sleep(300);
    expect(view.frames).toHaveLength(2);
    view.ack(1);
    const f = await view.nextFrame();
    expect(f.header.index).toBe(3);
    await expectSolid(f.image, [0, 0, 255], TOL);
  });

  it('a slow view does not hold back a fast one, and then gets the newest frame', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'continuous', maxFps: 30, maxBufferedFrames: 2, losslessDelayMs: Infinity });
    let n = 0;
    s.canvas.addEventHandler(() => { s.color = colorOf(++n); }, 'before_draw');
    const slow = await openView(s.canvas, { autoAck: false });
    const fast = await openView(s.canvas);
    await sleep(1000);
    expect(fast.frames.length).toBeGreaterThanOrEqual(8);
    expect(slow.frames).toHaveLength(2);
    s.canvas.setUpdateMode('manual');
    await sleep(200); // a draw in flight finishes
    const stats = s.canvas.stats();
    const newest = stats.framesSent;
    expect(fast.lastFrame()!.header.index).toBe(newest);
    const slowStats = stats.views.find((v) => v.id === slow.hello!.viewId)!;
    expect(slowStats.framesSent).toBe(2);
    expect(slowStats.framesDropped).toBeGreaterThan(0);
    slow.ack(slow.frames[1]!.header.index);
    await slow.waitFor(() => slow.frames.length === 3);
    const f = slow.frames[2]!;
    expect(f.header.index).toBe(newest);
    await expectSolid(f.image, s.drawn[s.drawn.length - 1]!, TOL);
    await sleep(100);
    expect(slow.frames).toHaveLength(3); // the newest only, not the backlog
  });

  it('the lossless re-send waits for room too, then comes as the next frame', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], maxBufferedFrames: 2 }, [30, 60, 90, 255]);
    const view = await openView(s.canvas, { autoAck: false });
    await view.nextFrame();
    s.setColor([120, 60, 30, 255]);
    await view.nextFrame();
    await sleep(600); // past losslessDelayMs: the PNG is waiting for room
    expect(view.frames.map((f) => f.header.mimeType)).toEqual(['image/jpeg', 'image/jpeg']);
    view.ack(2);
    const png = await view.nextFrame();
    expect(png.header).toMatchObject({ index: 3, mimeType: 'image/png', lossless: true });
    await expectSolid(png.image, [120, 60, 30], 0);
  });

  it('nothing is drawn while no view is connected; drawing starts when one connects', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'continuous', maxFps: 60 });
    await sleep(300);
    expect(s.calls).toBe(0);
    expect(s.canvas.drawCount).toBe(0);
    const view = await openView(s.canvas);
    const f = await view.nextFrame();
    expect(f.header.index).toBe(1);
    expect(s.calls).toBeGreaterThan(0);
  });

  it('drawing stops again when the last view disconnects', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'continuous', maxFps: 60 });
    const view = await openView(s.canvas);
    await view.waitFor(() => view.frames.length >= 3);
    view.close();
    await view.waitFor(() => s.canvas.viewCount === 0);
    await sleep(50);
    const calls = s.calls;
    await sleep(300);
    expect(s.calls).toBe(calls);
  });
});
