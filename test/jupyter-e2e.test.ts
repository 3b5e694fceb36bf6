// End to end in Jupyter: Debian's Jupyter Notebook 6 serves notebooks/ with the real "dawn-rfb"
// kernelspec; Debian's Chromium (through playwright-core) opens a copy of
// 02-interactive-scene.ipynb and runs all its cells. The widget in the output goes live, a drag
// on it rotates the pinwheel (the notebook's handler turns pointer moves into rotation), and after
// a kernel restart the widget says "kernel restarted: re-run the cell" and keeps showing the last frame.
// The set-up and the checks on the view are helpers/jupyter.ts's.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from './helpers/browser.js';
import {
  copyNotebook, dragRotates, expectRestartKeepsLastFrame, kernelPrefix, launchChromium, notebooksDir, OUTPUT, openPage, PYTHON,
  runNotebook6, SETUP_HINT, startServer, Teardown, type JupyterServer,
} from './helpers/jupyter.js';

// These callbacks run in the page; the project's type check has no DOM lib.
declare const Jupyter: { notebook?: { kernel: { restart(): void } | null } } | undefined;

const HOST = '127.0.0.1';
/** Kernel start, tslab's compile of every cell, the first frames: ~15 s alone, more under load. */
const RUN_ALL_TIMEOUT = 120_000;
const TEST_TIMEOUT = 180_000;

const teardown = new Teardown();
let notebookPath = ''; // relative to notebooks/, as Jupyter's URLs name it
let jupyter: JupyterServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  const check = execFileSync(PYTHON, ['-c', 'import notebook; print(notebook.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(check.trim(), `Jupyter Notebook 6 for ${PYTHON}: ${SETUP_HINT}`).toMatch(/^6\./);
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  if (!existsSync(join(notebooksDir, 'node_modules', 'dawn-rfb', 'package.json'))) throw new Error(`notebooks/node_modules/dawn-rfb is missing: ${SETUP_HINT}`);

  const prefix = kernelPrefix('jupyter-e2e', teardown);
  notebookPath = copyNotebook('e2e', teardown);
  const token = randomBytes(24).toString('hex');
  const port = await freePort();
  const args = ['-m', 'notebook', '--no-browser', `--ip=${HOST}`, `--port=${port}`, '--NotebookApp.port_retries=0',
    `--notebook-dir=${notebooksDir}`, `--NotebookApp.token=${token}`];
  if (process.getuid?.() === 0) args.push('--allow-root');
  [jupyter, browser] = await Promise.all([
    startServer({ what: 'Jupyter Notebook', command: PYTHON, args, cwd: notebooksDir, env: prefix.env, base: `http://${HOST}:${port}`, token, startTimeoutMs: 30_000 }, teardown),
    launchChromium(teardown),
  ]);
}, 60_000);

afterAll(() => teardown.run(), 30_000);

test('a notebook run in Jupyter shows a live widget; a drag rotates the scene; a kernel restart leaves the last frame and says to re-run the cell', async () => {
  const { page, pageErrors } = await openPage(browser!);

  // ---- open the notebook, run every cell (none fails or writes to stderr), the widget goes live
  const { view, canvas } = await runNotebook6(page, jupyter!.api(`/notebooks/${notebookPath}`), { loadTimeout: 30_000, runTimeout: RUN_ALL_TIMEOUT });
  expect(await view.getAttribute('id')).toMatch(/^dawn-rfb-[0-9a-f]+$/);
  expect(await view.getAttribute('data-frame-size')).toBe('400x300');
  // The canvas server's port is reachable here, so the faster direct path is the live one.
  expect(await view.getAttribute('data-transport')).toBe('direct');
  expect(await canvas.isVisible()).toBe(true);

  // ---- a drag rotates the pinwheel: angle -= dx * 0.01 (60 px: 0.6 rad, away from the six-fold symmetry)
  await dragRotates(page, canvas);

  // ---- a kernel restart: "kernel restarted: re-run the cell", the last frame stays -----------------
  await expectRestartKeepsLastFrame(page, canvas, async () => {
    await page.evaluate(() => { Jupyter!.notebook!.kernel!.restart(); });
    // The view notices at once; once the new kernel answers (through the notebook's kernel
    // connection) that it has no such canvas, it stops retrying and says what to do, never the
    // advice for a view that never connected.
    await page.locator(`${OUTPUT}:not([data-status="live"])`).waitFor({ timeout: 10_000 });
    expect(await view.locator('.dawn-rfb-status').textContent()).not.toContain('Could not reach');
  });
  expect(await view.getAttribute('data-tried')).toBeNull();
  expect(await canvas.isVisible()).toBe(true);

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  await page.close();
}, TEST_TIMEOUT);
