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
// Pictures are compared once lossless and every step waits on what the view or the kernel says
// (helpers/jupyter.ts, which has the set-up pieces too).
// Needs root (ip netns); Debian's Jupyter Notebook 6 and Chromium (`node scripts/setup.mjs --browser --jupyter-tests`).
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PROTOCOL_VERSION } from '../src/remote/protocol.js';
import {
  cellErrors, copyNotebook, dragRotates, expectPictureChange, expectResizedFrames, expectRestartKeepsLastFrame, frameIndex, kernelPrefix,
  launchChromium, newerFrame, notebooksDir, openPage, OUTPUT, PYTHON, root, runNotebook6, SETUP_HINT, startServer, Teardown, type JupyterServer,
} from './helpers/jupyter.js';

// The page-side code below runs in Chromium; the project's type check has no DOM lib.
interface NbOutput { output_type: string; data?: Record<string, string> }
interface NbCell { cell_type: string; output_area: { outputs: NbOutput[] } }
interface NbComm { on_close(cb: (msg: { content: { data: { code?: number; reason?: string } } }) => void): void; send(data: unknown, callbacks?: unknown, metadata?: unknown, buffers?: unknown[]): void; close(): void }
declare const Jupyter: {
  notebook?: {
    kernel: { id: string; restart(): void; comm_manager: { new_comm(target: string, data: unknown): NbComm } } | null;
    get_cells(): NbCell[];
  };
} | undefined;
declare const document: {
  createElement(tag: string): { id: string; style: Record<string, string> };
  body: { appendChild(e: unknown): void };
};
declare const window: { DawnRfb: { mount(el: unknown, options: unknown): unknown } };

const RUN_ALL_TIMEOUT = 150_000;
const TEST_TIMEOUT = 300_000;

const token = randomBytes(24).toString('hex');
const ns = `drfb-${randomBytes(4).toString('hex')}`;
const vethHost = `dr${randomBytes(4).toString('hex')}h`;
const vethNs = vethHost.replace(/h$/, 'n');
// A /30 of 10.0.0.0/8 of its own: the host side .1, the namespace (the "remote machine") .2.
const net = `10.${randomInt(100, 250)}.${randomInt(0, 250)}`;
const remoteIp = `${net}.2`;
const jupyterPort = 8888;

const teardown = new Teardown();
let notebookPath = '';
let jupyter: JupyterServer | undefined;
let relayPort = 0;
let browser: Browser | undefined;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The SSH tunnel's stand-in: 127.0.0.1:<port> here -> Jupyter's port on the remote machine; `teardown` closes it. */
function startRelay(): Promise<number> {
  const relayed = new Set<Socket>();
  const relay: Server = createServer((client) => {
    const upstream = connect(jupyterPort, remoteIp);
    relayed.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); relayed.delete(client); relayed.delete(upstream); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  teardown.add(() => {
    for (const s of relayed) s.destroy();
    relay.close();
  });
  return new Promise((r) => relay.listen(0, '127.0.0.1', () => r((relay.address() as { port: number }).port)));
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

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (it creates a network namespace with `ip netns`)');
  const check = execFileSync(PYTHON, ['-c', 'import notebook; print(notebook.__version__)'], { encoding: 'utf8' });
  expect(check.trim(), `Jupyter Notebook 6 for ${PYTHON}: ${SETUP_HINT}`).toMatch(/^6\./);
  if (!existsSync('/usr/bin/chromium')) throw new Error(`no /usr/bin/chromium: ${SETUP_HINT}`);
  if (!existsSync(join(notebooksDir, 'node_modules', 'dawn-rfb', 'package.json'))) throw new Error(`notebooks/node_modules/dawn-rfb is missing: ${SETUP_HINT}`);

  // ---- the "remote machine": a network namespace joined to this one by a veth pair ----------
  sh('ip', ['netns', 'add', ns]);
  teardown.add(() => {
    try { sh('ip', ['link', 'del', vethHost]); } catch { /* gone with the namespace */ }
    try { sh('ip', ['netns', 'del', ns]); } catch (e) { console.error(`could not delete netns ${ns}: ${String(e)}`); }
  });
  sh('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs]);
  sh('ip', ['link', 'set', vethNs, 'netns', ns]);
  sh('ip', ['addr', 'add', `${net}.1/30`, 'dev', vethHost]);
  sh('ip', ['link', 'set', vethHost, 'up']);
  sh('ip', ['-n', ns, 'addr', 'add', `${remoteIp}/30`, 'dev', vethNs]);
  sh('ip', ['-n', ns, 'link', 'set', vethNs, 'up']);
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);

  const prefix = kernelPrefix('tunnel', teardown);
  notebookPath = copyNotebook('tunnel', teardown);
  relayPort = await startRelay();
  [jupyter, browser] = await Promise.all([
    startServer({
      what: 'Jupyter (through the relay)', command: 'ip', cwd: notebooksDir, env: prefix.env, base: `http://127.0.0.1:${relayPort}`, token,
      args: ['netns', 'exec', ns, PYTHON, '-m', 'notebook', '--no-browser', `--ip=${remoteIp}`, `--port=${jupyterPort}`,
        '--NotebookApp.port_retries=0', `--notebook-dir=${notebooksDir}`, `--NotebookApp.token=${token}`, '--allow-root'],
    }, teardown),
    launchChromium(teardown),
  ]);
}, 90_000);

afterAll(() => teardown.run(), 40_000);

test('through a tunnel that forwards only Jupyter\'s port, the notebook is live over the Jupyter path', async () => {
  const { page, pageErrors } = await openPage(browser!);
  const { view: widget, canvas } = await runNotebook6(page, jupyter!.api(`/notebooks/${notebookPath}`),
    { loadTimeout: 40_000, runTimeout: RUN_ALL_TIMEOUT, liveTimeout: 60_000 });

  // ---- live over the Jupyter path; the kernel's own port is out of the browser's reach --------
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
  await page.locator(`${OUTPUT} .dawn-rfb-status[hidden]`).waitFor({ state: 'attached', timeout: 10_000 });

  // ---- a drag rotates the pinwheel -------------------------------------------------------------
  await dragRotates(page, canvas);

  // ---- a key reaches the handler: "c" cycles the palette (the background changes) ---------------
  // (The click of the drag gave the view the keyboard focus.)
  await expectPictureChange(page, canvas, 'the palette key', () => page.keyboard.press('c'), 20_000);

  // ---- a resize gives a frame of the new size ----------------------------------------------------
  await expectResizedFrames(page, widget, 320, 200);

  // ---- a second view, in another Jupyter page, over a kernel-channels websocket of its own -------
  const other = await browser!.newPage();
  await other.goto(jupyter!.api('/tree'));
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
  const otherIndex = await frameIndex(other.locator('#second-view'));
  const box2 = (await canvas.boundingBox())!;
  await page.mouse.move(box2.x + 100, box2.y + 100);
  await page.mouse.down();
  await page.mouse.move(box2.x + 160, box2.y + 100, { steps: 4 });
  await page.mouse.up();
  await newerFrame(other, otherIndex, { selector: '#second-view' });
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
  // A comm that was let in, then sends garbage and a flood of events, and closes. The kernel
  // takes the notebook's kernel connection's messages in order: the key below reaches it after
  // all of these.
  await page.evaluate((s) => {
    const kernel = Jupyter!.notebook!.kernel!;
    const comm = kernel.comm_manager.new_comm('dawn-rfb.view', { canvasId: s.comm.canvasId, token: s.token, protocol: s.protocol });
    comm.send({ text: 'not json' });
    comm.send({ nothing: 'here' });
    comm.send({ text: 'x'.repeat(20_000) });
    comm.send({}, undefined, undefined, [new Uint8Array([1, 2, 3])]);
    comm.send({ text: JSON.stringify({ type: 'ack', index: 999_999 }) });
    for (let i = 0; i < 3000; i++) comm.send({ text: JSON.stringify({ type: 'event', event: { type: 'key_up', timestamp: i, key: 'q', modifiers: [] } }) });
    comm.close();
  }, server);
  // Still live, still drawing for the notebook's view.
  expect(await widget.getAttribute('data-status')).toBe('live');
  const index = await frameIndex(widget);
  await page.keyboard.press('r');
  // The kernel first works through the 3000 refused messages (each with its busy / idle statuses):
  // on a loaded machine that took over 20 s.
  await newerFrame(page, index, { timeout: 60_000 });
  // The refusals and the bad messages were logged clearly (tslab routes the kernel's stderr to the
  // last cell; the lines reach the page as stream output, on their own time).
  const logged = [
    'comm view: ProtocolError: comm_open refused (no such canvas in this kernel (the kernel restarted, or the output is from another session)); the comm was closed with code 4001',
    'comm view: ProtocolError: comm_open refused (missing or wrong token); the comm was closed with code 4003',
    'sent a bad message: ProtocolError: malformed JSON',
    'comm messages carry { text: "<JSON message>" }; ignored',
    'message over 16384 bytes; ignored',
    'views send JSON text messages only',
  ];
  await expect.poll(async () => { const log = (await cellErrors(page)).join('\n'); return logged.filter((line) => !log.includes(line)); },
    { timeout: 20_000, message: 'log lines not (yet) in the last cell\'s stderr' }).toEqual([]);
  // (Whether the flood also trips the 1000-events-a-second limit depends on how fast the kernel
  // drains it; what matters is that the kernel absorbed it and the view kept working.)

  // ---- a kernel restart: "kernel restarted: re-run the cell", the last frame stays -----------------
  await expectRestartKeepsLastFrame(page, canvas, () => page.evaluate(() => { Jupyter!.notebook!.kernel!.restart(); }));

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  await page.close();
}, TEST_TIMEOUT);
