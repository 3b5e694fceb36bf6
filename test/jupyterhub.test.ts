// JupyterHub: Debian's JupyterHub 3.0 (DummyAuthenticator, SimpleLocalProcessSpawner, the
// single-user server as Jupyter Notebook 6, configurable-http-proxy in front) with the "dawn-rfb"
// kernelspec. Chromium logs in, opens a copy of 02-interactive-scene.ipynb under /user/<name>/ and
// runs all cells. The kernel gets DAWN_RFB_URL_TEMPLATE pointing at a closed port (the canvas
// server unreachable, as on a hub without jupyter-server-proxy), so the view must go live through
// the Jupyter path, behind the hub's proxy and base URL; a drag rotates the pinwheel (checked on
// the pixels of lossless frames: helpers/jupyter.ts, which has the set-up pieces too).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from './helpers/browser.js';
import {
  copyNotebook, dragRotates, kernelPrefix, launchChromium, notebooksDir, openPage, PYTHON, runNotebook6, SETUP_HINT, startServer, Teardown, type JupyterServer,
} from './helpers/jupyter.js';

const user = 'alice';

const teardown = new Teardown();
let notebookPath = '';
let hub: JupyterServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  execFileSync(PYTHON, ['-c', 'import jupyterhub, notebook'], { stdio: 'ignore' });
  if (!existsSync('/usr/bin/configurable-http-proxy')) throw new Error(`no configurable-http-proxy: ${SETUP_HINT}`);
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  const work = kernelPrefix('hub', teardown);
  mkdirSync(join(work.dir, 'home'));
  notebookPath = copyNotebook('hub', teardown);
  const [port, hubPort, proxyApi, closed] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = join(work.dir, 'jupyterhub_config.py');
  writeFileSync(config, `
c = get_config()  # noqa
c.JupyterHub.bind_url = 'http://127.0.0.1:${port}'
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = ${hubPort}
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:${proxyApi}'
c.ConfigurableHTTPProxy.pid_file = ${JSON.stringify(join(work.dir, 'proxy.pid'))}
c.JupyterHub.db_url = ${JSON.stringify(`sqlite:///${join(work.dir, 'hub.sqlite')}`)}
c.JupyterHub.cookie_secret_file = ${JSON.stringify(join(work.dir, 'cookie_secret'))}
c.JupyterHub.authenticator_class = 'dummy'
c.JupyterHub.spawner_class = 'simple'
c.SimpleLocalProcessSpawner.home_dir_template = ${JSON.stringify(join(work.dir, 'home', '{username}'))}
c.Spawner.cmd = [${JSON.stringify(PYTHON)}, '-m', 'jupyterhub.singleuser']
c.Spawner.args = ['--allow-root']
c.Spawner.notebook_dir = ${JSON.stringify(notebooksDir)}
c.Spawner.default_url = '/tree'
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    'JUPYTERHUB_SINGLEUSER_APP': 'notebook.notebookapp.NotebookApp',
    'JUPYTER_PATH': ${JSON.stringify(work.env.JUPYTER_PATH)},
    'JUPYTER_DATA_DIR': ${JSON.stringify(work.env.JUPYTER_DATA_DIR)},
    'JUPYTER_RUNTIME_DIR': ${JSON.stringify(work.env.JUPYTER_RUNTIME_DIR)},
    'XDG_RUNTIME_DIR': '/tmp',
    'PATH': ${JSON.stringify(process.env.PATH ?? '/usr/bin:/bin')},
    'DAWN_RFB_URL_TEMPLATE': 'ws://127.0.0.1:${closed}',
}
`);
  // Debian's configurable-http-proxy finds its modules (commander…) in Debian's Node path, which a
  // Node.js from elsewhere does not search.
  const nodePath = ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(':');
  // The hub has no token of ours: the single-user server it spawns stops its kernels when the hub stops it.
  [hub, browser] = await Promise.all([
    startServer({
      what: 'JupyterHub', command: PYTHON, args: ['-m', 'jupyterhub', '-f', config], cwd: work.dir, env: { XDG_RUNTIME_DIR: '/tmp', NODE_PATH: nodePath },
      base: `http://127.0.0.1:${port}`, token: '', readyPath: '/hub/api', startTimeoutMs: 60_000, graceMs: 20_000,
    }, teardown),
    launchChromium(teardown),
  ]);
}, 120_000);

afterAll(() => teardown.run(), 40_000);

test('JupyterHub: the notebook under /user/<name>/ goes live over the Jupyter path; a drag rotates the scene', async () => {
  const { page, pageErrors } = await openPage(browser!);
  await page.goto(`${hub!.base}/hub/login`);
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', 'any');
  await Promise.all([page.waitForURL(new RegExp(`/user/${user}/`), { timeout: 120_000 }), page.click('input[type="submit"], button[type="submit"]')]);
  const { view, canvas } = await runNotebook6(page, `${hub!.base}/user/${user}/notebooks/${notebookPath}`);
  expect(await view.getAttribute('data-transport')).toBe('jupyter');
  await dragRotates(page, canvas);
  expect(pageErrors).toEqual([]);
  await page.close();
}, 300_000);
