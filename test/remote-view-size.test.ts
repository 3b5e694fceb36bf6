// What a view can make a canvas render: sizes a view asks for are fitted (keeping the aspect
// ratio) into the canvas's maxViewPixels and the device's limits, with one report per canvas and
// bound; the frames then come at the fitted size, and a size within the bounds is rendered as asked.
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RemoteCanvas } from '../src/index.js';
import { captureReports, cleanup, makeSolidCanvas, openView, thrown } from './helpers/remote.js';

afterEach(cleanup);

describe('maxViewPixels', () => {
  it('bounds the size a view asks for, keeps its aspect and logical size, reports once; smaller sizes render as asked', async () => {
    const capture = captureReports();
    try {
      const s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity, maxViewPixels: 20_000 });
      const view = await openView(s.canvas);
      await view.nextFrame();
      view.resize(400, 300); // 120000 pixels
      await view.waitFor(() => view.lastFrame()!.header.width !== 64, 5000, 'a frame at the fitted size');
      const [w, h] = s.canvas.getPhysicalSize();
      expect(w * h).toBeLessThanOrEqual(20_000);
      expect(w * h).toBeGreaterThan(19_000);
      expect(w / h).toBeCloseTo(4 / 3, 1);
      expect(view.lastFrame()!.header).toMatchObject({ width: w, height: h });
      expect(s.canvas.getLogicalSize()[0]).toBeCloseTo(400, 6);
      const fitted = capture.reports.filter((r) => /maxViewPixels/.test((r as { message?: string }).message ?? ''));
      expect(fitted).toHaveLength(1);
      expect((fitted[0] as unknown as { message: string }).message).toContain(`400x300 pixels, beyond the canvas's maxViewPixels (20000): rendering at ${w}x${h}`);
      expect(fitted[0]![1]).toBeInstanceOf(InvalidArgumentError);

      view.resize(800, 600); // fitted again, not reported again
      await view.waitFor(() => s.canvas.getLogicalSize()[0] > 799, 5000, 'the second resize');
      view.resize(100, 75); // 7500 pixels: as asked
      await view.waitFor(() => view.lastFrame()!.header.width === 100, 5000, 'a 100x75 frame');
      expect(s.canvas.getPhysicalSize()).toEqual([100, 75]);
      expect(s.canvas.getPixelRatio()).toBe(1);
      expect(capture.reports.filter((r) => /maxViewPixels/.test((r as { message?: string }).message ?? ''))).toHaveLength(1);
    } finally {
      capture.restore();
    }
  });

  it('defaults to 4096 x 4096: a view zoomed to 500% on a 2048x1536 canvas (10240x7680) renders within it', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity });
    const view = await openView(s.canvas);
    await view.nextFrame();
    // Only the size is checked here (rendering 16 M pixels on a software GPU takes seconds).
    s.canvas.setUpdateMode('manual');
    view.resize(2048, 1536, 5);
    await view.waitFor(() => s.canvas.getPhysicalSize()[0] !== 64, 5000, 'the resize');
    const [w, h] = s.canvas.getPhysicalSize();
    expect(w * h).toBeLessThanOrEqual(4096 * 4096);
    expect(w * h).toBeGreaterThan(0.99 * 4096 * 4096);
    expect(w / h).toBeCloseTo(4 / 3, 2);
  });

  it('is checked: not a number >= 1 is an InvalidArgumentError naming it', () => {
    for (const bad of [0, -1, NaN, '100', null]) {
      const e = thrown(() => new RemoteCanvas({ maxViewPixels: bad as never }));
      expect(e, String(bad)).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toContain('maxViewPixels');
    }
  });
});
