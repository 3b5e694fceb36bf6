// What the Jupyter browser suites share (jupyter-e2e, jupyter-tunnel, jupyterhub: Notebook 6;
// jupyterlab, jupyterlab4 through helpers/lab.ts; jupyter-server-path): a prefix with the
// "dawn-rfb" kernelspec and Jupyter's folders of its own; a copy of a notebook in a fresh folder
// of notebooks/; a server process started until its API answers and stopped with its kernels;
// Chromium; one teardown list per suite; Notebook 6's page run until the view is live; and the
// checks on the view, each waiting on a fact the widget states (data-frame-index,
// data-frame-lossless, data-frame-size, data-status), never on a fixed time: a late lossless
// refresh alone changes the picture, so a picture is compared only once it is lossless.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { backingStore, CHROMIUM_ARGS, deleteKernels, stopProcess } from './browser.js';
import { differingPixels, screenshotPixels, type Pixels } from './screenshots.js';

// These callbacks run in the page; the project's type check has no DOM lib (it would clash with
// @webgpu/types), so the little of the DOM and of Notebook 6's front end they use is declared here.
interface NbOutput { output_type: string; name?: string; text?: string; ename?: string; evalue?: string }
interface NbCell { cell_type: string; input_prompt_number?: number | string | null; output_area: { outputs: NbOutput[] } }
declare const Jupyter: {
  notebook?: {
    _fully_loaded: boolean;
    kernel: { name: string; is_connected(): boolean } | null;
    set_autosave_interval(ms: number): void;
    execute_all_cells(): void;
    get_cells(): NbCell[];
  };
} | undefined;
declare const document: {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
};

export const root = resolve(import.meta.dirname, '..', '..');
export const notebooksDir = join(root, 'notebooks');
/** Debian's Python, which has Jupyter (python3 on PATH may be another one). */
export const PYTHON = '/usr/bin/python3';
export const SETUP_HINT = 'run `node scripts/setup.mjs --browser --jupyter-tests` first';
/** The widget's root element in the notebook's output. */
export const OUTPUT = '.dawn-rfb-output';
/** Pixels (of 400x300 = 120000) a drag or a palette change must change at least; JPEG noise stays far below. */
export const CHANGED_PIXELS = 5000;

/**
 * What a suite set up, undone in reverse order by run() in its afterAll. Every step runs even
 * when an earlier one throws; the first error is thrown at the end.
 */
export class Teardown {
  readonly #steps: (() => unknown)[] = [];

  /** Adds a step (sync or async); the last added runs first. */
  add(step: () => unknown): void {
    this.#steps.push(step);
  }

  /** Runs every step, newest first, and forgets them. */
  async run(): Promise<void> {
    let first: unknown;
    for (const step of this.#steps.splice(0).reverse()) {
      try { await step(); } catch (e) { first ??= e; }
    }
    if (first !== undefined) throw first;
  }
}

/** Chromium as the browser suites launch it (Debian's, headless; see CHROMIUM_ARGS); `teardown` closes it. */
export async function launchChromium(teardown: Teardown): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  teardown.add(() => browser.close().catch(() => {}));
  return browser;
}

/** A prefix with the "dawn-rfb" kernelspec (share/jupyter) and Jupyter's data, runtime and config folders. */
export interface KernelPrefix {
  dir: string;
  /** The environment that makes a Jupyter server find the kernelspec first and read or write nothing of $HOME. */
  env: Record<string, string>;
}

/** Makes a KernelPrefix in the temp folder (`tag` names it); `teardown` removes it. */
export function kernelPrefix(tag: string, teardown: Teardown): KernelPrefix {
  const dir = mkdtempSync(join(tmpdir(), `dawn-rfb-${tag}-`));
  teardown.add(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'kernel', 'install', '--prefix', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const d of ['data', 'runtime', 'config']) mkdirSync(join(dir, d));
  return {
    dir,
    env: {
      JUPYTER_PATH: join(dir, 'share', 'jupyter'), JUPYTER_DATA_DIR: join(dir, 'data'),
      JUPYTER_RUNTIME_DIR: join(dir, 'runtime'), JUPYTER_CONFIG_DIR: join(dir, 'config'), XDG_RUNTIME_DIR: '/tmp',
    },
  };
}

/**
 * Copies notebooks/<name> into a fresh folder `<tag>-<hex>` of notebooks/ and returns its path
 * relative to notebooks/ (as Jupyter's URLs name it); `teardown` removes the folder. Below
 * notebooks/, the kernel still resolves 'dawn-rfb' through notebooks/node_modules; in a folder of
 * its own, notebooks.test.ts (which expects only the example notebooks in notebooks/ itself)
 * does not see it. Jupyter writes nothing else under notebooks/ (autosave is off; checkpoints
 * would land in the folder).
 */
export function copyNotebook(tag: string, teardown: Teardown, name = '02-interactive-scene.ipynb'): string {
  const folder = `${tag}-${randomBytes(6).toString('hex')}`;
  const dir = join(notebooksDir, folder);
  mkdirSync(dir);
  teardown.add(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(notebooksDir, name), join(dir, name));
  return `${folder}/${name}`;
}

/** A server process of a suite (Jupyter Notebook, jupyter_server, a JupyterLab app, JupyterHub). */
export interface JupyterServer {
  /** Where the browser and the suite reach it: http://host:port (through any relay). */
  base: string;
  token: string;
  /** A URL of the server's, with the token. */
  api(path: string): string;
  /** The server's last output, for failure messages. */
  log(): string;
  /** Shuts its kernels down through the API (they run in sessions of their own), then stops it. */
  stop(): Promise<void>;
}

/** How to start a server and how to tell that it is up. */
export interface ServerStart {
  /** For messages: "Jupyter Notebook", "JupyterHub", ... */
  what: string;
  command: string;
  args: string[];
  /** Added to this process's environment. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Where it answers; see JupyterServer.base. */
  base: string;
  /** The server's token ('' for none: JupyterHub, whose kernels its single-user server stops). */
  token: string;
  /** The path that answers 200 once it is up (default /api/status, with the token). */
  readyPath?: string;
  startTimeoutMs?: number;
  /** How long it may take to stop after SIGTERM (it stops its kernels) before SIGKILL. */
  graceMs?: number;
}

/** Starts a server and waits until readyPath answers; `teardown` stops it (and its kernels). */
export async function startServer(start: ServerStart, teardown: Teardown): Promise<JupyterServer> {
  const proc: ChildProcess = spawn(start.command, start.args, { cwd: start.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...start.env } });
  let log = '';
  const keep = (d: Buffer) => { log = (log + String(d)).slice(-40_000); };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const { base, token } = start;
  const api = (p: string): string => (token ? `${base}${p}${p.includes('?') ? '&' : '?'}token=${token}` : `${base}${p}`);
  const running = (): boolean => proc.exitCode == null && proc.signalCode == null;
  const stop = async (): Promise<void> => {
    if (running() && token) await deleteKernels(api);
    await stopProcess(proc, start.graceMs ?? 10_000);
  };
  teardown.add(stop);
  const deadline = Date.now() + (start.startTimeoutMs ?? 40_000);
  for (;;) {
    if (!running()) throw new Error(`${start.what} exited before it answered (${proc.exitCode ?? proc.signalCode}):\n${log}`);
    try { if ((await fetch(api(start.readyPath ?? '/api/status'))).ok) break; } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`${start.what} did not answer at ${base}:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, token, api, log: () => log, stop };
}

/** A page of the suite's browser and the uncaught errors in it. */
export async function openPage(browser: Browser): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e.stack ?? e)));
  return { page, pageErrors };
}

/** A notebook's live view in a page. */
export interface LiveView {
  /** The widget's root (the output element). */
  view: Locator;
  /** The widget's canvas. */
  canvas: Locator;
}

/**
 * Scrolls the page's one view into view and waits until it is live (a first frame shown).
 * One canvas shown once: one view in the page (freeze() replaced its output in place).
 */
export async function liveView(page: Page, timeout: number): Promise<LiveView> {
  // After a run of all cells JupyterLab 4 and Notebook 7 show the last cell, and may leave a cell
  // out of the viewport unrendered (their notebook windowing): a view there reports a zero size,
  // hidden, and the canvas sends it no frame (seen: canvas.stats() with one view, visible: false,
  // 0 frames sent). As a user would, bring it into view first.
  await page.locator(OUTPUT).first().scrollIntoViewIfNeeded({ timeout });
  await page.locator(`${OUTPUT}[data-status="live"][data-frame-index]`).first().waitFor({ state: 'attached', timeout });
  expect(await page.locator(OUTPUT).count()).toBe(1);
  const view = page.locator(OUTPUT);
  const canvas = view.locator('canvas');
  await canvas.scrollIntoViewIfNeeded();
  return { view, canvas };
}

/** Every stderr and error text of a Notebook 6 page's cells. */
export const cellErrors = (page: Page): Promise<string[]> => page.evaluate(() => Jupyter!.notebook!.get_cells().flatMap((c, i: number) =>
  c.cell_type !== 'code' ? [] : c.output_area.outputs
    .filter((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'))
    .map((o) => `cell ${i}: ${o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : o.text}`)));

/**
 * Opens a notebook in Notebook 6's page at `url` (with the token, or after a log-in), checks that
 * its kernel is "dawn-rfb", turns autosave off (nothing of the session may be saved), runs all
 * cells, waits until every code cell ran and checks that none failed or wrote to stderr, then
 * waits for the live view.
 */
export async function runNotebook6(page: Page, url: string, { loadTimeout = 60_000, runTimeout = 150_000, liveTimeout = 30_000 } = {}): Promise<LiveView> {
  await page.goto(url);
  await page.waitForFunction(() => {
    const nb = typeof Jupyter === 'undefined' ? undefined : Jupyter?.notebook;
    return Boolean(nb?._fully_loaded && nb.kernel?.is_connected());
  }, undefined, { timeout: loadTimeout });
  expect(await page.evaluate(() => Jupyter!.notebook!.kernel!.name)).toBe('dawn-rfb');
  await page.evaluate(() => { Jupyter!.notebook!.set_autosave_interval(0); });
  await page.evaluate(() => { Jupyter!.notebook!.execute_all_cells(); });
  // Kernel start, tslab's compile of every cell, the first frames: ~15 s alone, more under load.
  await page.waitForFunction(() => Jupyter!.notebook!.get_cells().every((c) =>
    c.cell_type !== 'code' || (c.input_prompt_number !== '*' && c.input_prompt_number != null)), undefined, { timeout: runTimeout, polling: 250 });
  expect(await cellErrors(page), 'cells that failed or wrote to stderr').toEqual([]);
  return liveView(page, liveTimeout);
}

/** The view's last frame index (data-frame-index). */
export const frameIndex = async (view: Locator): Promise<number> => Number(await view.getAttribute('data-frame-index'));

/** The view's data-* attributes, for failure messages. */
export const viewState = (view: Locator): Promise<string> =>
  view.evaluate((el) => JSON.stringify((el as unknown as { dataset: Record<string, string> }).dataset));

/** Waits until the view at `selector` shows a frame newer than `index`; returns the new index. */
export async function newerFrame(page: Page, index: number, { selector = OUTPUT, timeout = 20_000 } = {}): Promise<number> {
  await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel as string)?.getAttribute('data-frame-index')) > (n as number),
    [selector, index] as const, { timeout, polling: 100 });
  return frameIndex(page.locator(selector));
}

/**
 * Waits until the view shows a frame after frame `after` (-1: any) that is the lossless refresh
 * (data-frame-lossless="true") and returns its index. The canvas sends it once it has been idle,
 * always whole, and sends nothing after it until a draw is asked for: it is what the scene
 * settled on, free of JPEG noise.
 */
export async function losslessFrame(page: Page, after = -1): Promise<number> {
  try {
    const handle = await page.waitForFunction(([sel, n]) => {
      const el = document.querySelector(sel as string);
      const index = Number(el?.getAttribute('data-frame-index'));
      // A string, never falsy: waitForFunction waits for a truthy value.
      return index > (n as number) && el?.getAttribute('data-frame-lossless') === 'true' ? String(index) : false;
    }, [OUTPUT, after] as const, { timeout: 30_000, polling: 100 });
    return Number(await handle.jsonValue());
  } catch (e) {
    throw new Error(`no lossless frame after frame ${after}; the view: ${await viewState(page.locator(OUTPUT))}`, { cause: e });
  }
}

/**
 * Does `act` to the live view and checks that the lossless picture afterwards (a lossless frame
 * newer than the one before) differs from the lossless picture before by more than `atLeast`
 * pixels (encoding noise stays far below CHANGED_PIXELS). Returns the new picture.
 */
export async function expectPictureChange(page: Page, canvas: Locator, what: string, act: () => Promise<void>, atLeast = CHANGED_PIXELS): Promise<Pixels> {
  const start = await losslessFrame(page);
  const before = await screenshotPixels(canvas);
  await act();
  await losslessFrame(page, start);
  const after = await screenshotPixels(canvas);
  expect(differingPixels(before, after), `pixels changed by ${what} (of ${before.width * before.height})`).toBeGreaterThan(atLeast);
  return after;
}

/** A drag of 60 px to the right: the notebook's handler rotates the pinwheel by 0.6 rad (away from its six-fold symmetry). */
export async function drag(page: Page, canvas: Locator): Promise<void> {
  // The mouse goes where the canvas is on screen: bring it into view (the front end may have
  // scrolled), and check that the canvas is what the pointer is on (a front end still laying out
  // can move it; a drag elsewhere would only show as a missing frame, 30 s later).
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  const onCanvas = await canvas.evaluate((el, [x, y]) => {
    const hit = (el as unknown as { ownerDocument: { elementFromPoint(x: number, y: number): unknown } }).ownerDocument.elementFromPoint(x!, y!);
    return hit === el;
  }, [box.x + 150, box.y + 150]);
  if (!onCanvas) throw new Error(`the drag's start (${box.x + 150}, ${box.y + 150}) is not on the view's canvas (box ${JSON.stringify(box)})`);
  await page.mouse.move(box.x + 150, box.y + 150);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await page.mouse.move(box.x + 150 + 10 * i, box.y + 150 + 2 * i, { steps: 2 });
  await page.mouse.up();
}

/**
 * The check every Jupyter suite makes of a drag on 02-interactive-scene's view: the drag
 * rotates the pinwheel, seen in the lossless pictures before and after (expectPictureChange).
 * Returns the picture after.
 */
export const dragRotates = (page: Page, canvas: Locator): Promise<Pixels> =>
  expectPictureChange(page, canvas, 'the drag', () => drag(page, canvas));

/**
 * Restarts the notebook's kernel with `restart` and checks that the view then says "kernel
 * restarted: re-run the cell" and still shows its last frame: the backing store of the lossless
 * refresh (the last frame the canvas sends while idle), unchanged.
 */
export async function expectRestartKeepsLastFrame(page: Page, canvas: Locator, restart: () => Promise<void>): Promise<void> {
  // The last frame: a lossless one that stays the newest for a second (a kernel still working
  // through a flood of messages can send a frame more after a refresh; a CI run saw one).
  for (let index = await losslessFrame(page); ; ) {
    await new Promise((r) => setTimeout(r, 1000)); // the rule is about time: "stays" is for a while
    const now = await frameIndex(page.locator(OUTPUT).first());
    if (now === index) break;
    index = await losslessFrame(page, now - 1);
  }
  const last = await backingStore(canvas);
  await restart();
  // The view notices at once; once the new kernel answers that it has no such canvas, it gives
  // the brief notice and stops retrying ("disconnected" may be over before a poll sees it).
  // The new kernel must start first: under a full CI run's load that took over 30 s once.
  await page.locator(`${OUTPUT}[data-status="ended"]`).waitFor({ state: 'attached', timeout: 60_000 }).catch(async (e: unknown) => {
    const status = await page.locator(`${OUTPUT} .dawn-rfb-status`).textContent().catch(() => null);
    throw new Error(`the view did not end after the kernel restart; the view: ${await viewState(page.locator(OUTPUT))}, its status line: ${JSON.stringify(status)}`, { cause: e });
  });
  expect(await page.locator(`${OUTPUT} .dawn-rfb-status`).textContent()).toBe('kernel restarted: re-run the cell');
  expect(await backingStore(canvas)).toBe(last);
}

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
