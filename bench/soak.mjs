// Soak benchmark: one RemoteCanvas streams the demo scene to a Node view that acknowledges each
// frame, for N frames (default 10,000); RSS and heap (after a forced GC) are sampled every 1,000
// frames. A kernel lives for hours: RSS at the end should be within 10% of the sample at frame
// 1,000 (judged by the median of the last three samples, as single samples are noisy). Exits 1
// if it is not.
//
//   MALLOC_ARENA_MAX=2 node --expose-gc bench/soak.mjs [--frames 10000] [--size 320x240]
//   npm run bench:soak     (sets MALLOC_ARENA_MAX=2, as the kernelspec does)
//
// Prints the machine and adapter with the figures, and a JSON line at the end for records.
import os from 'node:os';
import WebSocket from 'ws';
import { RemoteCanvas, getDefaultDevice, deviceSummary, formatAdapterSummary, decodeFrameMessage } from '../dist/index.js';
import { DemoScene } from '../dist/cli/demo-scene.js';
import { benchArgs, frameSize, wholeNumber } from './cli-args.mjs';

const HELP = `Usage: npm run bench:soak -- [options]     (or: MALLOC_ARENA_MAX=2 node --expose-gc bench/soak.mjs)
  --frames N        frames to stream, at least 2000 (default 10000; RSS sampled every 1000)
  --size WxH        the canvas's size (default 320x240)
Exits 1 if RSS at the end is not within 10% of its sample at frame 1,000.`;
const { values, fail } = benchArgs('bench:soak', HELP, {
  frames: { type: 'string', default: '10000' }, size: { type: 'string', default: '320x240' },
});
const total = wholeNumber(fail, 'frames', values.frames, 2000);
const [w, h] = frameSize(fail, 'size', values.size, { min: 1 });
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc (RSS is only comparable after a full GC)');
  process.exit(2);
}

const device = await getDefaultDevice();
const machine = `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
// The kernelspec sets MALLOC_ARENA_MAX=2 (see src/cli/kernelspec.ts); say which setting was measured.
const arenas = process.env.MALLOC_ARENA_MAX ?? 'glibc default';
console.log(`machine: ${machine}\nadapter: ${formatAdapterSummary(deviceSummary(device))}\nMALLOC_ARENA_MAX: ${arenas}\n`);

const canvas = new RemoteCanvas({ size: [w, h], updateMode: 'fastest', losslessDelayMs: Infinity });
const scene = new DemoScene(device, canvas.getContext().getPreferredFormat());
scene.attach(canvas);
canvas.addEventHandler(() => { scene.state.yaw += 0.02; }, 'before_draw');
const server = await canvas.server();
const ws = new WebSocket(`ws://127.0.0.1:${server.port}${canvas.socketPath}`);
const samples = [];
const t0 = performance.now();
let received = 0;

async function sample(frame) {
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 10));
  globalThis.gc();
  const m = process.memoryUsage();
  const s = { frame, rssMB: +(m.rss / 2 ** 20).toFixed(1), heapMB: +(m.heapUsed / 2 ** 20).toFixed(1), seconds: +((performance.now() - t0) / 1000).toFixed(1) };
  samples.push(s);
  console.log(`frame ${frame}: rss ${s.rssMB} MB, heap ${s.heapMB} MB, ${s.seconds} s`);
}

await new Promise((resolve) => {
  // Messages are handled one after another, so acks go out in order and a sample completes
  // (with its frame's ack held back: nothing new is drawn while measuring) before the next.
  let chain = Promise.resolve();
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    chain = chain.then(async () => {
      if (received >= total) return;
      const { header } = decodeFrameMessage(data);
      received++;
      if (received % 1000 === 0) await sample(received);
      ws.send(JSON.stringify({ type: 'ack', index: header.index }));
      if (received >= total) resolve();
    });
  });
});
ws.close();
canvas.close();
scene.destroy();
const first = samples.find((s) => s.frame === 1000);
const last = samples[samples.length - 1];
const ratio = last.rssMB / first.rssMB;
// RSS moves by several MB between samples (native allocations of Dawn and libvips); judge by the
// median of the last three samples so one noisy sample does not decide.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tailRatio = median(samples.slice(-3).map((s) => s.rssMB)) / first.rssMB;
const result = {
  benchmark: 'soak', machine, mallocArenaMax: arenas, size: `${w}x${h}`, frames: received,
  fps: +(received / ((performance.now() - t0) / 1000)).toFixed(1),
  rssAt1000MB: first.rssMB, rssAtEndMB: last.rssMB, rssRatio: +ratio.toFixed(3), rssTailMedianRatio: +tailRatio.toFixed(3),
  heapAt1000MB: first.heapMB, heapAtEndMB: last.heapMB, samples,
};
console.log(`\nRSS at frame ${last.frame}: ${(ratio * 100 - 100).toFixed(1)}% against frame 1000; median of the last three samples: `
  + `${(tailRatio * 100 - 100).toFixed(1)}% (limit +10%); heap ${first.heapMB} -> ${last.heapMB} MB`);
console.log(JSON.stringify(result));
device.destroy();
process.exit(tailRatio <= 1.1 ? 0 : 1);
