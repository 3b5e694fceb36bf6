// Where a frame's readback time goes: the steps of the canvas readback (src/canvas/readback.ts),
// done one by one on the demo cube and timed apart. The whole-pipeline benchmark's "readback"
// stage is all of them together (from the end of the draw function until the pixels are on the CPU).
//
//   node bench/readback.mjs [--sizes 640x480,1920x1080] [--frames 40]     (--help: the options)
//
// Stages (median ms): submit = the draw function (writeBuffer, encode, submit), gpu-render = the GPU finishing the draw (onSubmittedWorkDone; on a
// software GPU this is the rendering itself), gpu-copy = texture -> staging buffer, map = mapAsync
// after the copy is done (the binding's completion latency), alloc + copy-out = a new frame array
// and the copy from the mapped range, alpha-fill = alpha := 255 for an opaque frame (what an
// offscreen canvas does; a remote canvas skips it), draw = a whole OffscreenCanvas.draw().
import os from 'node:os';
import { OffscreenCanvas, getDefaultDevice, deviceSummary, formatAdapterSummary } from '../dist/index.js';
import { DemoScene } from '../dist/cli/demo-scene.js';
import { benchArgs, frameSize, list, wholeNumber } from './cli-args.mjs';

const HELP = `Usage: node bench/readback.mjs [options]
  --sizes LIST      WIDTHxHEIGHT,... (default 640x480,1920x1080)
  --frames N        frames timed per size (default 40; the median of each stage is printed)`;
const { values, fail } = benchArgs('bench/readback', HELP, {
  sizes: { type: 'string', default: '640x480,1920x1080' }, frames: { type: 'string', default: '40' },
});
const frames = wholeNumber(fail, 'frames', values.frames);
const sizes = list(values.sizes).map((s) => frameSize(fail, 'sizes', s, { min: 1 }));
const median = (a) => { const s = [...a].sort((x, y) => x - y); return Math.round(s[s.length >> 1] * 100) / 100; };

function fillAlpha(data) {
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
}

const device = await getDefaultDevice();
console.log(`${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, node ${process.version}; ${formatAdapterSummary(deviceSummary(device))}; load ${os.loadavg()[0].toFixed(2)}`);
for (const [width, height] of sizes) {
  const canvas = new OffscreenCanvas({ size: [width, height], updateMode: 'manual' });
  const scene = new DemoScene(device, 'rgba8unorm-srgb');
  scene.attach(canvas);
  const context = canvas.getContext();
  const stride = Math.ceil((width * 4) / 256) * 256;
  const staging = device.createBuffer({ size: stride * height, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const t = { submit: [], 'gpu-render': [], 'gpu-copy': [], map: [], alloc: [], 'copy-out': [], 'alpha-fill': [], draw: [] };
  for (let i = 0; i < frames + 3; i++) {
    scene.state.yaw += 0.02;
    await device.queue.onSubmittedWorkDone();
    const texture = context.getCurrentTexture();
    const s0 = performance.now();
    scene.render(texture);
    const t0 = performance.now();
    await device.queue.onSubmittedWorkDone();
    const t1 = performance.now();
    const encoder = device.createCommandEncoder();
    encoder.copyTextureToBuffer({ texture }, { buffer: staging, bytesPerRow: stride, rowsPerImage: height }, [width, height]);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const t2 = performance.now();
    await staging.mapAsync(GPUMapMode.READ);
    const t3 = performance.now();
    const data = new Uint8Array(width * 4 * height);
    const t4 = performance.now();
    const mapped = new Uint8Array(staging.getMappedRange());
    for (let y = 0; y < height; y++) data.set(mapped.subarray(y * stride, y * stride + width * 4), y * width * 4);
    staging.unmap();
    const t5 = performance.now();
    fillAlpha(data);
    const t6 = performance.now();
    const d0 = performance.now();
    await canvas.draw();
    const d1 = performance.now();
    if (i < 3) continue; // warm-up
    for (const [k, v] of [['submit', t0 - s0], ['gpu-render', t1 - t0], ['gpu-copy', t2 - t1], ['map', t3 - t2], ['alloc', t4 - t3], ['copy-out', t5 - t4], ['alpha-fill', t6 - t5], ['draw', d1 - d0]]) t[k].push(v);
  }
  console.log(`${size}: ${Object.entries(t).map(([k, v]) => `${k} ${median(v)}`).join(' | ')} ms`);
  staging.destroy();
  scene.destroy();
  canvas.close();
}
console.log(`load after ${os.loadavg()[0].toFixed(2)}`);
setTimeout(() => process.exit(0), 100);
