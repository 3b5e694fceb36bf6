// Frames paced to the display, in a real browser: the widget in Debian's Chromium (headless, whose
// requestAnimationFrame runs at 60 Hz) measures its display's refresh and reports it, and the
// canvas, in fastest mode, then draws no more frames a second than that display shows.
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { CHROMIUM_ARGS } from './helpers/browser.js';
import { cleanup, makeSolidCanvas, sleep } from './helpers/remote.js';

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(cleanup);

test('the widget reports its 60 Hz display, and a fastest-mode canvas draws at about that rate', async () => {
  const s = await makeSolidCanvas({ size: [160, 120], updateMode: 'fastest' });
  const page = await browser.newPage({ viewport: { width: 400, height: 300 } });
  await page.goto(await s.canvas.getUrl());
  await page.waitForSelector('#view[data-status="live"][data-frame-index]');
  const deadline = Date.now() + 10_000;
  while (s.canvas.stats().views[0]?.displayHz === undefined && Date.now() < deadline) await sleep(100);
  const hz = s.canvas.stats().views[0]?.displayHz;
  // 60 Hz; a loaded machine misses some refreshes, which the median rides out.
  expect(hz).toBeGreaterThanOrEqual(50);
  expect(hz).toBeLessThanOrEqual(70);
  await sleep(300);
  const before = s.canvas.drawCount;
  await sleep(2000);
  const drawn = s.canvas.drawCount - before;
  expect(drawn).toBeLessThanOrEqual(2 * hz! * 1.1);
  expect(drawn).toBeGreaterThan(20); // still drawing
  const view = s.canvas.stats().views[0]!;
  expect(view.drawnFps).toBeLessThanOrEqual(hz! * 1.1);
  expect(view.fps).toBeLessThanOrEqual(view.drawnFps);
  await page.close();
});
