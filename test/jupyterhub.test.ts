// JupyterHub: Debian's JupyterHub 3.0 (DummyAuthenticator, SimpleLocalProcessSpawner, the
// single-user server as Jupyter Notebook 6, configurable-http-proxy in front) with the "dawn-rfb"
// kernelspec. Chromium logs in, opens a copy of 02-interactive-scene.ipynb under /user/<name>/ and
// runs all cells. The kernel gets DAWN_RFB_URL_TEMPLATE pointing at a closed port (the canvas
// server unreachable, as on a hub without jupyter-server-proxy), so the view must go live through
// the Jupyter path, behind the hub's proxy and base URL; a drag rotates the pinwheel.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM_ARGS, freePort, stopProcess } from './helpers/browser.js';

interface NbCell { cell_type: string; input_prompt_number?: number | string | null }
declare const Jupyter: {
  notebook?: {
    _fully_loaded: boolean;
    kernel: { name: string; is_connected(): boolean } | null;
    set_autosave_interval(ms: number): void;
    execute_all_cells(): void;
    get_cells(): NbCell[];
  };
} | undefined;
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

const root = resolve(import.meta.dirname, '..');
const notebooksDir = join(root, 'notebooks');
const PYTHON = '/usr/bin/python3';
const SETUP_HINT = 'run `node scripts/setup.mjs --browser --jupyter-tests` first';
const user = 'alice';

let work = '';
let workDir = '';
let notebookPath = '';
let port = 0;
let hub: ChildProcess | undefined;
let hubLog = '';
let browser: Browser | undefined;


beforeAll(async () => {
  execFileSync(PYTHON, ['-c', 'import jupyterhub, notebook'], { stdio: 'ignore' });
  if (!existsSync('/usr/bin/configurable-http-proxy')) throw new Error(`no configurable-http-proxy: ${SETUP_HINT}`);
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  work = mkdtempSync(join(tmpdir(), 'dawn-rfb-hub-'));
  execFileSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'kernel', 'install', '--prefix', work], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const d of ['data', 'runtime', 'home']) mkdirSync(join(work, d));
  const folder = `hub-${randomBytes(6).toString('hex')}`;
  workDir = join(notebooksDir, folder);
  mkdirSync(workDir);
  copyFileSync(join(notebooksDir, '02-interactive-scene.ipynb'), join(workDir, '02-interactive-scene.ipynb'));
  notebookPath = `${folder}/02-interactive-scene.ipynb`;
  port = await freePort();
  const [hubPort, proxyApi, closed] = [await freePort(), await freePort(), await freePort()];
  const config = join(work, 'jupyterhub_config.py');
  writeFileSync(config, `
c = get_config()  # noqa
c.JupyterHub.bind_url = 'http://127.0.0.1:${port}'
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = ${hubPort}
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:${proxyApi}'
c.ConfigurableHTTPProxy.pid_file = ${JSON.stringify(join(work, 'proxy.pid'))}
c.JupyterHub.db_url = ${JSON.stringify(`sqlite:///${join(work, 'hub.sqlite')}`)}
c.JupyterHub.cookie_secret_file = ${JSON.stringify(join(work, 'cookie_secret'))}
c.JupyterHub.authenticator_class = 'dummy'
c.JupyterHub.spawner_class = 'simple'
c.SimpleLocalProcessSpawner.home_dir_template = ${JSON.stringify(join(work, 'home', '{username}'))}
c.Spawner.cmd = [${JSON.stringify(PYTHON)}, '-m', 'jupyterhub.singleuser']
c.Spawner.args = ['--allow-root']
c.Spawner.notebook_dir = ${JSON.stringify(notebooksDir)}
c.Spawner.default_url = '/tree'
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    'JUPYTERHUB_SINGLEUSER_APP': 'notebook.notebookapp.NotebookApp',
    'JUPYTER_PATH': ${JSON.stringify(join(work, 'share', 'jupyter'))},
    'JUPYTER_DATA_DIR': ${JSON.stringify(join(work, 'data'))},
    'JUPYTER_RUNTIME_DIR': ${JSON.stringify(join(work, 'runtime'))},
    'XDG_RUNTIME_DIR': '/tmp',
    'PATH': ${JSON.stringify(process.env.PATH ?? '/usr/bin:/bin')},
    'DAWN_RFB_URL_TEMPLATE': 'ws://127.0.0.1:${closed}',
}
`);
  // Debian's configurable-http-proxy finds its modules (commander…) in Debian's Node path, which a
  // Node.js from elsewhere does not search.
  const nodePath = ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(':');
  hub = spawn(PYTHON, ['-m', 'jupyterhub', '-f', config], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NODE_PATH: nodePath } });
  const keep = (d: Buffer) => { hubLog = (hubLog + String(d)).slice(-40_000); };
  hub.stdout!.on('data', keep);
  hub.stderr!.on('data', keep);
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/hub/api`)).ok) break; } catch { /* starting */ }
    if (i > 300 || hub.exitCode != null) throw new Error(`JupyterHub did not start:\n${hubLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await stopProcess(hub, 20_000);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
}, 40_000);

test('JupyterHub: the notebook under /user/<name>/ goes live over the Jupyter path; a drag rotates the scene', async () => {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`http://127.0.0.1:${port}/hub/login`);
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', 'any');
  await Promise.all([page.waitForURL(new RegExp(`/user/${user}/`), { timeout: 120_000 }), page.click('input[type="submit"], button[type="submit"]')]);
  await page.goto(`http://127.0.0.1:${port}/user/${user}/notebooks/${notebookPath}`);
  await page.waitForFunction(() => {
    const nb = typeof Jupyter === 'undefined' ? undefined : Jupyter?.notebook;
    return Boolean(nb?._fully_loaded && nb.kernel?.is_connected());
  }, undefined, { timeout: 60_000 });
  expect(await page.evaluate(() => Jupyter!.notebook!.kernel!.name)).toBe('dawn-rfb');
  await page.evaluate(() => { Jupyter!.notebook!.set_autosave_interval(0); });
  await page.evaluate(() => { Jupyter!.notebook!.execute_all_cells(); });

  const view = page.locator('.dawn-rfb-output[data-status="live"][data-frame-index]');
  await view.waitFor({ timeout: 150_000 });
  expect(await view.getAttribute('data-transport')).toBe('jupyter');
  const canvas = page.locator('.dawn-rfb-output canvas');
  await canvas.scrollIntoViewIfNeeded();
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
  expect(pageErrors).toEqual([]);
  await page.close();
}, 300_000);
