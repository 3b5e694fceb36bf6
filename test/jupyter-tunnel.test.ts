// A remote Jupyter reached through a tunnel that forwards only Jupyter's port, as with
// `ssh -L 8888:localhost:8888 gpu-box`. Jupyter Notebook 6 (Debian's) runs with the "dawn-rfb"
// kernelspec in a network namespace of this test's own; a TCP relay in this process plays the SSH
// tunnel: the browser (Debian's Chromium) reaches Jupyter at 127.0.0.1:<relay port>, and nothing
// else of the namespace (the kernel's canvas server listens on the namespace's loopback).
// 02-interactive-scene.ipynb is run: the view goes live over the Jupyter path (comms through the
// notebook's own kernel connection), a drag rotates the pinwheel, a key reaches the handler, a
// resize gives a frame of the new size; a second view in another Jupyter page connects through a
// kernel-channels websocket of its own, watching the same canvas; bad comm input is refused with
// clear log lines while the view keeps working; a kernel restart leaves the last frame and says to re-run the cell.
// Needs root (ip netns); Debian's Jupyter Notebook 6 and Chromium (`node scripts/setup.mjs --browser --jupyter-tests`).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM_ARGS, settledBackingStore, backingStore, stopProcess, deleteKernels } from './helpers/browser.js';
import { PROTOCOL_VERSION } from '../src/remote/protocol.js';
import { differingPixels, screenshotPixels, type Pixels } from './helpers/screenshots.js';

// The page-side code below runs in Chromium; the project's type check has no DOM lib.
interface NbOutput { output_type: string; name?: string; text?: string; ename?: string; evalue?: string; data?: Record<string, string> }
interface NbCell { cell_type: string; input_prompt_number?: number | string | null; output_area: { outputs: NbOutput[] }; set_text(t: string): void; execute(): void }
interface NbComm { on_close(cb: (msg: { content: { data: { code?: number; reason?: string } } }) => void): void; send(data: unknown, callbacks?: unknown, metadata?: unknown, buffers?: unknown[]): void; close(): void }
declare const Jupyter: {
  notebook?: {
    _fully_loaded: boolean;
    kernel: { id: string; name: string; is_connected(): boolean; restart(): void; comm_manager: { new_comm(target: string, data: unknown): NbComm } } | null;
    set_autosave_interval(ms: number): void;
    execute_all_cells(): void;
    get_cells(): NbCell[];
    insert_cell_at_bottom(type: string): NbCell;
  };
} | undefined;
declare const document: {
  querySelector(selector: string): { getAttribute(name: string): string | null; style: Record<string, string> } | null;
  createElement(tag: string): { id: string; style: Record<string, string> };
  body: { appendChild(e: unknown): void };
};
declare const window: { DawnRfb: { mount(el: unknown, options: unknown): unknown } };

const root = resolve(import.meta.dirname, '..');
const notebooksDir = join(root, 'notebooks');
const cli = join(root, 'dist', 'cli', 'main.js');
const PYTHON = '/usr/bin/python3';
const SETUP_HINT = 'run `node scripts/setup.mjs --browser --jupyter-tests` first';
const RUN_ALL_TIMEOUT = 150_000;
const TEST_TIMEOUT = 300_000;
const OUTPUT = '.dawn-rfb-output';

const token = randomBytes(24).toString('hex');
const ns = `drfb-${randomBytes(4).toString('hex')}`;
const vethHost = `dr${randomBytes(4).toString('hex')}h`;
const vethNs = vethHost.replace(/h$/, 'n');
// A /30 of 10.0.0.0/8 of its own: the host side .1, the namespace (the "remote machine") .2.
const net = `10.${randomInt(100, 250)}.${randomInt(0, 250)}`;
const remoteIp = `${net}.2`;
const jupyterPort = 8888;

let prefix = '';
let workDir = '';
let notebookPath = '';
let jupyter: ChildProcess | undefined;
let jupyterLog = '';
let relay: Server | undefined;
let relayPort = 0;
const relayed = new Set<Socket>();
let browser: Browser | undefined;
let nsMade = false;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The SSH tunnel's stand-in: 127.0.0.1:<port> here -> Jupyter's port on the remote machine. */
function startRelay(): Promise<number> {
  relay = createServer((client) => {
    const upstream = connect(jupyterPort, remoteIp);
    relayed.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); relayed.delete(client); relayed.delete(upstream); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((r) => relay!.listen(0, '127.0.0.1', () => r((relay!.address() as { port: number }).port)));
}

/** Whether a TCP connection to host:port succeeds (from this, the browser's, network namespace). */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once('connect', () => { s.destroy(); r(true); });
    s.once('error', () => r(false));
    s.once('timeout', () => { s.destroy(); r(false); });
  });
}

const base = (): string => `http://127.0.0.1:${relayPort}`;

async function waitForApi(deadline: number): Promise<void> {
  for (;;) {
    if (jupyter?.exitCode != null) throw new Error(`Jupyter exited (${jupyter.exitCode}):\n${jupyterLog}`);
    try {
      if ((await fetch(`${base()}/api/status?token=${token}`)).ok) return;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`Jupyter did not answer through the relay:\n${jupyterLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (it creates a network namespace with `ip netns`)');
  const check = execFileSync(PYTHON, ['-c', 'import notebook; print(notebook.__version__)'], { encoding: 'utf8' });
  expect(check.trim(), `Jupyter Notebook 6 for ${PYTHON}: ${SETUP_HINT}`).toMatch(/^6\./);
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  if (!existsSync(join(notebooksDir, 'node_modules', 'dawn-rfb', 'package.json'))) throw new Error(`notebooks/node_modules/dawn-rfb is missing: ${SETUP_HINT}`);

  // ---- the "remote machine": a network namespace joined to this one by a veth pair ----------
  sh('ip', ['netns', 'add', ns]);
  nsMade = true;
  sh('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs]);
  sh('ip', ['link', 'set', vethNs, 'netns', ns]);
  sh('ip', ['addr', 'add', `${net}.1/30`, 'dev', vethHost]);
  sh('ip', ['link', 'set', vethHost, 'up']);
  sh('ip', ['-n', ns, 'addr', 'add', `${remoteIp}/30`, 'dev', vethNs]);
  sh('ip', ['-n', ns, 'link', 'set', vethNs, 'up']);
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);

  prefix = mkdtempSync(join(tmpdir(), 'dawn-rfb-tunnel-'));
  execFileSync(process.execPath, [cli, 'kernel', 'install', '--prefix', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const d of ['data', 'runtime', 'config']) mkdirSync(join(prefix, d));
  const folder = `tunnel-${randomBytes(6).toString('hex')}`;
  workDir = join(notebooksDir, folder);
  mkdirSync(workDir);
  copyFileSync(join(notebooksDir, '02-interactive-scene.ipynb'), join(workDir, '02-interactive-scene.ipynb'));
  notebookPath = `${folder}/02-interactive-scene.ipynb`;

  jupyter = spawn('ip', ['netns', 'exec', ns, PYTHON, '-m', 'notebook', '--no-browser', `--ip=${remoteIp}`, `--port=${jupyterPort}`,
    '--NotebookApp.port_retries=0', `--notebook-dir=${notebooksDir}`, `--NotebookApp.token=${token}`, '--allow-root'], {
    cwd: notebooksDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
      JUPYTER_DATA_DIR: join(prefix, 'data'),
      JUPYTER_RUNTIME_DIR: join(prefix, 'runtime'),
      JUPYTER_CONFIG_DIR: join(prefix, 'config'),
      XDG_RUNTIME_DIR: '/tmp',
    },
  });
  const keep = (d: Buffer) => { jupyterLog = (jupyterLog + String(d)).slice(-40_000); };
  jupyter.stdout!.on('data', keep);
  jupyter.stderr!.on('data', keep);
  relayPort = await startRelay();
  const [, launched] = await Promise.all([
    waitForApi(Date.now() + 40_000),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
  ]);
  browser = launched;
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  if (jupyter && jupyter.exitCode == null) await deleteKernels((path) => `${base()}${path}?token=${token}`);
  await stopProcess(jupyter, 10_000);
  for (const s of relayed) s.destroy();
  relay?.close();
  if (nsMade) {
    try { sh('ip', ['link', 'del', vethHost]); } catch { /* gone with the namespace */ }
    try { sh('ip', ['netns', 'del', ns]); } catch (e) { console.error(`could not delete netns ${ns}: ${String(e)}`); }
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (prefix) rmSync(prefix, { recursive: true, force: true });
}, 40_000);

/** Pixels of the element as shown. */
const pixels = (locator: Locator): Promise<Pixels> => screenshotPixels(locator);


/** Waits until the widget shows a frame newer than `index`. */
async function newerFrame(page: Page, index: number, timeout = 20_000): Promise<number> {
  await page.waitForFunction((n) => Number(document.querySelector('.dawn-rfb-output')!.getAttribute('data-frame-index')) > n, index, { timeout });
  return Number(await page.locator(OUTPUT).getAttribute('data-frame-index'));
}

/** Every stderr and error text of the notebook's cells. */
const cellErrors = (page: Page): Promise<string[]> => page.evaluate(() => Jupyter!.notebook!.get_cells().flatMap((c, i: number) =>
  c.cell_type !== 'code' ? [] : c.output_area.outputs
    .filter((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'))
    .map((o) => `cell ${i}: ${o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : o.text}`)));

test('through a tunnel that forwards only Jupyter\'s port, the notebook is live over the Jupyter path', async () => {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e.stack ?? e)));

  await page.goto(`${base()}/notebooks/${notebookPath}?token=${token}`);
  await page.waitForFunction(() => {
    const nb = typeof Jupyter === 'undefined' ? undefined : Jupyter?.notebook;
    return Boolean(nb?._fully_loaded && nb.kernel?.is_connected());
  }, undefined, { timeout: 40_000 });
  expect(await page.evaluate(() => Jupyter!.notebook!.kernel!.name)).toBe('dawn-rfb');
  await page.evaluate(() => { Jupyter!.notebook!.set_autosave_interval(0); });
  await page.evaluate(() => { Jupyter!.notebook!.execute_all_cells(); });
  await page.waitForFunction(() => Jupyter!.notebook!.get_cells().every((c) =>
    c.cell_type !== 'code' || (c.input_prompt_number !== '*' && c.input_prompt_number != null)), undefined, { timeout: RUN_ALL_TIMEOUT, polling: 250 });
  expect(await cellErrors(page), 'cells that failed or wrote to stderr').toEqual([]);

  // ---- live over the Jupyter path; the kernel's own port is out of the browser's reach --------
  const widget = page.locator(OUTPUT);
  await page.locator(`${OUTPUT}[data-status="live"][data-frame-index]`).first().waitFor({ timeout: 60_000 });
  expect(await page.locator(OUTPUT).count()).toBe(1);
  expect(await widget.getAttribute('data-transport')).toBe('jupyter');
  const bundle = await page.evaluate(() => Jupyter!.notebook!.get_cells().flatMap((c) => (c.cell_type === 'code' ? c.output_area.outputs : []))
    .map((o) => o.data?.['text/html'] ?? '').find((h) => h.includes('dawn-rfb-output')) ?? '');
  const server = {
    ...(JSON.parse(/\n(\[\[.*\]\])\.forEach/.exec(bundle)![1]!)[0][1] as { port: number; token: string; comm: { target: string; canvasId: string; kernelId: string } }),
    protocol: PROTOCOL_VERSION,
  };
  expect(server.comm).toEqual({ target: 'dawn-rfb.view', canvasId: expect.stringMatching(/^[0-9a-f]{12}$/), kernelId: await page.evaluate(() => Jupyter!.notebook!.kernel!.id) });
  expect(await reachable('127.0.0.1', server.port), 'the kernel port on the browser\'s loopback').toBe(false);
  expect(await reachable(remoteIp, server.port), 'the kernel port on the remote machine').toBe(false);
  expect(await reachable('127.0.0.1', relayPort)).toBe(true);

  expect(await widget.getAttribute('data-frame-size')).toBe('400x300');
  const canvas = widget.locator('canvas');
  await canvas.scrollIntoViewIfNeeded();
  await page.locator(`${OUTPUT} .dawn-rfb-status[hidden]`).waitFor({ state: 'attached', timeout: 10_000 });
  await settledBackingStore(page, canvas);
  const before = await pixels(canvas);

  // ---- a drag rotates the pinwheel -------------------------------------------------------------
  let index = Number(await widget.getAttribute('data-frame-index'));
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + 150, box.y + 150);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await page.mouse.move(box.x + 150 + 10 * i, box.y + 150 + 2 * i, { steps: 2 });
  await page.mouse.up();
  index = await newerFrame(page, index);
  await settledBackingStore(page, canvas);
  const dragged = await pixels(canvas);
  expect(differingPixels(before, dragged), 'pixels changed by the drag (of 120000)').toBeGreaterThan(5000);

  // ---- a key reaches the handler: "c" cycles the palette (the background changes) ---------------
  index = Number(await widget.getAttribute('data-frame-index'));
  await page.keyboard.press('c'); // the click of the drag gave the view the keyboard focus
  index = await newerFrame(page, index);
  await settledBackingStore(page, canvas);
  expect(differingPixels(dragged, await pixels(canvas)), 'pixels changed by the palette key').toBeGreaterThan(20_000);

  // ---- a resize gives a frame of the new size ----------------------------------------------------
  await page.evaluate(() => { const el = document.querySelector('.dawn-rfb-output')!; el.style.width = '320px'; el.style.height = '200px'; });
  await page.waitForFunction(() => document.querySelector('.dawn-rfb-output')!.getAttribute('data-frame-size') === '320x200', undefined, { timeout: 20_000 });

  // ---- a second view, in another Jupyter page, over a kernel-channels websocket of its own -------
  const other = await browser!.newPage();
  await other.goto(`${base()}/tree?token=${token}`);
  await other.addScriptTag({ content: readFileSync(join(root, 'widget', 'dist', 'widget.js'), 'utf8') });
  await other.evaluate((s) => {
    const el = document.createElement('div');
    el.id = 'second-view';
    document.body.appendChild(el);
    window.DawnRfb.mount(el, { server: s });
  }, server);
  await other.locator('#second-view[data-status="live"][data-frame-index]').waitFor({ timeout: 30_000 });
  expect(await other.locator('#second-view').getAttribute('data-transport')).toBe('jupyter');
  // Both views watch the one canvas: a drag in the notebook's view reaches the second one too.
  const otherIndex = Number(await other.locator('#second-view').getAttribute('data-frame-index'));
  const box2 = (await canvas.boundingBox())!;
  await page.mouse.move(box2.x + 100, box2.y + 100);
  await page.mouse.down();
  await page.mouse.move(box2.x + 160, box2.y + 100, { steps: 4 });
  await page.mouse.up();
  await other.waitForFunction((n) => Number(document.querySelector('#second-view')!.getAttribute('data-frame-index')) > n, otherIndex, { timeout: 20_000 });
  await other.close();

  // ---- bad input on the comm path: refused with clear reasons, the live view unaffected ----------
  const refusals = await page.evaluate(async (s) => {
    const kernel = Jupyter!.notebook!.kernel!;
    const tryOpen = (data: unknown) => new Promise<unknown>((resolveClose) => {
      const comm = kernel.comm_manager.new_comm('dawn-rfb.view', data);
      comm.on_close((msg) => resolveClose(msg.content.data));
      setTimeout(() => resolveClose('no close within 10 s'), 10_000);
    });
    return Promise.all([
      tryOpen({ canvasId: 'no-such-canvas', token: 'x', protocol: s.protocol }),
      tryOpen({ canvasId: s.comm.canvasId, token: 'wrong', protocol: s.protocol }),
      tryOpen({ canvasId: s.comm.canvasId, token: s.token, protocol: 99 }),
      tryOpen('not an object'),
    ]);
  }, server);
  expect(refusals).toEqual([
    { code: 4001, reason: 'no such canvas in this kernel (the kernel restarted, or the output is from another session)' },
    { code: 4003, reason: 'missing or wrong token' },
    { code: 4000, reason: `the view speaks protocol 99, this kernel ${PROTOCOL_VERSION}` },
    { code: 4000, reason: 'comm_open data must be { canvasId: string, token: string, protocol: number }' },
  ]);
  // A comm that was let in, then sends garbage and a flood of events.
  await page.evaluate(async (s) => {
    const kernel = Jupyter!.notebook!.kernel!;
    const comm = kernel.comm_manager.new_comm('dawn-rfb.view', { canvasId: s.comm.canvasId, token: s.token, protocol: s.protocol });
    comm.send({ text: 'not json' });
    comm.send({ nothing: 'here' });
    comm.send({ text: 'x'.repeat(20_000) });
    comm.send({}, undefined, undefined, [new Uint8Array([1, 2, 3])]);
    comm.send({ text: JSON.stringify({ type: 'ack', index: 999_999 }) });
    for (let i = 0; i < 3000; i++) comm.send({ text: JSON.stringify({ type: 'event', event: { type: 'key_up', timestamp: i, key: 'q', modifiers: [] } }) });
    await new Promise((r) => setTimeout(r, 3000));
    comm.close();
  }, server);
  // Still live, still drawing for the notebook's view.
  expect(await widget.getAttribute('data-status')).toBe('live');
  index = Number(await widget.getAttribute('data-frame-index'));
  await page.keyboard.press('r');
  await newerFrame(page, index);
  // The refusals and the bad messages were logged clearly (tslab routes the kernel's stderr to the last cell).
  const log = (await cellErrors(page)).join('\n');
  expect(log).toContain('comm view: ProtocolError: comm_open refused (no such canvas in this kernel (the kernel restarted, or the output is from another session)); the comm was closed with code 4001');
  expect(log).toContain('comm view: ProtocolError: comm_open refused (missing or wrong token); the comm was closed with code 4003');
  expect(log).toMatch(/sent a bad message: ProtocolError: malformed JSON/);
  expect(log).toContain('comm messages carry { text: "<JSON message>" }; ignored');
  expect(log).toContain('message over 16384 bytes; ignored');
  expect(log).toContain('views send JSON text messages only');
  // (Whether the flood also trips the 1000-events-a-second limit depends on how fast the kernel
  // drains it; what matters is that the kernel absorbed it and the view kept working.)

  // ---- a kernel restart: "kernel restarted: re-run the cell", the last frame stays -----------------
  // The lossless refresh comes last (after 300 ms idle; later under load): wait for it first.
  await page.locator(`${OUTPUT}[data-frame-lossless="true"]`).waitFor({ timeout: 20_000 });
  const lastFrame = await settledBackingStore(page, canvas);
  await page.evaluate(() => { Jupyter!.notebook!.kernel!.restart(); });
  // ("disconnected" may be over before a poll sees it: the new kernel answers within seconds.)
  // The new kernel refuses the old canvas: the view says what to do and stops retrying.
  await page.locator(`${OUTPUT}[data-status="ended"]`).waitFor({ timeout: 30_000 });
  expect(await page.locator(`${OUTPUT} .dawn-rfb-status`).textContent()).toBe('kernel restarted: re-run the cell');
  expect(await backingStore(canvas)).toBe(lastFrame);

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  await page.close();
}, TEST_TIMEOUT);
