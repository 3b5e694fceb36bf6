#!/usr/bin/env node
// `npm start`: Jupyter Notebook with the example notebooks and the "TypeScript (dawn-rfb)" kernel.
// Run `node scripts/setup.mjs --jupyter` first (npm start does); this script then
//  1. installs the kernelspec for this user (`dawn-rfb kernel install --user`),
//  2. starts Debian's Jupyter Notebook 6 on 127.0.0.1, port 8888 or the next free one, serving
//     notebooks/, without opening a browser,
//  3. prints the URL with its token once, as soon as the server is up (Jupyter's own banner with
//     the URL is left out), and runs until Ctrl-C, which stops Jupyter and its kernels with one
//     line of output.
//
//   node scripts/start-jupyter.mjs [--port N]
//
// Exit codes: Jupyter's own; 1 something is missing (the message says what to run); 2 bad arguments.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const notebooks = join(root, 'notebooks');
const cli = join(root, 'dist', 'cli', 'main.js');
const PYTHON = '/usr/bin/python3';
const HOST = '127.0.0.1';
const log = (msg) => console.error(`[jupyter] ${msg}`);

function fail(msg) {
  log(msg);
  process.exit(1);
}

// ---- arguments -----------------------------------------------------------------------------
let firstPort = 8888;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = a === '--port' ? argv[++i] : a.startsWith('--port=') ? a.slice('--port='.length) : undefined;
  if (value !== undefined && /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535) firstPort = Number(value);
  else {
    console.error(`start-jupyter: ${value === undefined ? `unknown option ${a}` : `--port needs 1..65535, got "${value}"`}; usage: node scripts/start-jupyter.mjs [--port N]`);
    process.exit(2);
  }
}

// ---- what must be there --------------------------------------------------------------------
const setupHint = 'run `node scripts/setup.mjs --jupyter` first (npm start does)';
if (spawnSync(PYTHON, ['-c', 'import notebook'], { stdio: 'ignore' }).status !== 0) fail(`Jupyter Notebook is not installed for ${PYTHON}: ${setupHint}`);
if (!existsSync(cli)) fail(`dawn-rfb is not built (no dist/cli/main.js): ${setupHint}`);
if (!existsSync(join(notebooks, 'node_modules', 'dawn-rfb', 'package.json'))) fail(`notebooks/node_modules/dawn-rfb is missing: ${setupHint}`);

// ---- 1. the kernelspec ---------------------------------------------------------------------
log('installing the Jupyter kernelspec "TypeScript (dawn-rfb)" for this user (dawn-rfb kernel install --user) ...');
const install = spawnSync(process.execPath, [cli, 'kernel', 'install', '--user'], { cwd: root, stdio: 'inherit' });
if (install.status !== 0) fail(`installing the kernelspec failed (exit ${install.status ?? install.signal})`);

// ---- 2. a free port ------------------------------------------------------------------------
function isFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
let port = firstPort;
while (!(await isFree(port))) {
  if (++port > Math.min(65535, firstPort + 100)) fail(`no free port in ${firstPort}..${port - 1} on ${HOST}`);
}
if (port !== firstPort) log(`port ${firstPort} is taken; using ${port}`);

// ---- 3. Jupyter Notebook -------------------------------------------------------------------
const args = ['-m', 'notebook', '--no-browser', `--ip=${HOST}`, `--port=${port}`, `--notebook-dir=${notebooks}`];
if (process.getuid?.() === 0) args.push('--allow-root');
log(`starting Jupyter Notebook: ${PYTHON} ${args.join(' ')}`);
// Jupyter runs in a process group of its own (detached), so the terminal's Ctrl-C reaches only this
// script, which then sends Jupyter one SIGTERM: Jupyter shuts its kernels down and exits quietly.
// (With both signals, Notebook 6 prints two long "Event loop stopped before Future completed"
// tracebacks.) stdin is not a terminal for Jupyter, so it never asks to confirm.
const jupyter = spawn(PYTHON, args, { cwd: notebooks, stdio: ['ignore', 'pipe', 'pipe'], detached: true });

// Jupyter's start banner says the URL three times (and names a file:// page); this script says it
// once, below, so those lines are dropped. Everything else Jupyter logs passes through, until
// stop(): after that the one line stop() prints is all the user sees.
const BANNER = [
  /NotebookApp\] Jupyter Notebook .* is running at:\s*$/,
  /\?token=[0-9a-f]+\s*$/,
  /Use Control-C to stop this server/,
  /^\[C [^\]]*NotebookApp\]\s*$/,
  /To access the notebook, open this file in a browser:/,
  /^\s*file:\/\/\S*-open\.html\s*$/,
  /Or copy and paste one of these URLs:/,
  /^\s*$/,
];
let announced = false;
const URL_PATTERN = /(https?:\/\/(?:127\.0\.0\.1|localhost)(?::\d+)?\/\S*\?token=[0-9a-f]+)/;
function announce(href) {
  announced = true;
  const url = new URL(href);
  const first = new URL(`notebooks/01-hello-triangle.ipynb${url.search}`, url.origin + url.pathname);
  console.log('');
  console.log(`Jupyter is up: open ${url.href}`);
  console.log(`  first notebook: ${first.href}`);
  console.log('  kernel: "TypeScript (dawn-rfb)"; press Ctrl-C to stop');
  console.log('');
}
/** Passes Jupyter's output on line by line, minus the banner; finds the URL in it. */
function relay(stream, sink) {
  let pending = '';
  stream.on('data', (chunk) => {
    pending += String(chunk);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const m = URL_PATTERN.exec(line);
      if (m && !announced) announce(m[1]);
      if (stopping || BANNER.some((re) => re.test(line))) continue;
      sink.write(`${line}\n`);
    }
  });
}
relay(jupyter.stdout, process.stdout);
relay(jupyter.stderr, process.stderr);

let stopping = false;
let forced = false;
const STOP_TIMEOUT_MS = 15_000;
/** Sends Jupyter's process group (Jupyter and what it started) `signal`; it may be gone already. */
function signalJupyter(signal) {
  try { process.kill(-jupyter.pid, signal); } catch { /* already exited */ }
}
function stop(signal) {
  if (stopping) {
    // A second Ctrl-C: the user does not want to wait for the kernels.
    if (!forced) {
      forced = true;
      log('stopping at once (second signal)');
      signalJupyter('SIGKILL');
    }
    return;
  }
  stopping = true;
  log(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping Jupyter and its kernels`);
  // Jupyter alone, not its group: it shuts its kernels down itself.
  try { jupyter.kill('SIGTERM'); } catch { /* already exited */ }
  setTimeout(() => stop(signal), STOP_TIMEOUT_MS).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGHUP', () => stop('SIGHUP'));
// Should this script end any other way, Jupyter (in its own group) must not outlive it.
process.on('exit', () => { if (jupyter.exitCode === null && jupyter.signalCode === null) signalJupyter('SIGKILL'); });
jupyter.on('error', (e) => fail(`could not start ${PYTHON}: ${e.message}`));
jupyter.on('exit', (code, signal) => {
  if (!announced && !stopping) log(`Jupyter exited before it was up (exit ${code ?? signal})`);
  process.exit(stopping ? 0 : code ?? 1);
});
