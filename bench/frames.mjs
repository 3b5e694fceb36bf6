// Frame-pipeline benchmark: render + readback, encode, and end-to-end frames per second through
// the websocket to a Node view that acknowledges each frame on arrival (no browser decode).
//
//   npm run bench [-- --seconds 3 --sizes 640x480,1280x720]
//
// Prints the machine and adapter with every figure, as JSON lines at the end for records.
import os from 'node:os';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import {
  OffscreenCanvas, RemoteCanvas, getDefaultDevice, deviceSummary, formatAdapterSummary, encodeFrame, decodeFrameMessage,
} from '../dist/index.js';
import { DemoScene } from '../dist/cli/demo-scene.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, sizes: { type: 'string', default: '640x480,1280x720' } } });
const seconds = Number(values.seconds);
const sizes = values.sizes.split(',').map((s) => s.split('x').map(Number));

const device = await getDefaultDevice();
const machine = `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
const adapter = formatAdapterSummary(deviceSummary(device));
console.log(`machine: ${machine}\nadapter: ${adapter}\n`);
const results = [];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [w, h] of sizes) {
  // 1. Render + readback, one frame at a time (the scheduler's pace).
  const off = new OffscreenCanvas({ size: [w, h], updateMode: 'manual' });
  const scene = new DemoScene(device, off.getContext().getPreferredFormat());
  scene.attach(off);
  let frame = await off.draw();
  const drawMs = [];
  for (let i = 0; i < 30; i++) {
    scene.state.yaw += 0.05;
    const t0 = performance.now();
    frame = await off.draw();
    drawMs.push(performance.now() - t0);
  }
  off.close();

  // 2. Encode one frame, serially.
  const enc = {};
  for (const [name, opts] of [['jpeg q80', { format: 'jpeg', quality: 80 }], ['png', { format: 'png' }], ['webp q80', { format: 'webp', quality: 80 }]]) {
    const times = [];
    let bytes = 0;
    for (let i = 0; i < 10; i++) {
      const r = await encodeFrame(frame, opts);
      times.push(r.encodeMs);
      bytes = r.data.length;
    }
    enc[name] = { ms: median(times), bytes };
  }

  // 3. End to end: fastest mode, one Node view acking on arrival.
  const canvas = new RemoteCanvas({ size: [w, h], updateMode: 'fastest' });
  const remoteScene = new DemoScene(device, canvas.getContext().getPreferredFormat());
  remoteScene.attach(canvas);
  canvas.addEventHandler(() => { remoteScene.state.yaw += 0.02; }, 'before_draw');
  const server = await canvas.server();
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${canvas.socketPath}`);
  let received = 0;
  let start = 0;
  let bytes = 0;
  await new Promise((resolve) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const { header } = decodeFrameMessage(data);
      ws.send(JSON.stringify({ type: 'ack', index: header.index }));
      if (header.index === 5) start = performance.now(); // skip warm-up
      if (start && header.index > 5) { received++; bytes += data.length; }
      if (start && performance.now() - start > seconds * 1000) resolve();
    });
  });
  const elapsed = (performance.now() - start) / 1000;
  const stats = canvas.stats();
  ws.close();
  canvas.close();
  remoteScene.destroy();
  scene.destroy();
  const row = {
    size: `${w}x${h}`, machine, adapter,
    renderReadbackMs: +median(drawMs).toFixed(2),
    encode: Object.fromEntries(Object.entries(enc).map(([k, v]) => [k, { ms: +v.ms.toFixed(2), kB: +(v.bytes / 1024).toFixed(1) }])),
    endToEndFps: +(received / elapsed).toFixed(1),
    roundtripMs: +stats.views[0]?.roundtripMs.toFixed(1),
    MBps: +(bytes / elapsed / 2 ** 20).toFixed(2),
  };
  results.push(row);
  console.log(`${row.size}: render+readback ${row.renderReadbackMs} ms; encode ${Object.entries(row.encode).map(([k, v]) => `${k} ${v.ms} ms (${v.kB} kB)`).join(', ')}; `
    + `end-to-end ${row.endToEndFps} fps (JPEG q80 + lossless refresh), roundtrip ${row.roundtripMs} ms, ${row.MBps} MB/s`);
}
console.log('');
for (const r of results) console.log(JSON.stringify(r));
device.destroy();
