// JupyterLab: a real JupyterLab 3.6 front end, assembled from npm (test/lab/, built by
// `node scripts/setup.mjs --jupyter-tests`) and served by Debian's jupyterlab_server on jupyter_server
// 1.23 with the "dawn-rfb" kernelspec. Chromium opens a copy of 02-interactive-scene.ipynb and
// runs all cells; the output's view goes live, a drag rotates the pinwheel, and after a kernel
// restart the view says "kernel restarted: re-run the cell" and keeps its last frame. The kernel gets
// DAWN_RFB_URL_TEMPLATE pointing at a closed port, so the canvas server is unreachable from the
// page, as behind a tunnel: the view must go live through the Jupyter path, which in JupyterLab is
// a kernel channels websocket of the widget's own (JupyterLab exposes no kernel to output scripts).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM_ARGS, freePort, stopProcess, deleteKernels } from './helpers/browser.js';

declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
};
interface LabKernel { name: string; status: string; restart(): Promise<void> }
declare const window: {
  lab: {
    shell: { currentWidget: { sessionContext?: { session?: { kernel?: LabKernel | null } | null } } | null };
    commands: { execute(id: string): Promise<unknown> };
  };
};

const root = resolve(import.meta.dirname, '..');
const notebooksDir = join(root, 'notebooks');
const lab = join(root, 'test', 'lab');
const PYTHON = '/usr/bin/python3';
const SETUP_HINT = 'run `node scripts/setup.mjs --browser --jupyter-tests` first';
const token = randomBytes(24).toString('hex');

let prefix = '';
let workDir = '';
let notebookPath = '';
let port = 0;
let closedPort = 0;
let server: ChildProcess | undefined;
let serverLog = '';
let browser: Browser | undefined;


const api = (path: string): string => `http://127.0.0.1:${port}${path}?token=${token}`;

beforeAll(async () => {
  if (!existsSync(join(lab, 'build', 'bundle.js'))) throw new Error(`no JupyterLab build in test/lab/build: ${SETUP_HINT}`);
  execFileSync(PYTHON, ['-c', 'import jupyterlab_server'], { stdio: 'ignore' });
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  prefix = mkdtempSync(join(tmpdir(), 'dawn-rfb-lab-'));
  execFileSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'kernel', 'install', '--prefix', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const d of ['data', 'runtime', 'config']) mkdirSync(join(prefix, d));
  const folder = `lab-${randomBytes(6).toString('hex')}`;
  workDir = join(notebooksDir, folder);
  mkdirSync(workDir);
  copyFileSync(join(notebooksDir, '02-interactive-scene.ipynb'), join(workDir, '02-interactive-scene.ipynb'));
  notebookPath = `${folder}/02-interactive-scene.ipynb`;
  port = await freePort();
  closedPort = await freePort();
  server = spawn(PYTHON, [join(lab, 'main.py'), '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--ServerApp.port_retries=0',
    `--ServerApp.root_dir=${notebooksDir}`, `--ServerApp.token=${token}`, '--allow-root'], {
    cwd: notebooksDir, stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, JUPYTER_PATH: join(prefix, 'share', 'jupyter'), JUPYTER_DATA_DIR: join(prefix, 'data'),
      JUPYTER_RUNTIME_DIR: join(prefix, 'runtime'), JUPYTER_CONFIG_DIR: join(prefix, 'config'), XDG_RUNTIME_DIR: '/tmp',
      // The canvas server is unreachable from the page: only the Jupyter path is left.
      DAWN_RFB_URL_TEMPLATE: `ws://127.0.0.1:${closedPort}`,
    },
  });
  const keep = (d: Buffer) => { serverLog = (serverLog + String(d)).slice(-20_000); };
  server.stdout!.on('data', keep);
  server.stderr!.on('data', keep);
  for (let i = 0; ; i++) {
    try { if ((await fetch(api('/api/status'))).ok) break; } catch { /* starting */ }
    if (i > 200 || server.exitCode != null) throw new Error(`the JupyterLab server did not start:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  if (server && server.exitCode == null) await deleteKernels(api);
  await stopProcess(server, 10_000);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (prefix) rmSync(prefix, { recursive: true, force: true });
}, 30_000);

test('JupyterLab: run all, the view goes live over the Jupyter path, a drag rotates the scene, a restart says to re-run the cell', async () => {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`http://127.0.0.1:${port}/lab/tree/${notebookPath}?token=${token}`);
  await page.waitForFunction(() => document.body.dataset.labReady === 'true', undefined, { timeout: 60_000 });
  await page.waitForFunction(() => window.lab.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle', undefined, { timeout: 60_000 });
  expect(await page.evaluate(() => window.lab.shell.currentWidget!.sessionContext!.session!.kernel!.name)).toBe('dawn-rfb');
  await page.evaluate(() => window.lab.commands.execute('notebook:run-all-cells'));

  const view = page.locator('.dawn-rfb-output[data-status="live"][data-frame-index]');
  await view.waitFor({ timeout: 120_000 });
  expect(await page.locator('.dawn-rfb-output').count()).toBe(1);
  expect(await view.getAttribute('data-transport')).toBe('jupyter');
  expect(await view.getAttribute('data-frame-size')).toBe('400x300');

  const canvas = page.locator('.dawn-rfb-output canvas'); // whatever the status
  await canvas.scrollIntoViewIfNeeded();
  // Past the lossless refresh of the first frame, so the next frame comes from the drag.
  await page.waitForTimeout(1500);
  const dataUrl = (): Promise<string> => canvas.evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
  const before = await dataUrl();
  const index = Number(await view.getAttribute('data-frame-index'));
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + 150, box.y + 150);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await page.mouse.move(box.x + 150 + 10 * i, box.y + 150 + 2 * i, { steps: 2 });
  await page.mouse.up();
  await page.waitForFunction((n) => Number(document.querySelector('.dawn-rfb-output')!.getAttribute('data-frame-index')) > n, index, { timeout: 20_000 });
  await page.waitForTimeout(1000);
  expect(await dataUrl(), 'the picture after the drag').not.toBe(before);

  // A kernel restart: "kernel restarted: re-run the cell", the last frame stays.
  await page.waitForTimeout(1000);
  const last = await dataUrl();
  await page.evaluate(() => window.lab.shell.currentWidget!.sessionContext!.session!.kernel!.restart());
  // The view notices at once; once the new kernel answers that it has no such canvas (within a
  // second or two here: "disconnected" may be over before a poll sees it), it gives the brief
  // notice and stops retrying.
  await page.locator('.dawn-rfb-output[data-status="ended"]').waitFor({ timeout: 30_000 });
  expect(await page.locator('.dawn-rfb-output .dawn-rfb-status').textContent()).toBe('kernel restarted: re-run the cell');
  expect(await dataUrl()).toBe(last);
  expect(pageErrors).toEqual([]);
  await page.close();
}, 240_000);
