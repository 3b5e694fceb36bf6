// What the JupyterLab suites share (test/jupyterlab.test.ts: JupyterLab 3.6 from test/lab/,
// test/jupyterlab4.test.ts: JupyterLab 4 and Notebook 7 from test/lab4/): a front end assembled
// from npm (its page sets window.lab to the application and body[data-lab-ready]), served by
// Debian's jupyterlab_server (the app's script, its LabServerApp declared in
// test/helpers/lab_app.py) with the "dawn-rfb" kernelspec in a prefix of its own, on a copy of
// 02-interactive-scene.ipynb in a fresh folder of notebooks/; opening that notebook in Chromium
// and running all its cells until the view is live; and restarting its kernel. The set-up pieces
// and the checks on the view (pixels of lossless frames, not timings) are helpers/jupyter.ts's,
// shared with the Notebook 6 and JupyterHub suites.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { freePort } from './browser.js';
import { copyNotebook, kernelPrefix, liveView, notebooksDir, openPage, PYTHON, SETUP_HINT, startServer, Teardown, type JupyterServer } from './jupyter.js';

// These callbacks run in the page; the project's type check has no DOM lib (it would clash with
// @webgpu/types), so the little of the DOM and of JupyterLab's API they use is declared here.
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
};
interface LabFuture { onIOPub: (msg: { header: { msg_type: string }; content: { name?: string; text?: string } }) => void; done: Promise<unknown> }
interface LabKernel { name: string; status: string; restart(): Promise<void>; requestExecute(content: { code: string; store_history: boolean }): LabFuture }
interface LabCell { model: { type: string; executionCount: number | null } }
declare const window: {
  lab: {
    shell: { currentWidget: { sessionContext?: { session?: { kernel?: LabKernel | null } | null }; content?: { widgets: readonly LabCell[] } } | null };
    commands: { execute(id: string): Promise<unknown> };
  };
};

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
export interface LabServer extends JupyterServer {
  /** The notebook copy, relative to notebooks/ (as Jupyter's URLs name it). */
  notebookPath: string;
  /** The page that opens the notebook copy, with the token. */
  notebookUrl: string;
  /** Stops its kernels and the server; removes the notebook copy and the prefix. */
  stop(): Promise<void>;
}

/**
 * Starts the server of `front` (a JupyterLab or the Notebook 7 page, built in its dir's build/).
 * With `path: 'jupyter'` the kernel gets DAWN_RFB_URL_TEMPLATE pointing at a closed port,
 * so the canvas server is unreachable from the page, as behind a tunnel, and the view can only go
 * live through the Jupyter path; with 'direct' the canvas server's own port is reachable.
 * `teardown` stops it (so does its stop()).
 */
export async function startLabServer(front: FrontEnd, path: LabPath, suite: Teardown): Promise<LabServer> {
  if (!existsSync(join(front.dir, 'build', 'bundle.js'))) throw new Error(`no front-end build in ${join(front.dir, 'build')}: ${SETUP_HINT}`);
  execFileSync(PYTHON, ['-c', 'import jupyterlab_server'], { stdio: 'ignore' });
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  const teardown = new Teardown();
  suite.add(() => teardown.run());
  try {
    const prefix = kernelPrefix('lab', teardown);
    const notebookPath = copyNotebook('lab', teardown);
    const token = randomBytes(24).toString('hex');
    const port = await freePort();
    const server = await startServer({
      what: `the server of ${front.dir}/${front.script}`, command: PYTHON, cwd: notebooksDir, base: `http://127.0.0.1:${port}`, token,
      args: [join(front.dir, front.script), '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--ServerApp.port_retries=0',
        `--ServerApp.root_dir=${notebooksDir}`, `--ServerApp.token=${token}`, '--allow-root'],
      env: { ...prefix.env, DAWN_RFB_URL_TEMPLATE: path === 'jupyter' ? `ws://127.0.0.1:${await freePort()}` : undefined },
    }, teardown);
    return { ...server, notebookPath, notebookUrl: server.api(front.notebookPage(notebookPath)), stop: () => teardown.run() };
  } catch (e) {
    await teardown.run();
    throw e;
  }
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
 * cells, waits until every code cell ran, then until the one view is live (a first frame shown).
 */
export async function openLiveNotebook(browser: Browser, server: LabServer): Promise<LiveNotebook> {
  const { page, pageErrors } = await openPage(browser);
  await page.goto(server.notebookUrl);
  await page.waitForFunction(() => document.body.dataset.labReady === 'true', undefined, { timeout: 60_000 });
  await page.waitForFunction(() => window.lab.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle', undefined, { timeout: 60_000 });
  expect(await page.evaluate(() => window.lab.shell.currentWidget!.sessionContext!.session!.kernel!.name)).toBe('dawn-rfb');
  await page.evaluate(() => window.lab.commands.execute('notebook:run-all-cells'));
  // Kernel start, tslab's compile of every cell, the first frames: ~15 s alone, more under load.
  const { view, canvas } = await withCanvasStats(page, async () => {
    try {
      // Every cell first: the notebook's last cell, freeze(), rewrites the output, and the front end
      // replaces the view with a new one. A drag while that happens lands on the old view (a CI
      // run saw JupyterLab 3.6's view never draw a frame for it). Run all clears every code
      // cell's execution count at once; each comes back with its cell's reply.
      await page.waitForFunction(() => window.lab.shell.currentWidget!.content!.widgets.every((c) =>
        c.model.type !== 'code' || c.model.executionCount != null), undefined, { timeout: 120_000, polling: 250 });
      return await liveView(page, 120_000);
    } catch (e) {
      // What the cells showed instead (an error, a snapshot without its live view).
      const outputs = await page.evaluate(() => Array.from(document.querySelectorAll('.jp-OutputArea-output'), (o) => (o.textContent ?? '').trim().slice(0, 300)));
      if (e instanceof Error) e.message += `\nthe outputs: ${JSON.stringify(outputs)}\npage errors: ${JSON.stringify(pageErrors)}`;
      throw e;
    }
  });
  return { page, pageErrors, view, canvas };
}

/** Restarts the kernel of the page's notebook (for expectRestartKeepsLastFrame). */
export const restartLabKernel = (page: Page) => (): Promise<void> =>
  page.evaluate(() => window.lab.shell.currentWidget!.sessionContext!.session!.kernel!.restart());

/**
 * Runs `code` in the page's notebook kernel (a cell's scope: the notebook's `canvas` is there)
 * and returns what it printed; once the kernel has replied (execute_reply and idle), nothing waits.
 */
export const runInKernel = (page: Page, code: string): Promise<string> => page.evaluate(async (c) => {
  const future = window.lab.shell.currentWidget!.sessionContext!.session!.kernel!.requestExecute({ code: c, store_history: false });
  let out = '';
  future.onIOPub = (msg) => { if (msg.header.msg_type === 'stream') out += msg.content.text ?? ''; };
  await future.done;
  return out;
}, code);

/**
 * Runs `step`; if it fails, adds to its error what the kernel's canvas says of its views
 * (canvas.stats()): whether a second, stale view holds the canvas (see jupyterlab4.test.ts), and,
 * given the server, the end of its log (kernel starts, restarts and deaths are there).
 */
export async function withCanvasStats<T>(page: Page, step: () => Promise<T>, server?: LabServer): Promise<T> {
  try {
    return await step();
  } catch (e) {
    const stats = await Promise.race([
      runInKernel(page, 'console.log(JSON.stringify(canvas.stats()))'),
      new Promise<string>((r) => setTimeout(() => r('(no reply from the kernel within 10 s)'), 10_000)),
    ]).catch((err: unknown) => `(could not ask the kernel: ${String(err)})`);
    if (e instanceof Error) {
      e.message += `\nthe kernel's canvas.stats(): ${stats.trim()}`;
      if (server) e.message += `\nthe end of the server's log:\n${server.log().slice(-6000)}`;
    }
    throw e;
  }
}
