// JupyterLab 4: a real JupyterLab 4.6 front end, assembled from npm (test/lab4/, built by
// `node scripts/setup.mjs --jupyter`) and served by Debian's jupyterlab_server 2.16 on
// jupyter_server 1.23 (JupyterLab 4's own server packages are not in Debian 12; the 404s its page
// gets on jupyter_server 2's /api/me and /api/events are harmless). Chromium opens a copy of
// 02-interactive-scene.ipynb and runs all cells, once on each path a view can take:
// - direct: the canvas server's port is reachable from the page;
// - jupyter: the kernel gets DAWN_RFB_URL_TEMPLATE pointing at a closed port, as behind a tunnel,
//   so the view must go live through the Jupyter connection.
// On each, a drag rotates the pinwheel and the key "c" changes its palette (both checked on the
// pixels of settled, lossless frames), a resize of the output gives frames of the new size, and a
// kernel restart leaves the view "disconnected" with its last frame.
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM_ARGS } from './helpers/browser.js';
import { OUTPUT, drag, expectPictureChange, expectRestartKeepsLastFrame, openLiveNotebook, startLabServer, type LabPath, type LabServer } from './helpers/lab.js';

// The one DOM call made in the page (the project's type check has no DOM lib).
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null; style: Record<string, string> } | null };

const lab4 = resolve(import.meta.dirname, 'lab4');
let browser: Browser | undefined;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 30_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
});

for (const path of ['direct', 'jupyter'] as LabPath[]) {
  describe(`JupyterLab 4, ${path} path`, () => {
    let server: LabServer | undefined;
    beforeAll(async () => { server = await startLabServer(lab4, path); }, 60_000);
    afterAll(async () => { await server?.stop(); }, 30_000);

    test(`run all: the view goes live over the ${path} path; drag, key and resize reach the kernel; a restart disconnects`, async () => {
      const { page, pageErrors, view, canvas } = await openLiveNotebook(browser!, server!);
      expect(await view.getAttribute('data-transport')).toBe(path);
      expect(await view.getAttribute('data-frame-size')).toBe('400x300');

      await expectPictureChange(page, view, canvas, 'the drag', () => drag(page, canvas));
      // "c" cycles the palette (the background of every pixel). JupyterLab's own "c" (copy the
      // cell) must not take it: the widget marks itself data-lm-suppress-shortcuts.
      await expectPictureChange(page, view, canvas, 'the key "c"', async () => {
        await canvas.click();
        await page.keyboard.press('c');
      });

      // A resize of the output: the view asks for its new size, frames come at that size.
      await page.evaluate((sel) => { const el = document.querySelector(sel)!; el.style.width = '320px'; el.style.height = '200px'; }, OUTPUT);
      await page.waitForFunction((sel) => document.querySelector(sel)!.getAttribute('data-frame-size') === '320x200', OUTPUT, { timeout: 30_000 });
      expect(await canvas.evaluate((c) => [(c as unknown as { width: number }).width, (c as unknown as { height: number }).height])).toEqual([320, 200]);

      // A kernel restart: disconnected, the last frame stays.
      await expectRestartKeepsLastFrame(page, canvas);
      expect(pageErrors, 'uncaught errors in the page').toEqual([]);
      await page.close();
    }, 240_000);
  });
}
