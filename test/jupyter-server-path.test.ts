// The Jupyter path as JupyterLab, Notebook 7 and JupyterHub pages take it: a websocket of the
// widget's own to `<base>api/kernels/<id>/channels` of Debian's jupyter_server 1.23 (the server
// JupyterLab 3 runs on), authenticated with the token from the page's #jupyter-config-data, as
// JupyterLab's page carries it. A dawn-rfb kernel started through the server's REST API shows a
// canvas; Chromium, on a page of the server's origin with that page config, mounts the output's
// view with the canvas server's port made unreachable (as behind a tunnel): the view goes live
// over the Jupyter path, a key reaches the canvas's handler, and a resize gives a frame of the new
// size. Needs `node scripts/setup.mjs --browser --jupyter-tests` (python3-jupyter-server, Chromium).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from './helpers/browser.js';
import { kernelPrefix, launchChromium, newerFrame, notebooksDir, openPage, PYTHON, root, SETUP_HINT, startServer, Teardown, type JupyterServer } from './helpers/jupyter.js';

declare const document: {
  querySelector(selector: string): { getAttribute(name: string): string | null; style: Record<string, string> } | null;
  createElement(tag: string): { id: string; type: string; textContent: string; style: Record<string, string> };
  head: { appendChild(e: unknown): void };
  body: { appendChild(e: unknown): void };
};
declare const window: { DawnRfb: { mount(el: unknown, options: unknown): unknown } };

const token = randomBytes(24).toString('hex');
const hex = (): string => randomBytes(16).toString('hex');

const teardown = new Teardown();
let server: JupyterServer | undefined;
let browser: Browser | undefined;
let channels: WebSocket | undefined;
let kernelId = '';
const session = hex();


interface JupyterMessage { msg_type: string; parent_header: { msg_id?: string }; content: Record<string, unknown> }

/** Runs code in the kernel over our own channels websocket; stdout, stderr and display data. */
function execute(code: string): Promise<{ stdout: string; stderr: string; displays: Record<string, string>[] }> {
  return new Promise((done) => {
    const id = hex();
    const out = { stdout: '', stderr: '', displays: [] as Record<string, string>[] };
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      if (isBinary) return;
      const msg = JSON.parse(String(data)) as JupyterMessage;
      if (msg.parent_header.msg_id !== id) return;
      if (msg.msg_type === 'stream') out[msg.content.name as 'stdout' | 'stderr'] += msg.content.text as string;
      if (msg.msg_type === 'display_data') out.displays.push(msg.content.data as Record<string, string>);
      if (msg.msg_type === 'status' && msg.content.execution_state === 'idle') {
        channels!.off('message', onMessage);
        done(out);
      }
    };
    channels!.on('message', onMessage);
    channels!.send(JSON.stringify({
      header: { msg_id: id, msg_type: 'execute_request', username: '', session, date: new Date().toISOString(), version: '5.3' },
      parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
      content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false },
    }));
  });
}

beforeAll(async () => {
  const check = execFileSync(PYTHON, ['-c', 'import jupyter_server; print(jupyter_server.__version__)'], { encoding: 'utf8' });
  expect(check.trim(), `jupyter_server for ${PYTHON}: ${SETUP_HINT}`).toMatch(/^[12]\./);
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  const prefix = kernelPrefix('jserver', teardown);
  const port = await freePort();
  server = await startServer({
    what: 'jupyter_server', command: PYTHON, cwd: notebooksDir, env: prefix.env, base: `http://127.0.0.1:${port}`, token,
    args: ['-m', 'jupyter_server', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--ServerApp.port_retries=0',
      `--ServerApp.root_dir=${notebooksDir}`, `--ServerApp.token=${token}`, '--allow-root'],
  }, teardown);
  // (The server's stop shuts the kernel down through the API.)
  const kernel = await (await fetch(server.api('/api/kernels'), { method: 'POST', body: JSON.stringify({ name: 'dawn-rfb' }) })).json() as { id: string };
  kernelId = kernel.id;
  channels = new WebSocket(`ws://127.0.0.1:${port}/api/kernels/${kernelId}/channels?session_id=${session}&token=${token}`);
  teardown.add(() => channels?.close());
  await new Promise((r, j) => { channels!.once('open', r); channels!.once('error', j); });
  browser = await launchChromium(teardown);
}, 90_000);

afterAll(() => teardown.run(), 30_000);

test('a view in a jupyter_server page goes live over the kernel channels websocket; key and resize work', async () => {
  const shown = await execute(`
import { RemoteCanvas, getDefaultDevice } from 'dawn-rfb';
const device = await getDefaultDevice();
const canvas = new RemoteCanvas({ size: [64, 48] });
const context = canvas.getContext();
context.configure({ device: device, format: 'rgba8unorm' });
const state = { color: [1, 0, 0, 1], keys: [] as string[] };
canvas.requestDraw(() => {
  const encoder = device.createCommandEncoder();
  const [r, g, b, a] = state.color;
  encoder.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: { r, g, b, a } }] }).end();
  device.queue.submit([encoder.finish()]);
});
canvas.addEventHandler((e) => { state.keys.push((e as { key: string }).key); state.color = [0, 0, 1, 1]; canvas.requestDraw(); }, 'key_down');
await canvas.show();`);
  expect(shown.stderr).toBe('');
  const html = shown.displays.find((d) => d['text/html'])?.['text/html'] ?? '';
  const options = JSON.parse(/\n(\[\[.*\]\])\.forEach/.exec(html)![1]!)[0][1] as { port: number; comm: { kernelId: string } };
  expect(options.comm.kernelId).toBe(kernelId);
  // As behind a tunnel: the canvas server's port does not answer.
  options.port = await freePort();

  const { page, pageErrors } = await openPage(browser!);
  // Any page of the server's origin; JupyterLab's page carries its config (base URL, token) like this.
  // (The API's own responses forbid scripts; the server's HTML pages, here its 404 page, do not.)
  await page.goto(`${server!.base}/dawn-rfb-test-page`);
  await page.evaluate((t) => {
    const config = document.createElement('script');
    config.id = 'jupyter-config-data';
    config.type = 'application/json';
    config.textContent = JSON.stringify({ baseUrl: '/', token: t });
    document.head.appendChild(config);
  }, token);
  await page.addScriptTag({ content: readFileSync(join(root, 'widget', 'dist', 'widget.js'), 'utf8') });
  await page.evaluate((o) => {
    const el = document.createElement('div');
    el.id = 'view';
    document.body.appendChild(el);
    window.DawnRfb.mount(el, { server: o });
  }, options);
  const view = page.locator('#view[data-status="live"][data-frame-index]');
  await view.waitFor({ timeout: 30_000 });
  expect(await view.getAttribute('data-transport')).toBe('jupyter');
  expect(await view.getAttribute('data-frame-size')).toBe('64x48');

  // A key reaches the handler in the kernel.
  const index = Number(await view.getAttribute('data-frame-index'));
  await view.locator('canvas').click();
  await page.keyboard.press('x');
  await newerFrame(page, index, { selector: '#view' });
  const keys = await execute('console.log(JSON.stringify(state.keys))');
  expect(keys.stdout.trim()).toBe('["x"]');

  // A resize gives a frame of the new size.
  await page.evaluate(() => { const el = document.querySelector('#view')!; el.style.width = '100px'; el.style.height = '60px'; });
  await page.waitForFunction(() => document.querySelector('#view')!.getAttribute('data-frame-size') === '100x60', undefined, { timeout: 20_000 });
  expect(pageErrors).toEqual([]);
  await page.close();
}, 120_000);
