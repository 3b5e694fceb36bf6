#!/usr/bin/env node
// The dawn-rfb Jupyter kernel: tslab's kernel with six additions, each feature-detected:
//  1. A cell whose last expression is a dawn-rfb canvas shows its live view (tslab prints a
//     cell's last expression with the console.log it captured at start-up; we hand it one that
//     recognises canvases).
//  2. dawn-rfb finds tslab's display writer through a hook instead of searching for it.
//  3. A cell's execution waits for the outputs its canvases are still preparing (snapshot, PNG
//     encode), so they land in that cell before it reports idle (nbclient stops listening then).
//  4. It exits when the process that started it (the Jupyter server) is gone.
//  5. Jupyter comms with binary buffers (comms.cjs): views reach canvases through the Jupyter
//     server's own connection to the kernel, where the canvas server's port is unreachable.
//  6. A failed cell gets an error reply and an error output with a real ename/evalue/traceback
//     (tslab sends only `status: "error"`, so headless runners show an empty `<Error>:`), and a
//     module that cannot be found says how to install it; `{ x }` of an earlier cell's `x` (which
//     tslab loses) says to write `{ x: x }`.
// When an internal is missing (another tslab version) it says which and falls back: canvases
// still display with `await canvas.show()`.
//
//   node kernel-ext/launcher.cjs --config-path <connection file>
'use strict';
// sharp's encodes run on libuv's thread pool, 4 threads unless told otherwise; a frame encoded in
// strips on a many-core machine wants one per core. Read once, when the pool starts: so here,
// before anything asynchronous.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, require('node:os').availableParallelism()));
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

// ---- failed cells ------------------------------------------------------------------------------
// The failure of the cell that ran last (cells run one at a time), set by the executor wrapper.
let lastFailure;
// What the executor printed to its error console during the running cell.
let printing;

const DIAGNOSTIC_FORMAT = '%s%d:%d - %s'; // tslab's printDiagnostics
const MISSING_MODULE = /Cannot find module '([^']+)'/;

function installHint(module) {
  const packages = module === 'dawn-rfb' || module === 'tslab' ? 'dawn-rfb tslab' : module.startsWith('.') ? undefined : module;
  return packages
    ? `; install it in the notebook's folder (${process.cwd()}) with \`npm install ${packages}\`, then restart the kernel`
    : `; the path is resolved from the notebook's folder (${process.cwd()})`;
}

/** Jupyter's {ename, evalue, traceback} for what tslab printed before failing a cell. */
function describeFailure(printed) {
  const diagnostics = printed
    .filter((args) => args[0] === DIAGNOSTIC_FORMAT && args.length >= 5)
    .map(([, file, line, column, text]) => `${file ? `${file} ` : ''}${line}:${column} - ${String(text)}`);
  if (diagnostics.length > 0) {
    const missing = diagnostics.map((d) => MISSING_MODULE.exec(d)).find(Boolean);
    if (missing) {
      return { ename: 'ModuleNotFoundError', evalue: `Cannot find module '${missing[1]}'${installHint(missing[1])}`, traceback: diagnostics };
    }
    return { ename: 'TypeScriptError', evalue: diagnostics.join('\n'), traceback: diagnostics };
  }
  const last = printed[printed.length - 1];
  const thrown = last && last.length === 1 ? last[0] : undefined;
  if (thrown instanceof Error || (thrown !== null && typeof thrown === 'object' && typeof thrown.message === 'string')) {
    const code = thrown.code;
    const missing = (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') ? MISSING_MODULE.exec(thrown.message) : null;
    const ename = missing ? 'ModuleNotFoundError' : String(thrown.name || 'Error');
    const evalue = missing ? `Cannot find module '${missing[1]}'${installHint(missing[1])}` : String(thrown.message);
    const stack = typeof thrown.stack === 'string' ? thrown.stack.split('\n') : [`${ename}: ${evalue}`];
    return { ename, evalue, traceback: stack };
  }
  if (thrown !== undefined) {
    return { ename: 'Error', evalue: `the cell threw a non-Error value: ${String(thrown).slice(0, 500)}`, traceback: [] };
  }
  return { ename: 'Error', evalue: 'the cell failed (see its stderr output)', traceback: [] };
}

const NOT_DEFINED = /^(\S+) is not defined$/;

/**
 * tslab 1.0.22 rewrites an earlier cell's variable `x` to its exports, except in the object
 * shorthand `{ x }`, which then fails with a bare "x is not defined". When the name is one an
 * earlier cell defined (tslab's executor keeps them in `locals`), the error says the workaround.
 */
function withShorthandHint(failure, locals) {
  const name = failure.ename === 'ReferenceError' ? NOT_DEFINED.exec(failure.evalue)?.[1] : undefined;
  if (!name || !locals || !Object.prototype.hasOwnProperty.call(locals, name)) return failure;
  const hint = `${failure.evalue}: \`${name}\` is defined by an earlier cell, and tslab loses such a variable in the `
    + `object shorthand; write \`{ ${name}: ${name} }\` instead of \`{ ${name} }\``;
  // The stack's "ReferenceError: x is not defined" line (after vm's source lines) gets it too.
  const bare = `${failure.ename}: ${failure.evalue}`;
  const traceback = failure.traceback.map((line) => (line === bare ? `${failure.ename}: ${hint}` : line));
  if (!traceback.includes(`${failure.ename}: ${hint}`)) traceback.unshift(`${failure.ename}: ${hint}`);
  return { ...failure, evalue: hint, traceback };
}

const jupyterModule = optional(path.join(root, 'dist', 'jupyter.js'));
const ZmqServer = jupyterModule?.ZmqServer;
if (typeof ZmqServer?.prototype?.handleExecute === 'function') {
  // tslab's handleExecute, plus an error output and ename/evalue/traceback in the reply.
  ZmqServer.prototype.handleExecute = async function (sock, msg) {
    const send = (type, content, to) => {
      const reply = msg.createReply();
      reply.header.msg_type = type;
      reply.content = content;
      reply.signAndSend(this.connInfo.key, to);
    };
    const writeStream = (name, text) => send('stream', { name, text }, this.iopub);
    const writeDisplayData = (data, update) => send(update ? 'update_display_data' : 'display_data', data, this.iopub);
    lastFailure = undefined;
    const content = await this.handler.handleExecute(msg.content, writeStream, writeDisplayData);
    if (content.status === 'error' || (content.status === 'ok' && lastFailure)) {
      content.status = 'error';
      const failure = lastFailure ?? { ename: 'Error', evalue: 'the kernel failed to run the cell (see its stderr output)', traceback: [] };
      lastFailure = undefined;
      Object.assign(content, failure);
      send('error', failure, this.iopub);
    }
    send('execute_reply', content, sock);
  };
} else {
  missing.push('its execute handler (ZmqServer.prototype.handleExecute)');
}

// tslab aborts every cell queued in the 200 ms after a failed one, even when the client asked
// to go on (`stop_on_error: false`, what nbclient sends with allow_errors): the later cells then
// report nothing at all. Honour the flag: such a failure does not poison the queue (the reply
// still says error, through lastFailure above).
const Handler = jupyterModule?.JupyterHandlerImpl;
if (typeof Handler?.prototype?.handleExecuteImpl === 'function') {
  const impl = Handler.prototype.handleExecuteImpl;
  Handler.prototype.handleExecuteImpl = async function (req, ...rest) {
    try {
      return await impl.call(this, req, ...rest);
    } catch (e) {
      if (req?.stop_on_error === false && lastFailure && typeof e?.count === 'number') return e;
      throw e;
    }
  };
}
if (jupyterModule && 'lastWriteDisplayData' in jupyterModule) {
  globalThis[DISPLAY_WRITER_HOOK] = () => jupyterModule.lastWriteDisplayData;
} else {
  missing.push('its display writer (jupyter.lastWriteDisplayData)');
}

// Before startKernel: the server's sockets are created and bound inside it.
const noComms = installComms(jupyterModule, { configPath });
if (noComms.length > 0) missing.push(`what comms need (${noComms.join(', ')})`);

const executor = optional(path.join(root, 'dist', 'executor.js'));
if (typeof executor?.createExecutor === 'function') {
  const create = executor.createExecutor;
  executor.createExecutor = function (...args) {
    // tslab's executor prints why a cell failed through the console object it is given (not the
    // global one): TypeScript diagnostics, or the thrown value. Record what it prints per cell.
    const con = args[2];
    if (con && typeof con.error === 'function') {
      const error = con.error;
      con.error = function (...x) {
        if (printing && printing.length < 50) printing.push(x);
        return error.apply(this, x);
      };
    } else {
      missing.push("its executor's console (createExecutor's third argument)");
    }
    const ex = create.apply(this, args);
    const execute = ex.execute;
    ex.execute = async function (...a) {
      // On failure tslab returns false after printing why; describe that in the reply.
      lastFailure = undefined;
      const printed = [];
      printing = printed;
      let ok;
      try {
        ok = await execute.apply(this, a);
      } finally {
        printing = undefined;
      }
      if (!ok) lastFailure = withShorthandHint(describeFailure(printed), ex.locals);
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
  // Each missing internal costs one feature: display (use `await canvas.show()`; views then need
  // the canvas server's port) or the described error replies (failed cells still fail, with tslab's bare reply).
  process.stderr.write(`dawn-rfb kernel: this tslab lacks ${missing.join(' and ')}; use \`await canvas.show()\` to display canvases (views then need the canvas server's port), and read failed cells' stderr for their errors\n`);
}
