// Per-view backpressure: drawing waits while every view is maxBufferedFrames behind, resumes on
// acknowledgement, and a slow view never holds back a fast one (it gets the newest frame).
// That nothing more was drawn or sent is asserted after a fence (drawDecided in helpers/common.ts),
// not after a sleep.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, drawDecided, expectSolid, makeSolidCanvas, openView, until, type RGBA } from './helpers/remote.js';

const TOL = 12;

afterEach(cleanup);

/** A distinct colour per number (channels at least 40 apart between neighbours). */
function colorOf(n: number): RGBA {
  return [(n * 40) % 256, (255 - n * 40 + 2560) % 256, (n * 90) % 256, 255];
}

describe('backpressure', () => {
  it('drawing waits after maxBufferedFrames unacknowledged frames and resumes on ack', async () => {
    // maxFps Infinity: no frame interval, so drawDecided() is exact (see there).
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'continuous', maxFps: Infinity, maxBufferedFrames: 2, losslessDelayMs: Infinity });
    const view = await openView(s.canvas, { autoAck: false });
    await view.waitFor(() => view.frames.length === 2);
    await drawDecided(s.canvas);
    expect(view.frames.map((f) => f.header.index)).toEqual([1, 2]);
    expect(s.calls).toBe(2); // drawing waited, not just sending
    expect(s.canvas.stats().framesSent).toBe(2);
    view.ack(1);
    await view.waitFor(() => view.frames.length === 3);
    await drawDecided(s.canvas);
    expect(view.frames.map((f) => f.header.index)).toEqual([1, 2, 3]);
    expect(s.calls).toBe(3);
    view.ack(3); // settles 2 and 3
    await view.waitFor(() => view.frames.length === 5);
    await drawDecided(s.canvas);
    expect(view.frames.map((f) => f.header.index)).toEqual([1, 2, 3, 4, 5]);
    expect(s.calls).toBe(5);
    expect(s.canvas.stats().views[0]).toMatchObject({ framesSent: 5, framesAcked: 2 });
  });

  it('a draw requested during backpressure is not lost', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], maxFps: Infinity, maxBufferedFrames: 2, losslessDelayMs: Infinity }, [255, 0, 0, 255]);
    const view = await openView(s.canvas, { autoAck: false });
    await view.nextFrame();
    s.setColor([0, 255, 0, 255]);
    await expectSolid((await view.nextFrame()).image, [0, 255, 0], TOL);
    s.setColor([0, 0, 255, 255]);
    await drawDecided(s.canvas);
    expect(s.calls).toBe(2);
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
    await fast.waitFor(() => fast.frames.length >= 8, 5000, '8 frames on the fast view');
    await slow.waitFor(() => slow.frames.length === 2);
    s.canvas.setUpdateMode('manual');
    await drawDecided(s.canvas); // a draw in flight has ended
    const stats = s.canvas.stats();
    const newest = stats.framesSent;
    await fast.waitFor(() => fast.lastFrame()!.header.index === newest, 3000, `frame ${newest} on the fast view`);
    const slowStats = stats.views.find((v) => v.id === slow.hello!.viewId)!;
    expect(slowStats.framesSent).toBe(2);
    expect(slowStats.framesDropped).toBeGreaterThan(0);
    slow.ack(slow.frames[1]!.header.index);
    await slow.waitFor(() => slow.frames.length === 3);
    const f = slow.frames[2]!;
    expect(f.header.index).toBe(newest);
    await expectSolid(f.image, s.drawn[s.drawn.length - 1]!, TOL);
    // The ack sends what is waiting at once: had a backlog been kept, it would have gone with frame 3.
    expect(s.canvas.stats().views.find((v) => v.id === slow.hello!.viewId)!.framesSent).toBe(3); // the newest only
  });

  it('the lossless re-send waits for room too, then comes as the next frame', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], maxBufferedFrames: 2 }, [30, 60, 90, 255]);
    const view = await openView(s.canvas, { autoAck: false });
    await view.nextFrame();
    s.setColor([120, 60, 30, 255]);
    await view.nextFrame();
    // Past losslessDelayMs the PNG is made (message 3) and waits for room: the view got 2.
    await until(() => s.canvas.stats().framesSent === 3, 5000, 'the lossless re-send to be made');
    expect(s.canvas.stats().views[0]!.framesSent).toBe(2);
    expect(view.frames.map((f) => f.header.mimeType)).toEqual(['image/jpeg', 'image/jpeg']);
    view.ack(2);
    const png = await view.nextFrame();
    expect(png.header).toMatchObject({ index: 3, mimeType: 'image/png', lossless: true });
    await expectSolid(png.image, [120, 60, 30], 0);
  });

  it('nothing is drawn while no view is connected; drawing starts when one connects', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'continuous', maxFps: 60 });
    await drawDecided(s.canvas); // never drawn: no frame interval to wait out
    expect(s.calls).toBe(0);
    expect(s.canvas.drawCount).toBe(0);
    const view = await openView(s.canvas);
    const f = await view.nextFrame();
    expect(f.header.index).toBe(1);
    expect(s.calls).toBeGreaterThan(0);
  });

  it('drawing stops again when the last view disconnects', async () => {
    // maxFps Infinity: no frame interval, so drawDecided() is exact (see there).
    const s = await makeSolidCanvas({ size: [64, 48], updateMode: 'continuous', maxFps: Infinity });
    const view = await openView(s.canvas);
    await view.waitFor(() => view.frames.length >= 3);
    view.close();
    await view.waitFor(() => s.canvas.viewCount === 0);
    await drawDecided(s.canvas); // a draw in flight has ended, and the next one was not started
    const calls = s.calls;
    await drawDecided(s.canvas);
    expect(s.calls).toBe(calls);
  });
});
