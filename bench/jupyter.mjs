// The benchmarks' Jupyter pieces, shared by bench/transports.mjs, bench/pipeline.mjs
// (--transports jupyter,jupyterlab4) and its Node client: start Debian's Jupyter (Notebook 6,
// jupyter_server, or the tests' JupyterLab 4 front end of test/lab4/ on jupyter_server) with the dawn-rfb kernelspec in a throwaway prefix, and a client of a kernel's
// channels websocket (execute cells, send and receive comm messages) as the widget's own
// websocket talks it. One copy, so every benchmark speaks the kernel protocol the same way.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';

const root = resolve(import.meta.dirname, '..');
const hex = () => randomBytes(16).toString('hex');

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((r, j) => {
    const s = createServer();
    s.once('error', j);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => r(port)); });
  });
}

/**
 * Starts Jupyter with the dawn-rfb kernelspec installed in a temporary prefix.
 * `server`: 'notebook' (Notebook 6), 'jupyter_server', or 'lab4' (test/lab4/main.py: JupyterLab 4
 * on jupyter_server, built by `node scripts/setup.mjs --jupyter-tests`); `kernelEnv`: extra environment of the
 * server and so of its kernels (e.g. DAWN_RFB_URL_TEMPLATE); `remoteAccess`: accept Host names
 * that are not loopback (a client behind an emulated link reaches it by a 10.x address).
 */
export async function startJupyter({ server = 'notebook', kernelEnv = {}, remoteAccess = false } = {}) {
  const hint = 'run `node scripts/setup.mjs --browser --jupyter-tests` first';
  if (!existsSync(join(root, 'notebooks', 'node_modules', 'dawn-rfb', 'package.json'))) throw new Error(`notebooks/node_modules/dawn-rfb is missing (the kernels load dawn-rfb from there): ${hint}`);
  try {
    execFileSync('/usr/bin/python3', ['-c', `import ${server === 'notebook' ? 'notebook' : server === 'lab4' ? 'jupyterlab_server' : 'jupyter_server'}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${server === 'notebook' ? 'Jupyter Notebook 6' : server === 'lab4' ? 'jupyterlab_server' : 'jupyter_server'} is not installed for /usr/bin/python3: ${hint}`);
  }
  const token = hex();
  const prefix = mkdtempSync(join(os.tmpdir(), 'dawn-rfb-bench-'));
  execFileSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'kernel', 'install', '--prefix', prefix]);
  for (const d of ['data', 'runtime', 'config']) mkdirSync(join(prefix, d));
  const port = await freePort();
  const app = server === 'notebook' ? 'NotebookApp' : 'ServerApp';
  const lab4 = join(root, 'test', 'lab4');
  if (server === 'lab4' && !existsSync(join(lab4, 'build', 'bundle.js'))) throw new Error(`no JupyterLab 4 build in ${lab4}/build: run \`node scripts/setup.mjs --browser --jupyter-tests\``);
  const args = [...(server === 'lab4' ? [join(lab4, 'main.py')] : ['-m', server]), '--no-browser', '--ip=127.0.0.1', `--port=${port}`, `--${app}.port_retries=0`,
    `--${app}.${server === 'notebook' ? 'notebook_dir' : 'root_dir'}=${join(root, 'notebooks')}`, `--${app}.token=${token}`];
  if (remoteAccess) args.push(`--${app}.allow_remote_access=True`);
  if (process.getuid?.() === 0) args.push('--allow-root');
  const child = spawn('/usr/bin/python3', args, {
    cwd: join(root, 'notebooks'), stdio: 'ignore',
    env: { ...process.env, ...kernelEnv, JUPYTER_PATH: join(prefix, 'share', 'jupyter'), JUPYTER_DATA_DIR: join(prefix, 'data'),
      JUPYTER_RUNTIME_DIR: join(prefix, 'runtime'), JUPYTER_CONFIG_DIR: join(prefix, 'config'), XDG_RUNTIME_DIR: '/tmp' },
  });
  const api = (path, host = `127.0.0.1:${port}`) => `http://${host}${path}${path.includes('?') ? '&' : '?'}token=${token}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`Jupyter exited with ${child.exitCode}`);
    try { if ((await fetch(api('/api/status'))).ok) break; } catch { /* starting */ }
    if (i > 150) throw new Error('Jupyter did not start within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port, token, api, pid: child.pid,
    /** Starts a dawn-rfb kernel; resolves with its id. */
    async startKernel() {
      return (await (await fetch(api('/api/kernels'), { method: 'POST', body: JSON.stringify({ name: 'dawn-rfb' }) })).json()).id;
    },
    async deleteKernel(id) {
      await fetch(api(`/api/kernels/${id}`), { method: 'DELETE' }).catch(() => {});
    },
    /** The kernel channels websocket URL for a new session (through `host`, default loopback). */
    channelsUrl(kernelId, host = `127.0.0.1:${port}`) {
      return `ws://${host}/api/kernels/${kernelId}/channels?session_id=${hex()}&token=${token}`;
    },
    async stop() {
      const kernels = await (await fetch(api('/api/kernels')).catch(() => null))?.json().catch(() => []) ?? [];
      for (const k of kernels) await this.deleteKernel(k.id);
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** Parses a kernel websocket message: JSON text, or the binary format with buffers. */
export function parseJupyter(data, isBinary) {
  if (!isBinary) return JSON.parse(String(data));
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = view.getUint32(0);
  const offsets = Array.from({ length: n }, (_, i) => view.getUint32(4 * (i + 1)));
  offsets.push(data.byteLength);
  const msg = JSON.parse(data.subarray(offsets[0], offsets[1]).toString('utf8'));
  msg.buffers = offsets.slice(1, -1).map((o, i) => data.subarray(o, offsets[i + 2]));
  return msg;
}

/** A client of a kernel's channels websocket (`url` from channelsUrl). */
export async function kernelChannels(url) {
  const session = new URL(url).searchParams.get('session_id') ?? hex();
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const listeners = new Set();
  ws.on('message', (data, isBinary) => { const msg = parseJupyter(data, isBinary); for (const l of listeners) l(msg); });
  const shell = (msgType, content, metadata = {}) => {
    const msgId = hex();
    if (ws.readyState !== WebSocket.OPEN) return msgId;
    ws.send(JSON.stringify({
      header: { msg_id: msgId, msg_type: msgType, username: '', session, date: new Date().toISOString(), version: '5.3' },
      parent_header: {}, metadata, content, buffers: [], channel: 'shell',
    }));
    return msgId;
  };
  /** Runs code in the kernel; resolves with its stdout, stderr and display_data once idle. */
  const execute = (code) => new Promise((resolveRun) => {
    const out = { stdout: '', stderr: '', displays: [], error: undefined };
    const id = shell('execute_request', { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false });
    const listener = (msg) => {
      if (msg.parent_header?.msg_id !== id) return;
      if (msg.msg_type === 'stream') out[msg.content.name] += msg.content.text;
      if (msg.msg_type === 'display_data') out.displays.push(msg.content.data);
      if (msg.msg_type === 'error') out.error = `${msg.content.ename}: ${msg.content.evalue}`;
      if (msg.msg_type === 'status' && msg.content.execution_state === 'idle') { listeners.delete(listener); resolveRun(out); }
    };
    listeners.add(listener);
  });
  return {
    ws, session, listeners, shell, execute,
    close: () => new Promise((r) => { if (ws.readyState === WebSocket.CLOSED) r(); else { ws.once('close', r); ws.close(); } }),
  };
}

/** The canvas server description a kernel's view HTML carries (port, path, token, comm route). */
export function serverOfView(html) {
  const m = /\n(\[\[.*\]\])\.forEach/.exec(html ?? '');
  if (!m) throw new Error('no dawn-rfb view in the output');
  return JSON.parse(m[1])[0][1];
}
