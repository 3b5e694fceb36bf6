// JupyterLab: a real JupyterLab 3.6 front end, assembled from npm (test/lab/, built by
// `node scripts/setup.mjs --jupyter-tests`) and served by Debian's jupyterlab_server on jupyter_server
// 1.23 with the "dawn-rfb" kernelspec (the set-up shared with test/jupyterlab4.test.ts is in
// test/helpers/lab.ts). Chromium opens a copy of 02-interactive-scene.ipynb and runs all cells;
// the output's view goes live, a drag rotates the pinwheel (checked on the pixels of lossless
// frames, helpers/jupyter.ts's dragRotates), and after a kernel restart the view says "kernel restarted: re-run the cell" and keeps its last
// frame. The kernel gets DAWN_RFB_URL_TEMPLATE pointing at a closed port, so the canvas server is
// unreachable from the page, as behind a tunnel: the view must go live through the Jupyter path.
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { dragRotates, expectRestartKeepsLastFrame, launchChromium, Teardown } from './helpers/jupyter.js';
import { jupyterLab, openLiveNotebook, restartLabKernel, startLabServer, withCanvasStats, type LabServer } from './helpers/lab.js';

const teardown = new Teardown();
let server: LabServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  [server, browser] = await Promise.all([startLabServer(jupyterLab(resolve(import.meta.dirname, 'lab')), 'jupyter', teardown), launchChromium(teardown)]);
}, 90_000);

afterAll(() => teardown.run(), 30_000);

test('JupyterLab: run all, the view goes live over the Jupyter path, a drag rotates the scene, a restart says to re-run the cell', async () => {
  const { page, pageErrors, view, canvas } = await openLiveNotebook(browser!, server!);
  // A failure says what the kernel's canvas knows of its views.
  await withCanvasStats(page, async () => {
    expect(await view.getAttribute('data-transport')).toBe('jupyter');
    expect(await view.getAttribute('data-frame-size')).toBe('400x300');

    await dragRotates(page, canvas);

    // A kernel restart: disconnected, the last frame stays.
    await expectRestartKeepsLastFrame(page, canvas, restartLabKernel(page));
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    await page.close();
  }, server);
}, 240_000);
