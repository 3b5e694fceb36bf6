// Transport benchmark: the same canvas (the demo scene, 'fastest' mode, JPEG q80) in a real
// dawn-rfb kernel under Debian's Jupyter Notebook 6, watched by a Node client that acknowledges
// each frame on arrival, first over the direct websocket to the kernel's canvas server, then over
// the Jupyter path (comms through the Jupyter server's kernel channels websocket, as the widget
// does outside Notebook 6). Frames per second at the client; roundtrip (send -> acknowledgement)
// from the canvas's own statistics.
//
//   node bench/transports.mjs --help     (the options: sizes, buffered frames, server, comm modes)
//
// Needs `node scripts/setup.mjs --jupyter` (Jupyter Notebook 6 for /usr/bin/python3, notebooks/node_modules);
// --server jupyter_server needs `--jupyter-tests` (python3-jupyter-server).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { COMM_METADATA, decodeFrameMessage, PROTOCOL_VERSION } from '../dist/index.js';
import { kernelChannels, serverOfView, startJupyter } from './jupyter.mjs';
import { benchArgs, frameSize, list, oneOf, positiveNumber, wholeNumber } from './cli-args.mjs';

const COMM_MODES = ['widget', 'iopub', 'plain'];
const SERVERS = ['notebook', 'jupyter_server'];
const HELP = `Usage: npm run bench:transports -- [options]
  --seconds N       measured seconds per run (default 5)
  --sizes LIST      WIDTHxHEIGHT,... (default 640x480,1280x720)
  --buffered N      the canvas's maxBufferedFrames (default 2)
  --server NAME     notebook (Jupyter Notebook 6, the default) or jupyter_server (JupyterLab's
                    server; needs \`node scripts/setup.mjs --jupyter-tests\`)
  --comm LIST       how the Jupyter path's client talks to the kernel, each in turn: widget (as the
                    widget's own websocket: no busy/idle statuses, frames on shell; the default),
                    iopub (the same, frames on iopub), plain (unmarked comm messages)
The demo scene in a dawn-rfb kernel, watched by a Node client that acknowledges each frame on
arrival, over the direct websocket and over the Jupyter path.`;
const { values, fail } = benchArgs('bench:transports', HELP, {
  seconds: { type: 'string', default: '5' }, sizes: { type: 'string', default: '640x480,1280x720' },
  buffered: { type: 'string', default: '2' }, server: { type: 'string', default: 'notebook' }, comm: { type: 'string', default: 'widget' },
});
const commModes = list(values.comm).map((m) => oneOf(fail, 'comm', m, COMM_MODES));
oneOf(fail, 'server', values.server, SERVERS);
const buffered = wholeNumber(fail, 'buffered', values.buffered); // maxBufferedFrames of the canvas
const seconds = positiveNumber(fail, 'seconds', values.seconds);
const sizes = list(values.sizes).map((s) => frameSize(fail, 'sizes', s));
const root = resolve(import.meta.dirname, '..');
const machine = `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
const hex = () => randomBytes(16).toString('hex');

// ---- Jupyter: a server with the dawn-rfb kernelspec, one kernel, our own channels websocket ----
const jupyter = await startJupyter({ server: values.server });
const kernelId = await jupyter.startKernel();
const { listeners, shell, execute, close: closeChannels } = await kernelChannels(jupyter.channelsUrl(kernelId));

const setup = await execute(`
const m: any = require(${JSON.stringify(join(root, 'dist', 'index.js'))});
const d: any = require(${JSON.stringify(join(root, 'dist', 'cli', 'demo-scene.js'))});
(globalThis as any).benchDevice = await m.getDefaultDevice();
console.log('ready');`);
if (!setup.stdout.includes('ready')) throw new Error(`kernel setup failed: ${setup.stderr}`);

const resizeEvent = (w, h) => ({ type: 'event', event: { type: 'resize', timestamp: performance.now() / 1000, width: w, height: h, pwidth: w, pheight: h, ratio: 1 } });

/**
 * Watches frames for `seconds` after a warm-up, acknowledging each; returns fps and MB/s. Once
 * done it acknowledges no more frames, so the canvas stops sending: the roundtrip read next
 * (the canvas's mean over its last acknowledgements) is the run's, not that of the frames that
 * waited out the kernel's compile of the cell that reads it (seen: 35 ms against 5).
 */
function watch(onFrame) {
  let done = false;
  return new Promise((resolveWatch, rejectWatch) => {
    // A stalled path fails the run with a message rather than hanging it.
    const stall = setTimeout(() => rejectWatch(new Error(`fewer than 10 frames, or no end, within ${seconds + 60} s (frames seen: ${seen})`)), (seconds + 60) * 1000);
    let start = 0;
    let seen = 0;
    let frames = 0;
    let bytes = 0;
    onFrame((data, ack) => {
      if (done) return;
      const { header } = decodeFrameMessage(data);
      ack(header.index);
      if (++seen === 10) start = performance.now(); // after a warm-up
      else if (start) { frames++; bytes += data.length; }
      if (start && performance.now() - start > seconds * 1000) {
        const elapsed = (performance.now() - start) / 1000;
        clearTimeout(stall);
        done = true;
        resolveWatch({ fps: +(frames / elapsed).toFixed(1), MBps: +(bytes / elapsed / 2 ** 20).toFixed(2) });
      }
    });
  });
}

const roundtrip = async () => {
  const r = await execute('console.log(JSON.stringify((globalThis as any).benchCanvas.stats().views.map((v: any) => v.roundtripMs)))');
  return +JSON.parse(r.stdout.trim())[0].toFixed(1);
};

const results = [];
const step = (what) => { if (process.env.DAWN_RFB_BENCH_VERBOSE) console.error(`  ${what}`); };
for (const [w, h] of sizes) {
  step(`${w}x${h}: show`);
  const shown = await execute(`
const m: any = require(${JSON.stringify(join(root, 'dist', 'index.js'))});
const d: any = require(${JSON.stringify(join(root, 'dist', 'cli', 'demo-scene.js'))});
const device = (globalThis as any).benchDevice;
const canvas = new m.RemoteCanvas({ size: [${w}, ${h}], updateMode: 'fastest', maxBufferedFrames: ${buffered} });
const scene = new d.DemoScene(device, canvas.getContext().getPreferredFormat());
scene.attach(canvas);
canvas.addEventHandler(() => { scene.state.yaw += 0.02; }, 'before_draw');
(globalThis as any).benchCanvas = canvas;
(globalThis as any).benchScene = scene;
await canvas.show();`);
  const html = shown.displays.find((dd) => dd['text/html'])?.['text/html'];
  if (!html) throw new Error(`no output from the kernel: ${shown.stderr}`);
  const server = serverOfView(html);
  if (!server.comm) throw new Error('the kernel offers no comm route (is the dawn-rfb kernelspec used?)');

  step('direct');
  // Direct: the kernel's canvas server.
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${server.path}`);
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify(resizeEvent(w, h)));
  const direct = await watch((f) => ws.on('message', (data, isBinary) => {
    if (isBinary) f(data, (index) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ack', index })); });
  }));
  direct.roundtripMs = await roundtrip();
  ws.close();
  await new Promise((r) => ws.once('close', r));
  await new Promise((r) => setTimeout(r, 500));

  const rows = [['direct websocket', direct]];
  for (const mode of commModes) {
    step(`jupyter (${mode})`);
    // The Jupyter path: comm messages through the Jupyter server's kernel channels.
    const commId = hex();
    let open = true;
    const marks = mode === 'plain' ? {} : { [COMM_METADATA.noStatus]: true };
    const commMsg = (data) => { if (open) shell('comm_msg', { comm_id: commId, data }, marks); };
    let listener;
    const viaJupyter = await watch((f) => {
      listener = (msg) => {
        if (msg.msg_type === 'comm_msg' && msg.content.comm_id === commId && msg.buffers?.length > 0) {
          f(msg.buffers[0], (index) => commMsg({ text: JSON.stringify({ type: 'ack', index }) }));
        }
      };
      listeners.add(listener);
      shell('comm_open', { comm_id: commId, target_name: server.comm.target, data: { canvasId: server.comm.canvasId, token: server.token, protocol: PROTOCOL_VERSION } },
        mode === 'widget' ? { [COMM_METADATA.replyOnShell]: true } : {});
      setTimeout(() => commMsg({ text: JSON.stringify(resizeEvent(w, h)) }), 200);
    });
    viaJupyter.roundtripMs = await roundtrip();
    listeners.delete(listener);
    shell('comm_close', { comm_id: commId, data: {} });
    open = false;
    rows.push([`Jupyter comms (kernel channels websocket, --comm ${mode})`, viaJupyter]);
    await new Promise((r) => setTimeout(r, 500));
  }
  step('close');
  await execute('(globalThis as any).benchCanvas.close(); (globalThis as any).benchScene.destroy();');

  for (const [transport, r] of rows) {
    const row = { size: `${w}x${h}`, transport, server: values.server, maxBufferedFrames: buffered, machine, ...r };
    results.push(row);
    console.log(`${row.size} ${transport} (${buffered} frames in flight): ${r.fps} fps, roundtrip ${r.roundtripMs} ms, ${r.MBps} MB/s`);
  }
}
console.log(`machine: ${machine}\n`);
for (const r of results) console.log(JSON.stringify(r));

await closeChannels();
await jupyter.stop();
process.exit(0);
