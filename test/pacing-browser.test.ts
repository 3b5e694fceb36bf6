// Frames paced to the display, in a real browser: the widget in Debian's Chromium (headless, whose
// requestAnimationFrame runs at 60 Hz) measures its display's refresh and reports it, and the
// canvas, in fastest mode, then draws no more frames a second than that display shows.

import { afterEach, expect, test } from 'vitest';
import { useChromium } from './helpers/browser.js';
import { cleanup, makeSolidCanvas, sleep, until } from './helpers/remote.js';

const browser = useChromium();

afterEach(cleanup);

test('the widget reports its 60 Hz display, and a fastest-mode canvas draws at about that rate', async () => {
  const s = await makeSolidCanvas({ size: [160, 120], updateMode: 'fastest' });
  const page = await browser.newPage({ viewport: { width: 400, height: 300 } });
  await page.goto(await s.canvas.getUrl());
  await page.waitForSelector('#view[data-status="live"][data-frame-index]');
  await until(() => s.canvas.stats().views[0]?.displayHz !== undefined, 10_000, 'the display rate');
  const hz = s.canvas.stats().views[0]?.displayHz;
  // 60 Hz; a loaded machine misses some refreshes, which the median rides out.
  expect(hz).toBeGreaterThanOrEqual(50);
  expect(hz).toBeLessThanOrEqual(70);
  // One draw under the new pace ends (the rate is read before each draw), then the count.
  const start = s.canvas.drawCount;
  await until(() => s.canvas.drawCount > start, 3000, 'a draw under the new pace');
  const before = s.canvas.drawCount;
  await sleep(2000); // the rule is about time: a rate is draws per time span
  const drawn = s.canvas.drawCount - before;
  expect(drawn).toBeLessThanOrEqual(2 * hz! * 1.1);
  expect(drawn).toBeGreaterThan(20); // still drawing
  const view = s.canvas.stats().views[0]!;
  // The widget reports its rate again when the median moves (a loaded machine misses refreshes,
  // then catches up): the pace follows the newest report.
  expect(view.drawnFps).toBeLessThanOrEqual(Math.max(hz!, view.displayHz ?? 0) * 1.1);
  // Shown never exceeds sent. Over the same one-second window, the frames shown may include
  // those offered just before the window began and acknowledged inside it: at most the frames a
  // view may have in flight (maxBufferedFrames, default 2).
  expect(view.framesShown).toBeLessThanOrEqual(view.framesSent);
  expect(view.fps).toBeLessThanOrEqual(view.drawnFps + 2);
  await page.close();
});
