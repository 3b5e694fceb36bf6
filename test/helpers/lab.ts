// What the JupyterLab suites share (test/jupyterlab.test.ts: JupyterLab 3.6 from test/lab/,
// test/jupyterlab4.test.ts: JupyterLab 4 and Notebook 7 from test/lab4/): a front end assembled
// from npm (its page sets window.lab to the application and body[data-lab-ready]), served by Debian's jupyterlab_server (the app's main.py) with the "dawn-rfb" kernelspec in a
// prefix of its own, on a copy of 02-interactive-scene.ipynb in a fresh folder of notebooks/;
// opening that notebook in Chromium and running all its cells until the view is live; and checks
// that look at what the view shows (pixels of settled, lossless frames), not at timings.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { backingStore, deleteKernels, freePort, settledBackingStore, stopProcess } from './browser.js';
import { differingPixels, screenshotPixels, type Pixels } from './screenshots.js';

// These callbacks run in the page; the project's type check has no DOM lib (it would clash with
// @webgpu/types), so the little of the DOM and of JupyterLab's API they use is declared here.
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): { getAttribute(name: string): string | null; style: Record<string, string> } | null;
};
interface LabKernel { name: string; status: string; restart(): Promise<void> }
declare const window: {
  lab: {
    shell: { currentWidget: { sessionContext?: { session?: { kernel?: LabKernel | null } | null } } | null };
    commands: { execute(id: string): Promise<unknown> };
  };
};

const root = resolve(import.meta.dirname, '..', '..');
const notebooksDir = join(root, 'notebooks');
const PYTHON = '/usr/bin/python3';
export const SETUP_HINT = 'run `node scripts/setup.mjs --browser --jupyter-tests` first';
/** The widget's root element in the notebook's output. */
export const OUTPUT = '.dawn-rfb-output';
/** Pixels (of 400x300 = 120000) a drag or a palette change must change at least; JPEG noise stays far below. */
export const CHANGED_PIXELS = 5000;

/** Which path the page is left to reach the kernel's canvas by. */
export type LabPath = 'direct' | 'jupyter';

/** A front end of the tests: the server script that serves it and where it opens a notebook. */
export interface FrontEnd {
  /** The folder with the script and build/ (test/lab, test/lab4). */
  dir: string;
  /** The server script in `dir`. */
  script: string;
  /** The page's path for a notebook (relative to the server's root_dir). */
  notebookPage(notebookPath: string): string;
}

/** JupyterLab's application at <base>lab, a notebook at <base>lab/tree/<path> (test/lab, test/lab4). */
export const jupyterLab = (dir: string): FrontEnd => ({ dir, script: 'main.py', notebookPage: (p) => `/lab/tree/${p}` });

/** Notebook 7's notebook page at <base>notebooks/<path> (test/lab4/notebook.py). */
export const notebook7 = (dir: string): FrontEnd => ({ dir, script: 'notebook.py', notebookPage: (p) => `/notebooks/${p}` });

/** A running JupyterLab server of the tests, with its notebook copy. */
export interface LabServer {
  port: number;
  token: string;
  /** The notebook copy, relative to notebooks/ (as Jupyter's URLs name it). */
  notebookPath: string;
  /** The page that opens the notebook copy, without the token. */
  notebookUrl: string;
  /** A URL of the server's, with the token. */
  api(path: string): string;
  /** The server's last output, for failure messages. */
  log(): string;
  /** Stops its kernels and the server; removes the notebook copy and the prefix. */
  stop(): Promise<void>;
}

/**
 * Starts the server of `front` (a JupyterLab or the Notebook 7 page, built in its dir's build/).
 * With `path: 'jupyter'` the kernel gets DAWN_RFB_URL_TEMPLATE pointing at a closed port,
 * so the canvas server is unreachable from the page, as behind a tunnel, and the view can only go
 * live through the Jupyter path; with 'direct' the canvas server's own port is reachable.
 */
export async function startLabServer(front: FrontEnd, path: LabPath): Promise<LabServer> {
  if (!existsSync(join(front.dir, 'build', 'bundle.js'))) throw new Error(`no front-end build in ${join(front.dir, 'build')}: ${SETUP_HINT}`);
  execFileSync(PYTHON, ['-c', 'import jupyterlab_server'], { stdio: 'ignore' });
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  const prefix = mkdtempSync(join(tmpdir(), 'dawn-rfb-lab-'));
  execFileSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'kernel', 'install', '--prefix', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const d of ['data', 'runtime', 'config']) mkdirSync(join(prefix, d));
  // A folder of its own below notebooks/: the kernel resolves 'dawn-rfb' through
  // notebooks/node_modules, and notebooks.test.ts (which expects only the example notebooks in
  // notebooks/ itself) does not see the copy.
  const folder = `lab-${randomBytes(6).toString('hex')}`;
  const workDir = join(notebooksDir, folder);
  mkdirSync(workDir);
  copyFileSync(join(notebooksDir, '02-interactive-scene.ipynb'), join(workDir, '02-interactive-scene.ipynb'));
  const token = randomBytes(24).toString('hex');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env, JUPYTER_PATH: join(prefix, 'share', 'jupyter'), JUPYTER_DATA_DIR: join(prefix, 'data'),
    JUPYTER_RUNTIME_DIR: join(prefix, 'runtime'), JUPYTER_CONFIG_DIR: join(prefix, 'config'), XDG_RUNTIME_DIR: '/tmp',
  };
  if (path === 'jupyter') env.DAWN_RFB_URL_TEMPLATE = `ws://127.0.0.1:${await freePort()}`;
  else delete env.DAWN_RFB_URL_TEMPLATE;
  const server: ChildProcess = spawn(PYTHON, [join(front.dir, front.script), '--no-browser', '--ip=127.0.0.1', `--port=${port}`,
    '--ServerApp.port_retries=0', `--ServerApp.root_dir=${notebooksDir}`, `--ServerApp.token=${token}`, '--allow-root'], {
    cwd: notebooksDir, stdio: ['ignore', 'pipe', 'pipe'], env,
  });
  let serverLog = '';
  const keep = (d: Buffer) => { serverLog = (serverLog + String(d)).slice(-20_000); };
  server.stdout!.on('data', keep);
  server.stderr!.on('data', keep);
  const api = (p: string): string => `http://127.0.0.1:${port}${p}${p.includes('?') ? '&' : '?'}token=${token}`;
  const stop = async (): Promise<void> => {
    if (server.exitCode == null) await deleteKernels(api);
    await stopProcess(server, 10_000);
    rmSync(workDir, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      try { if ((await fetch(api('/api/status'))).ok) break; } catch { /* starting */ }
      if (i > 200 || server.exitCode != null) throw new Error(`the server of ${front.dir}/${front.script} did not start:\n${serverLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const notebookPath = `${folder}/02-interactive-scene.ipynb`;
  return { port, token, notebookPath, notebookUrl: `http://127.0.0.1:${port}${front.notebookPage(notebookPath)}`, api, log: () => serverLog, stop };
}

/** A page with the notebook's view live, and what it collected. */
export interface LiveNotebook {
  page: Page;
  /** Uncaught errors in the page. */
  pageErrors: string[];
  /** The widget's root (the output element). */
  view: Locator;
  /** The widget's canvas. */
  canvas: Locator;
}

/**
 * Opens the server's notebook copy in a new page, checks that its kernel is "dawn-rfb", runs all
 * cells and waits until the one view is live (a first frame shown).
 */
export async function openLiveNotebook(browser: Browser, server: LabServer): Promise<LiveNotebook> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e.stack ?? e)));
  await page.goto(`${server.notebookUrl}?token=${server.token}`);
  await page.waitForFunction(() => document.body.dataset.labReady === 'true', undefined, { timeout: 60_000 });
  await page.waitForFunction(() => window.lab.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle', undefined, { timeout: 60_000 });
  expect(await page.evaluate(() => window.lab.shell.currentWidget!.sessionContext!.session!.kernel!.name)).toBe('dawn-rfb');
  await page.evaluate(() => window.lab.commands.execute('notebook:run-all-cells'));
  // Kernel start, tslab's compile of every cell, the first frames: ~15 s alone, more under load.
  await page.locator(`${OUTPUT}[data-status="live"][data-frame-index]`).waitFor({ state: 'attached', timeout: 120_000 });
  // One canvas shown once: one view in the page (freeze() replaced its output in place).
  expect(await page.locator(OUTPUT).count()).toBe(1);
  const view = page.locator(OUTPUT);
  const canvas = view.locator('canvas');
  await canvas.scrollIntoViewIfNeeded();
  return { page, pageErrors, view, canvas };
}

/** The view's last frame index (data-frame-index). */
export const frameIndex = async (view: Locator): Promise<number> => Number(await view.getAttribute('data-frame-index'));

/**
 * The canvas's pixels once the view has shown a frame after frame `after` that is the lossless
 * refresh (data-frame-lossless="true", sent once the canvas is idle): what the scene settled on,
 * free of JPEG noise.
 */
export async function settledPixels(page: Page, canvas: Locator, after: number): Promise<Pixels> {
  try {
    await page.waitForFunction(([sel, n]) => {
      const el = document.querySelector(sel as string);
      return Number(el?.getAttribute('data-frame-index')) > (n as number) && el?.getAttribute('data-frame-lossless') === 'true';
    }, [OUTPUT, after] as const, { timeout: 30_000, polling: 100 });
  } catch (e) {
    throw new Error(`no lossless frame after frame ${after}; the view: ${await viewState(page.locator(OUTPUT))}`, { cause: e });
  }
  return screenshotPixels(canvas);
}

/**
 * Does `act` to the live view and checks that the settled picture afterwards differs from the
 * settled picture before by more than encoding noise (CHANGED_PIXELS). Returns the new picture.
 */
export async function expectPictureChange(page: Page, view: Locator, canvas: Locator, what: string, act: () => Promise<void>): Promise<Pixels> {
  // The picture before: the lossless refresh of whatever was shown last.
  await page.locator(`${OUTPUT}[data-frame-lossless="true"]`).waitFor({ state: 'attached', timeout: 30_000 });
  const start = await frameIndex(view);
  const before = await screenshotPixels(canvas);
  await act();
  const after = await settledPixels(page, canvas, start);
  expect(differingPixels(before, after), `pixels changed by ${what} (of ${before.width * before.height})`).toBeGreaterThan(CHANGED_PIXELS);
  return after;
}

/** A drag of 60 px to the right: the notebook's handler rotates the pinwheel by 0.6 rad (away from its six-fold symmetry). */
export async function drag(page: Page, canvas: Locator): Promise<void> {
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + 150, box.y + 150);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await page.mouse.move(box.x + 150 + 10 * i, box.y + 150 + 2 * i, { steps: 2 });
  await page.mouse.up();
}

/**
 * Restarts the notebook's kernel and checks that the view then says "disconnected" and still
 * shows its last frame: the settled backing store after the lossless refresh (which comes last,
 * once the canvas is idle), unchanged.
 */
export async function expectRestartKeepsLastFrame(page: Page, canvas: Locator): Promise<void> {
  await page.locator(`${OUTPUT}[data-frame-lossless="true"]`).waitFor({ state: 'attached', timeout: 30_000 });
  const last = await settledBackingStore(page, canvas);
  await page.evaluate(() => window.lab.shell.currentWidget!.sessionContext!.session!.kernel!.restart());
  // The view notices at once; once the new kernel answers that it has no such canvas, it gives
  // the brief notice and stops retrying ("disconnected" may be over before a poll sees it).
  await page.locator(`${OUTPUT}[data-status="ended"]`).waitFor({ state: 'attached', timeout: 30_000 });
  expect(await page.locator(`${OUTPUT} .dawn-rfb-status`).textContent()).toBe('kernel restarted: re-run the cell');
  expect(await backingStore(canvas)).toBe(last);
}

/** The view's data-* attributes, for failure messages. */
export const viewState = (view: Locator): Promise<string> =>
  view.evaluate((el) => JSON.stringify((el as unknown as { dataset: Record<string, string> }).dataset));

/**
 * Resizes the output element to `width` x `height` CSS pixels and waits until the view shows a
 * frame of that size (the page's device pixel ratio is 1).
 */
export async function expectResizedFrames(page: Page, view: Locator, width: number, height: number): Promise<void> {
  await view.evaluate((el, [w, h]) => {
    const style = (el as unknown as { style: Record<string, string> }).style;
    style.width = `${w}px`;
    style.height = `${h}px`;
  }, [width, height] as const);
  const size = `${width}x${height}`;
  try {
    await page.waitForFunction(([sel, s]) => document.querySelector(sel as string)!.getAttribute('data-frame-size') === s, [OUTPUT, size] as const, { timeout: 30_000, polling: 100 });
  } catch (e) {
    throw new Error(`no ${size} frame after the resize; the view: ${await viewState(view)}`, { cause: e });
  }
  const canvasSize = await view.locator('canvas').evaluate((c) => `${(c as unknown as { width: number }).width}x${(c as unknown as { height: number }).height}`);
  expect(canvasSize, 'the canvas backing store').toBe(size);
}
