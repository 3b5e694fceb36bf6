#!/usr/bin/env node
// The dawn-rfb Jupyter kernel: tslab's kernel with three additions, each feature-detected:
//  1. A cell whose last expression is a dawn-rfb canvas shows its live view (tslab prints a
//     cell's last expression with the console.log it captured at start-up; we hand it one that
//     recognises canvases).
//  2. dawn-rfb finds tslab's display writer through a hook instead of searching for it.
//  3. A cell's execution waits for the outputs its canvases are still preparing (snapshot, PNG
//     encode), so they land in that cell before it reports idle (nbclient stops listening then).
//  4. It exits when the process that started it (the Jupyter server) is gone.
//  5. Jupyter comms with binary buffers (comms.cjs): views reach canvases through the Jupyter
//     server's own connection to the kernel, where the canvas server's port is unreachable.
// When an internal is missing (another tslab version) it says which and falls back: canvases
// still display with `await canvas.show()`.
//
//   node kernel-ext/launcher.cjs --config-path <connection file>
'use strict';
const path = require('node:path');
const { installComms } = require('./comms.cjs');

const SHOW = Symbol.for('dawn-rfb.show');
const DISPLAY_WRITER_HOOK = Symbol.for('dawn-rfb.displayWriter');
const PENDING_DISPLAYS = Symbol.for('dawn-rfb.pendingDisplays');

function fail(message) {
  process.stderr.write(`dawn-rfb kernel: ${message}\n`);
  process.exit(1);
}

function argument(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function tslabRoot() {
  // The notebook's own tslab first (a user's project), then the one installed with dawn-rfb.
  for (const from of [process.cwd(), __dirname]) {
    try {
      return path.dirname(require.resolve('tslab/package.json', { paths: [from] }));
    } catch { /* try the next */ }
  }
  return undefined;
}

function optional(file) {
  try {
    return require(file);
  } catch {
    return undefined;
  }
}

const configPath = argument('--config-path');
if (!configPath) fail('usage: launcher.cjs --config-path <connection file> (Jupyter passes it from the kernelspec)');
const root = tslabRoot();
if (!root) fail('tslab is not installed; run `npm install tslab` in your project (or next to dawn-rfb)');
const main = optional(path.join(root, 'dist', 'main.js'));
if (typeof main?.startKernel !== 'function') fail(`tslab at ${root} has no startKernel(); dawn-rfb needs tslab 1.x`);

const missing = [];
const jupyter = optional(path.join(root, 'dist', 'jupyter.js'));
if (jupyter && 'lastWriteDisplayData' in jupyter) {
  globalThis[DISPLAY_WRITER_HOOK] = () => jupyter.lastWriteDisplayData;
} else {
  missing.push('its display writer (jupyter.lastWriteDisplayData)');
}

// Before startKernel: the server's sockets are created and bound inside it.
const noComms = installComms(jupyter, { configPath });
if (noComms.length > 0) missing.push(`what comms need (${noComms.join(', ')})`);

const executor = optional(path.join(root, 'dist', 'executor.js'));
if (typeof executor?.createExecutor === 'function') {
  const create = executor.createExecutor;
  executor.createExecutor = function (...args) {
    const ex = create.apply(this, args);
    const execute = ex.execute;
    ex.execute = async function (...a) {
      const ok = await execute.apply(this, a);
      const pending = globalThis[PENDING_DISPLAYS];
      while (pending && pending.size > 0) await Promise.allSettled([...pending]);
      return ok;
    };
    return ex;
  };
} else {
  missing.push('its executor factory (executor.createExecutor)');
}

// A kernel must not outlive the Jupyter server that started it (tslab has no parent watch, and an
// orphaned kernel would hold its GPU device and ports forever).
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 2000).unref();

const log = console.log;
console.log = function (...args) {
  const value = args[0];
  if (args.length === 1 && value !== null && typeof value === 'object' && typeof value[SHOW] === 'function') {
    value[SHOW]();
    return;
  }
  return log.apply(console, args);
};
try {
  main.startKernel({ configPath, enableFindLocal: false, jsKernel: false });
} finally {
  // tslab keeps the function it saw at start-up; user code gets the real console.log back.
  console.log = log;
}
if (missing.length > 0) {
  process.stderr.write(`dawn-rfb kernel: this tslab lacks ${missing.join(' and ')}; use \`await canvas.show()\` to display canvases (views then need the canvas server's port)\n`);
}
