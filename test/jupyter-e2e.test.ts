// End to end in Jupyter: Debian's Jupyter Notebook 6 serves notebooks/ with the real "dawn-rfb"
// kernelspec; Debian's Chromium (through playwright-core) opens a copy of
// 02-interactive-scene.ipynb and runs all its cells. The widget in the output goes live, a drag
// on it rotates the pinwheel (the notebook's handler turns pointer moves into rotation), and after
// a kernel restart the widget says "kernel restarted: re-run the cell" and keeps showing the last frame.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM_ARGS, freePort, settledBackingStore, backingStore, stopProcess, deleteKernels } from './helpers/browser.js';
import { differingPixels, screenshotPixels, type Pixels } from './helpers/screenshots.js';

// These callbacks run in the page; the project's type check has no DOM lib (it would clash with
// @webgpu/types), so the little of the DOM and of Notebook 6's front end they use is declared here.
interface NbOutput { output_type: string; name?: string; text?: string; ename?: string; evalue?: string }
interface NbCell { cell_type: string; input_prompt_number?: number | string | null; output_area: { outputs: NbOutput[] } }
declare const Jupyter: {
  notebook?: {
    _fully_loaded: boolean;
    kernel: { name: string; is_connected(): boolean; restart(): void } | null;
    set_autosave_interval(ms: number): void;
    execute_all_cells(): void;
    get_cells(): NbCell[];
  };
} | undefined;
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

const root = resolve(import.meta.dirname, '..');
const notebooksDir = join(root, 'notebooks');
const cli = join(root, 'dist', 'cli', 'main.js');
/** Debian's Python, which has Jupyter Notebook 6 (python3 on PATH may be another one). */
const PYTHON = '/usr/bin/python3';
const HOST = '127.0.0.1';
const SETUP_HINT = 'run `node scripts/setup.mjs --browser --jupyter` first';
/** Kernel start, tslab's compile of every cell, the first frames: ~15 s alone, more under load. */
const RUN_ALL_TIMEOUT = 120_000;
const TEST_TIMEOUT = 180_000;
const OUTPUT = '.dawn-rfb-output';

const token = randomBytes(24).toString('hex');
let prefix = '';
/**
 * The notebook copy lives in a fresh subfolder of notebooks/, not next to the originals: the
 * kernel still runs below notebooks/ (so `import ... from 'dawn-rfb'` resolves through
 * notebooks/node_modules), and notebooks.test.ts, which may run at the same time and expects
 * exactly the four example notebooks in notebooks/, does not see it. Jupyter writes nothing else
 * under notebooks/ (no save; checkpoints would land in the subfolder).
 */
let workDir = '';
let notebookPath = ''; // relative to notebooks/, as Jupyter's URLs name it
let port = 0;
let jupyter: ChildProcess | undefined;
let jupyterLog = '';
let browser: Browser | undefined;


const api = (path: string): string => `http://${HOST}:${port}${path}${path.includes('?') ? '&' : '?'}token=${token}`;

async function waitForApi(deadline: number): Promise<void> {
  for (;;) {
    if (jupyter?.exitCode != null || jupyter?.signalCode != null) {
      throw new Error(`Jupyter exited before it answered (exit ${jupyter.exitCode ?? jupyter.signalCode}):\n${jupyterLog}`);
    }
    try {
      const res = await fetch(api('/api/status'));
      if (res.ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`Jupyter's API did not answer on port ${port}:\n${jupyterLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  const check = execFileSync(PYTHON, ['-c', 'import notebook; print(notebook.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(check.trim(), `Jupyter Notebook 6 for ${PYTHON}: ${SETUP_HINT}`).toMatch(/^6\./);
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  if (!existsSync(join(notebooksDir, 'node_modules', 'dawn-rfb', 'package.json'))) throw new Error(`notebooks/node_modules/dawn-rfb is missing: ${SETUP_HINT}`);

  prefix = mkdtempSync(join(tmpdir(), 'dawn-rfb-jupyter-e2e-'));
  execFileSync(process.execPath, [cli, 'kernel', 'install', '--prefix', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const d of ['data', 'runtime', 'config']) mkdirSync(join(prefix, d));

  const folder = `e2e-${randomBytes(6).toString('hex')}`;
  workDir = join(notebooksDir, folder);
  mkdirSync(workDir);
  copyFileSync(join(notebooksDir, '02-interactive-scene.ipynb'), join(workDir, '02-interactive-scene.ipynb'));
  notebookPath = `${folder}/02-interactive-scene.ipynb`;

  port = await freePort();
  const args = ['-m', 'notebook', '--no-browser', `--ip=${HOST}`, `--port=${port}`, '--NotebookApp.port_retries=0',
    `--notebook-dir=${notebooksDir}`, `--NotebookApp.token=${token}`];
  if (process.getuid?.() === 0) args.push('--allow-root');
  jupyter = spawn(PYTHON, args, {
    cwd: notebooksDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // The kernelspec just installed is found first; nothing is read from or written to $HOME.
      JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
      JUPYTER_DATA_DIR: join(prefix, 'data'),
      JUPYTER_RUNTIME_DIR: join(prefix, 'runtime'),
      JUPYTER_CONFIG_DIR: join(prefix, 'config'),
    },
  });
  const keep = (d: Buffer) => { jupyterLog = (jupyterLog + String(d)).slice(-20_000); };
  jupyter.stdout!.on('data', keep);
  jupyter.stderr!.on('data', keep);
  const [, launched] = await Promise.all([
    waitForApi(Date.now() + 30_000),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
  ]);
  browser = launched;
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  // Shut the kernels down through the API (they run in sessions of their own), then Jupyter.
  if (jupyter && jupyter.exitCode == null) await deleteKernels(api);
  await stopProcess(jupyter, 10_000);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (prefix) rmSync(prefix, { recursive: true, force: true });
}, 30_000);

/** Pixels of the element as shown. */
const pixels = (locator: Locator): Promise<Pixels> => screenshotPixels(locator);


test('a notebook run in Jupyter shows a live widget; a drag rotates the scene; a kernel restart leaves the last frame and says to re-run the cell', async () => {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e.stack ?? e)));

  // ---- open the notebook, wait for its kernel, run every cell ------------------------------
  await page.goto(`http://${HOST}:${port}/notebooks/${notebookPath}?token=${token}`);
  await page.waitForFunction(() => {
    const nb = typeof Jupyter === 'undefined' ? undefined : Jupyter?.notebook;
    return Boolean(nb?._fully_loaded && nb.kernel?.is_connected());
  }, undefined, { timeout: 30_000 });
  expect(await page.evaluate(() => Jupyter!.notebook!.kernel!.name)).toBe('dawn-rfb');
  // Nothing of this session may be saved (the copy is deleted anyway).
  await page.evaluate(() => { Jupyter!.notebook!.set_autosave_interval(0); });
  await page.evaluate(() => { Jupyter!.notebook!.execute_all_cells(); });
  await page.waitForFunction(() => Jupyter!.notebook!.get_cells().every((c) =>
    c.cell_type !== 'code' || (c.input_prompt_number !== '*' && c.input_prompt_number != null)), undefined, { timeout: RUN_ALL_TIMEOUT, polling: 250 });
  const failures = await page.evaluate(() => Jupyter!.notebook!.get_cells().flatMap((c, i: number) =>
    c.cell_type !== 'code' ? [] : c.output_area.outputs
      .filter((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'))
      .map((o) => `cell ${i}: ${o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : o.text}`)));
  expect(failures, 'cells that failed or wrote to stderr').toEqual([]);

  // ---- the widget goes live ------------------------------------------------------------------
  const live = page.locator(`${OUTPUT}[data-status="live"][data-frame-index]`);
  await live.first().waitFor({ timeout: 30_000 });
  // One canvas shown once: one live widget in the page (freeze() replaced its output in place).
  expect(await page.locator(OUTPUT).count()).toBe(1);
  const widget = page.locator(OUTPUT);
  expect(await widget.getAttribute('id')).toMatch(/^dawn-rfb-[0-9a-f]+$/);
  expect(await widget.getAttribute('data-frame-size')).toBe('400x300');
  // The canvas server's port is reachable here, so the faster direct path is the live one.
  expect(await widget.getAttribute('data-transport')).toBe('direct');
  const canvas = widget.locator('canvas');
  await canvas.scrollIntoViewIfNeeded();
  expect(await canvas.isVisible()).toBe(true);
  await settledBackingStore(page, canvas);
  const before = await pixels(canvas);

  // ---- a drag rotates the pinwheel: angle -= dx * 0.01 (60 px: 0.6 rad, away from the six-fold symmetry)
  const frameIndex = async (): Promise<number> => Number(await widget.getAttribute('data-frame-index'));
  const start = await frameIndex();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + 150, box.y + 150);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await page.mouse.move(box.x + 150 + 10 * i, box.y + 150 + 2 * i, { steps: 2 });
  await page.mouse.up();
  await page.waitForFunction((n) => Number(document.querySelector('.dawn-rfb-output')!.getAttribute('data-frame-index')) > n, start, { timeout: 15_000 });
  await page.waitForTimeout(300);
  const after = await pixels(canvas);
  expect([after.width, after.height]).toEqual([before.width, before.height]);
  expect(differingPixels(before, after), 'pixels changed by the drag (of 120000)').toBeGreaterThan(5000);

  // ---- a kernel restart: "kernel restarted: re-run the cell", the last frame stays -----------------
  // The lossless refresh comes last (after 300 ms idle; later under load): wait for it first.
  await page.locator(`${OUTPUT}[data-frame-lossless="true"]`).waitFor({ timeout: 20_000 });
  const lastFrame = await settledBackingStore(page, canvas);
  await page.evaluate(() => { Jupyter!.notebook!.kernel!.restart(); });
  // The view notices at once; once the new kernel answers (through the notebook's kernel
  // connection) that it has no such canvas, it stops retrying and says what to do, never the
  // advice for a view that never connected.
  await page.locator(`${OUTPUT}:not([data-status="live"])`).waitFor({ timeout: 10_000 });
  expect(await widget.locator('.dawn-rfb-status').textContent()).not.toContain('Could not reach');
  await page.locator(`${OUTPUT}[data-status="ended"]`).waitFor({ timeout: 30_000 });
  expect(await widget.locator('.dawn-rfb-status').textContent()).toBe('kernel restarted: re-run the cell');
  expect(await widget.getAttribute('data-tried')).toBeNull();
  expect(await backingStore(canvas)).toBe(lastFrame);
  expect(await canvas.isVisible()).toBe(true);

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  await page.close();
}, TEST_TIMEOUT);
