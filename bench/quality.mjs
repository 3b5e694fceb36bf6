// Quality per byte (`npm run bench:quality`): JPEG stills against H.264 video on the same frames.
// For each scene and size it renders N frames of the moving scene offscreen (frame i is the
// scene's seek(i): identical frames for every encoder), encodes each frame with JPEG q80 through
// the canvas's own encodeFrame (sharp, whole frames) and with H.264 at several bitrates through
// the canvas's own video encoders (each backend of --encoders: the WebCodecs package, x264
// `superfast`, and ffmpeg, x264 `veryfast`; VBR, 60 fps, Annex B, a keyframe every 120 frames as
// the frame stream forces), decodes them back (sharp; @napi-rs/webcodecs VideoDecoder,
// chunks in order) and compares each decoded frame with the rendered one.
//
//   npm run bench:quality                                   # cube, noise, mesh at 1280x720, 120 frames
//   npm run bench:quality -- --scenes mesh --sizes 1920x1080 --frames 60 --bitrates 1,4 --json out.json
//
// PSNR is over R, G and B (alpha ignored), from the squared error pooled over all frames of a
// run (so one bad frame weighs as its pixels do); luma PSNR (BT.601 Y) is reported beside it.
// "Equal quality" compares at RGB PSNR: H.264's bytes-vs-PSNR curve over the bitrates, interpolated
// in log(bytes) at JPEG's PSNR (bench/quality-math.mjs), gives the bytes H.264 needs for JPEG's
// quality; the ratio is JPEG's bytes over those. "exceeded": H.264 at its lowest bitrate is
// already better than JPEG (the ratio is then a lower bound); "not reached": no bitrate gets there.
//
// The encoder's clock: the package's VideoFrameEncoder stamps frames with performance.now(), and x264's rate
// control spends the bitrate by those timestamps. Rendering here is slower than 60 fps, so the
// benchmark runs the encoder on a clock of the frame's time at 60 fps (frame i at i/60 s):
// the bitrates then mean what they say at 60 fps however slowly this machine renders.
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { OffscreenCanvas, getDefaultDevice, deviceSummary, formatAdapterSummary } from '../dist/index.js';
import { encodeFrame } from '../dist/remote/frames/image-encoder.js';
import { loadVideoCodecs } from '../dist/remote/frames/video-encoder.js';
import { loadVideoBackend } from '../dist/remote/frames/video-backend.js';
import { VIDEO_CODECS } from '../dist/remote/protocol.js';
import { createScene, SCENES } from './scenes.mjs';
import { bytesAtPsnr, psnr, squaredError } from './quality-math.mjs';
import { benchArgs, frameSize, list, oneOf, wholeNumber } from './cli-args.mjs';

const HELP = `Usage: npm run bench:quality -- [options]
  --scenes LIST     ${SCENES.join(',')} (default cube,noise,mesh)
  --sizes LIST      WIDTHxHEIGHT,... (even sides; default 1280x720)
  --frames N        frames per scene and size (default 120: one keyframe interval)
  --bitrates LIST   H.264 bitrates in Mbit/s at 60 fps (default 0.5,1,2,4,8)
  --encoders LIST   video backends: webcodecs,ffmpeg (default both; DAWN_RFB_VIDEO_ENCODER's values)
  --quality N       JPEG quality 1..99 (default 80, the canvas's)
  --json FILE       the results (default bench-quality.json)
PSNR: RGB (alpha ignored), pooled over the frames; luma (BT.601) beside it. The equal-quality
ratio is JPEG bytes / H.264 bytes at JPEG's RGB PSNR (H.264's curve interpolated in log bytes).`;

const { values: opt, fail } = benchArgs('bench:quality', HELP, {
  scenes: { type: 'string', default: 'cube,noise,mesh' }, sizes: { type: 'string', default: '1280x720' },
  frames: { type: 'string', default: '120' }, bitrates: { type: 'string', default: '0.5,1,2,4,8' },
  encoders: { type: 'string', default: 'webcodecs,ffmpeg' }, quality: { type: 'string', default: '80' }, json: { type: 'string', default: 'bench-quality.json' },
});
const scenes = list(opt.scenes).map((s) => oneOf(fail, 'scenes', s, SCENES));
const sizes = list(opt.sizes).map((s) => frameSize(fail, 'sizes', s, { even: true }));
const frames = wholeNumber(fail, 'frames', opt.frames);
const encoders = list(opt.encoders).map((e) => oneOf(fail, 'encoders', e, ['webcodecs', 'ffmpeg']));
const bitrates = list(opt.bitrates).map((b) => {
  const bps = Math.round(Number(b) * 1e6);
  if (!(bps >= 100_000 && bps <= 200_000_000)) fail(`--bitrates: ${JSON.stringify(b)} is not a bitrate from 0.1 to 200 Mbit/s`);
  return bps;
});
const quality = Number(opt.quality);
if (!Number.isInteger(quality) || quality < 1 || quality > 99) fail(`--quality: expected a JPEG quality from 1 to 99, got ${JSON.stringify(opt.quality)}`);

const round = (x, d = 2) => (Number.isFinite(x) ? +x.toFixed(d) : x === Infinity ? 'Infinity' : null);
const median = (xs) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);

// The encoder's clock (see the header): frame i's time at 60 fps while it is handed over.
const realNow = performance.now.bind(performance);
let encoderClockMs = null;
performance.now = () => encoderClockMs ?? realNow();

/** Errors pooled over a run's frames. */
class Pooled {
  rgb = 0; y = 0; rgbSamples = 0; ySamples = 0; bytes = 0; frames = 0;
  add(reference, decoded) {
    const e = squaredError(reference, decoded);
    this.rgb += e.rgb; this.y += e.y; this.rgbSamples += e.rgbSamples; this.ySamples += e.ySamples;
  }
  get psnrRgb() { return psnr(this.rgb, this.rgbSamples); }
  get psnrY() { return psnr(this.y, this.ySamples); }
}

/** One H.264 run: one backend's encoder at `bitrate`, a decoder, the pooled error of what came out. */
function h264Run(backend, bitrate) {
  const run = { backend: backend.name, bitrate, encoder: backend.create('h264', bitrate), pooled: new Pooled(), keyframes: 0, encodeMs: [], decodes: [], references: new Map(), error: undefined };
  run.decoder = new mod.VideoDecoder({
    // The decoder hands pictures back a few frames late (it keeps a reorder window although the
    // stream has no B-frames), so each is matched to its rendered frame by timestamp (= index).
    output: (picture) => {
      const reference = run.references.get(picture.timestamp);
      run.references.delete(picture.timestamp);
      const rgba = new Uint8Array(picture.codedWidth * picture.codedHeight * 4);
      run.decodes.push(picture.copyTo(rgba, { format: 'RGBA' }).then(() => {
        if (!reference) throw new Error(`the decoder gave a picture of timestamp ${picture.timestamp}, which was never sent`);
        run.pooled.add(reference, rgba);
        run.pooled.frames++;
      }).finally(() => picture.close()));
    },
    error: (e) => { run.error ??= e; },
  });
  run.decoder.configure({ codec: VIDEO_CODECS.h264, optimizeForLatency: true });
  return run;
}

const device = await getDefaultDevice();
const machine = `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, node ${process.version}`;
const adapter = formatAdapterSummary(deviceSummary(device));
const mod = await loadVideoCodecs(); // its decoder decodes every backend's chunks
const backends = [];
for (const name of encoders) backends.push(await loadVideoBackend(name));
console.log(`machine: ${machine}\nadapter: ${adapter}\nload (1 min): ${os.loadavg()[0].toFixed(2)}\n${scenes.length * sizes.length} runs of ${frames} frames: JPEG q${quality}, H.264 (${encoders.join(', ')}) at ${bitrates.map((b) => b / 1e6).join(', ')} Mbit/s\n`);
const t0 = realNow();
const records = [];
for (const [width, height] of sizes) {
  for (const name of scenes) {
    const canvas = new OffscreenCanvas({ size: [width, height], updateMode: 'manual' });
    const scene = createScene(name, device, canvas.getContext().getPreferredFormat());
    scene.attach(canvas);
    const jpeg = { pooled: new Pooled(), encodeMs: [] };
    const runs = backends.flatMap((backend) => bitrates.map((b) => h264Run(backend, b)));
    const renderMs = [];
    for (let i = 0; i < frames; i++) {
      scene.seek(i);
      const r0 = realNow();
      const frame = await canvas.draw();
      renderMs.push(realNow() - r0);
      // A copy: the canvas recycles its frame buffers.
      const pixels = { width, height, data: new Uint8Array(frame.data) };
      const jpegDone = (async () => {
        const e0 = realNow();
        const image = await encodeFrame(pixels, { format: 'jpeg', quality });
        jpeg.encodeMs.push(realNow() - e0);
        const decoded = await sharp(image.data).ensureAlpha().raw().toBuffer();
        jpeg.pooled.add(pixels.data, decoded);
        jpeg.pooled.bytes += image.data.length;
        jpeg.pooled.frames++;
      })();
      const videoDone = runs.map(async (run) => {
        if (run.error) return;
        encoderClockMs = (i * 1000) / 60;
        const e0 = realNow();
        let encoding;
        try {
          encoding = run.encoder.encode(pixels, i % 120 === 0);
        } finally {
          encoderClockMs = null;
        }
        const chunk = await encoding.catch((e) => { run.error ??= e; });
        if (!chunk) return;
        run.encodeMs.push(realNow() - e0);
        run.pooled.bytes += chunk.data.length;
        if (chunk.key) run.keyframes++;
        run.references.set(i, pixels.data);
        run.decoder.decode(new mod.EncodedVideoChunk({ type: chunk.key ? 'key' : 'delta', timestamp: i, data: chunk.data }));
      });
      await Promise.all([jpegDone, ...videoDone]);
    }
    for (const run of runs) {
      if (!run.error) await run.decoder.flush().catch((e) => { run.error ??= e; });
      await Promise.all(run.decodes).catch((e) => { run.error ??= e; });
      run.encoder.close();
      if (run.decoder.state !== 'closed') run.decoder.close();
      if (!run.error && run.pooled.frames !== frames) run.error = new Error(`${run.pooled.frames} of ${frames} frames came out of the decoder`);
    }
    scene.destroy();
    canvas.close();

    const h264 = runs.map((run) => ({
      encoder: run.backend, bitrateMbps: run.bitrate / 1e6,
      ...(run.error ? { error: String(run.error.message ?? run.error) } : {}),
      bytesPerFrame: Math.round(run.pooled.bytes / frames),
      mbpsAt60: round((run.pooled.bytes / frames) * 8 * 60 / 1e6),
      psnrRgb: round(run.pooled.psnrRgb), psnrY: round(run.pooled.psnrY),
      keyframes: run.keyframes, encodeMs: round(median(run.encodeMs)),
    }));
    const jpegBytes = jpeg.pooled.bytes / frames;
    const target = jpeg.pooled.psnrRgb;
    const equalPsnr = {};
    for (const backend of encoders) {
      const at = bytesAtPsnr(runs.filter((r) => !r.error && r.backend === backend).map((r) => ({ bytes: r.pooled.bytes / frames, psnr: r.pooled.psnrRgb })), target);
      equalPsnr[backend] = {
        metric: 'rgb', psnr: round(target), how: at.how,
        h264BytesPerFrame: at.bytes === null ? null : Math.round(at.bytes),
        jpegOverH264: at.bytes === null ? null : round(jpegBytes / at.bytes, 1),
      };
    }
    const record = {
      scene: name, size: `${width}x${height}`, frames, renderMs: round(median(renderMs)),
      jpeg: { quality, bytesPerFrame: Math.round(jpegBytes), mbpsAt60: round(jpegBytes * 8 * 60 / 1e6), psnrRgb: round(target), psnrY: round(jpeg.pooled.psnrY), encodeMs: round(median(jpeg.encodeMs)) },
      h264,
      equalPsnr,
    };
    records.push(record);
    printRecord(record);
  }
}

function printRecord(r) {
  const kB = (b) => (b / 1024).toFixed(1).padStart(7);
  console.log(`${r.scene} ${r.size}, ${r.frames} frames (render ${r.renderMs} ms a frame):`);
  console.log(`  jpeg q${r.jpeg.quality}        ${kB(r.jpeg.bytesPerFrame)} kB/frame (${String(r.jpeg.mbpsAt60).padStart(6)} Mbit/s at 60 fps)  PSNR rgb ${r.jpeg.psnrRgb} dB, y ${r.jpeg.psnrY} dB  encode ${r.jpeg.encodeMs} ms`);
  for (const h of r.h264) {
    const what = h.error ? `FAILED: ${h.error}` : `${kB(h.bytesPerFrame)} kB/frame (${String(h.mbpsAt60).padStart(6)} Mbit/s at 60 fps)  PSNR rgb ${h.psnrRgb} dB, y ${h.psnrY} dB  encode ${h.encodeMs} ms, ${h.keyframes} keyframes`;
    console.log(`  h264 ${h.encoder.padEnd(9)} ${String(h.bitrateMbps).padStart(4)} Mbit/s ${what}`);
  }
  for (const [backend, e] of Object.entries(r.equalPsnr)) {
    const verdict = e.how === 'not reached'
      ? `H.264 does not reach JPEG's ${e.psnr} dB at these bitrates`
      : e.how === 'exceeded'
        ? `H.264 beats JPEG's ${e.psnr} dB even at its lowest bitrate: JPEG bytes / H.264 bytes >= ${e.jpegOverH264}`
        : `at JPEG's ${e.psnr} dB H.264 needs ${(e.h264BytesPerFrame / 1024).toFixed(1)} kB/frame: JPEG bytes / H.264 bytes = ${e.jpegOverH264}`;
    console.log(`  equal quality (RGB PSNR), ${backend}: ${verdict}`);
  }
  console.log('');
}

const seconds = round((realNow() - t0) / 1000, 1);
writeFileSync(opt.json, JSON.stringify({
  machine, adapter, date: new Date().toISOString(), seconds,
  method: 'PSNR over R, G, B (alpha ignored) from the squared error pooled over all frames; psnrY: BT.601 luma. equalPsnr: H.264 bytes at JPEG\'s RGB PSNR, interpolated in log(bytes) over the bitrates; "exceeded": even the lowest bitrate is better (ratio a lower bound); "not reached": no bitrate gets there. H.264 runs on a clock of 60 fps (frame i at i/60 s).',
  records,
}, null, 2));
console.log(`${seconds} s; wrote ${opt.json}`);
device.destroy();
process.exit(records.some((r) => r.h264.some((h) => h.error)) ? 1 : 0);
