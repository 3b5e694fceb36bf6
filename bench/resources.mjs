// Resources benchmark: what a partial Buffer update costs against a full one, on the machine it
// runs on (named in the output). Each update: mark dirty, sync (the writes into Dawn's staging
// memory), submit, and wait until the GPU queue has done the copies.
//
//   node bench/resources.mjs [--items 1000000] [--updates 30]     (--help: the options)
import os from 'node:os';
import { Buffer, deviceSummary, formatAdapterSummary, getDefaultDevice } from '../dist/index.js';
import { benchArgs, wholeNumber } from './cli-args.mjs';

const HELP = `Usage: npm run bench:resources -- [options]
  --items N         points in the Buffer (3 x f32 each; default 1000000)
  --updates N       updates timed per case, 1..200 (default 30)`;
const { values, fail } = benchArgs('bench:resources', HELP, {
  items: { type: 'string', default: '1000000' }, updates: { type: 'string', default: '30' },
});
const N = wholeNumber(fail, 'items', values.items);
const UPDATES = wholeNumber(fail, 'updates', values.updates);
if (UPDATES > 200) fail(`--updates: at most 200, got ${UPDATES}`);

const device = await getDefaultDevice();
const machine = `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
console.log(`machine: ${machine}\nadapter: ${formatAdapterSummary(deviceSummary(device))}\n`);

const data = new Float32Array(N * 3).map((_, i) => i);
const positions = new Buffer(data, { nitems: N }); // "3xf4", like point positions
positions.sync(device, 0x20 /* VERTEX */);
await device.queue.onSubmittedWorkDone();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cases = {
  'nothing changed': () => {},
  'updateRange of 1,000 items': (f) => positions.updateRange((f * 7919) % (N - 1000), 1000),
  'updateRange of 1/32 of the items': (f) => positions.updateRange(((f * N) / 32) % N | 0, N / 32 | 0),
  'updateIndices of 100 scattered items': (f) => positions.updateIndices(Array.from({ length: 100 }, (_, k) => (k * 104729 + f) % N)),
  'updateFull': () => positions.updateFull(),
};
const results = [];
for (const [name, mark] of Object.entries(cases)) {
  const times = [];
  let bytes = 0;
  let writes = 0;
  for (let f = 0; f < UPDATES; f++) {
    const t0 = performance.now();
    mark(f);
    positions.sync(device);
    device.queue.submit([]); // queue.writeBuffer copies run with the next submit
    await device.queue.onSubmittedWorkDone();
    times.push(performance.now() - t0);
    bytes += positions.lastWrites.reduce((s, w) => s + w.size, 0);
    writes += positions.lastWrites.length;
  }
  const r = {
    case: name, items: N, bufferBytes: positions.nbytes, chunkBytes: positions.chunkBytes,
    medianMs: +median(times).toFixed(3), bytesPerUpdate: Math.round(bytes / UPDATES), writesPerUpdate: +(writes / UPDATES).toFixed(1),
  };
  results.push(r);
  console.log(`${name.padEnd(38)} ${r.medianMs.toFixed(3).padStart(8)} ms  ${String(r.bytesPerUpdate).padStart(9)} bytes in ${r.writesPerUpdate} write(s)`);
}
console.log('\n' + results.map((r) => JSON.stringify({ machine, ...r })).join('\n'));
positions.destroy();
