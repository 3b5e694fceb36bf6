// Video frames end to end in Chromium, with the real H.264 encoders (ffmpeg, which `auto` takes
// where it is installed, and npm @napi-rs/webcodecs: the first test runs on each) and
// Chromium's WebCodecs VideoDecoder: what the widget shows from video frames is within a stated
// PSNR of the frame the server rendered; the lossless refresh after idle is exact; a view joining
// mid-stream gets a correct still at once and video from the next scheduled keyframe, a resize
// and a decoder that lost its state each get a keyframe and a correct picture; a page without
// VideoDecoder, and an encoder that does not load, get stills (JPEG).
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterEach, expect, test } from 'vitest';
import { useChromium } from './helpers/browser.js';
import { captureReports } from './helpers/common.js';
import { decodeFrameMessage, RemoteCanvas, type DecodedFrameMessage, type RemoteCanvasOptions } from '../src/index.js';
import { VIDEO_MODULE_ENV } from '../src/remote/frames/video-encoder.js';
import { VIDEO_ENCODER_ENV } from '../src/remote/frames/video-backend.js';
import { FFMPEG_ENV } from '../src/remote/frames/ffmpeg-encoder.js';
import { KEYFRAME_MS } from '../src/remote/frames/video-sender.js';
import { videoCodecString } from '../src/remote/protocol.js';
import { drawFullScreen, until } from './helpers/remote.js';
import { rgbPsnr } from './helpers/video.js';

// These callbacks run in the page; the type check has no DOM lib (see browser.test.ts).
declare const document: {
  querySelector(selector: string): ({ getAttribute(name: string): string | null } & {
    width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
  }) | null;
};
declare const window: Record<string, unknown>;
declare function btoa(s: string): string;

/** The PSNR the video frames must reach against the rendered frame (H.264 at the default 4 Mbit/s, 320x240). */
const MIN_PSNR_DB = 35; // measured: 39.0-39.4 dB

// A textured background with a moving disc: content a video codec meets in practice.
const SHADER = /* wgsl */ `
@group(0) @binding(0) var<uniform> u: vec4f;
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  return vec4f(vec2f(f32((i << 1u) & 2u), f32(i & 2u)) * 2.0 - 1.0, 0.0, 1.0);
}
@fragment fn fs(@builtin(position) p: vec4f) -> @location(0) vec4f {
  let tex = 0.5 + 0.5 * sin((p.x + u.x * 4.0) / 9.0) * sin(p.y / 7.0);
  var c = vec4f(0.2 + 0.3 * tex, 0.25 + 0.2 * p.x / 400.0, 0.4 + 0.2 * tex, 1.0);
  let d = distance(p.xy, u.yz) / 40.0;
  if (d < 1.0) { let s = sqrt(1.0 - d * d); c = vec4f(0.9 * s, 0.5 * s, 0.25 * s, 1.0); }
  return c;
}`;

const session = useChromium();
let canvas: RemoteCanvas | undefined;

afterEach(async () => {
  canvas?.close();
  canvas = undefined;
  delete process.env[VIDEO_MODULE_ENV];
  delete process.env[VIDEO_ENCODER_ENV];
  delete process.env[FFMPEG_ENV];
});

/** The pages' console lines (the widget warns when it drops a frame it cannot decode). */
const consoleLines: string[] = [];
let t = 0;
function videoCanvas(options: RemoteCanvasOptions = {}): Promise<RemoteCanvas> {
  const c = new RemoteCanvas({ size: [320, 240], codec: 'h264', losslessDelayMs: Infinity, title: 'video', ...options });
  return drawFullScreen(c, SHADER, 16, () => {
    t++;
    return new Float32Array([t, 160 + 80 * Math.cos(t / 4), 120 + 60 * Math.sin(t / 4), 0]);
  });
}

async function openPage(c: RemoteCanvas, o: { onFrame?: (f: DecodedFrameMessage) => void; init?: () => void; viewport?: { width: number; height: number } } = {}): Promise<Page> {
  const page = await session.newPage({ viewport: o.viewport ?? { width: 700, height: 500 } });
  if (o.init) await page.addInitScript(o.init);
  if (o.onFrame) {
    const onFrame = o.onFrame;
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => { if (typeof payload !== 'string') onFrame(decodeFrameMessage(payload)); }));
  }
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { consoleLines.push(m.text()); });
  await page.goto(await c.getUrl());
  await page.waitForSelector('#view[data-status="live"][data-frame-index]');
  expect(errors).toEqual([]);
  return page;
}

type Rgba = { width: number; height: number; data: Buffer };

async function shown(page: Page): Promise<Rgba> {
  const r = await page.evaluate(() => {
    const el = document.querySelector('#view canvas')!;
    const d = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
    let s = '';
    for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]!);
    return { width: el.width, height: el.height, b64: btoa(s) };
  });
  return { width: r.width, height: r.height, data: Buffer.from(r.b64, 'base64') };
}

async function rendered(c: RemoteCanvas): Promise<Rgba> {
  const { data, info } = await sharp(await c.snapshot()).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

function psnr(a: Rgba, b: Rgba): number {
  expect(`${a.width}x${a.height}`).toBe(`${b.width}x${b.height}`);
  return rgbPsnr(a.data, b.data);
}

const attr = (page: Page, name: string): Promise<string | null> => page.locator('#view').getAttribute(name);

/**
 * Draws `n` frames, one after the other, then waits until every view acknowledged every frame
 * sent to it (views on stills and on video get different messages, so each has its own newest).
 */
async function drawFrames(c: RemoteCanvas, views: Page[], n = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    const before = c.stats().framesSent;
    c.requestDraw();
    await until(() => c.stats().framesSent > before, 10_000, 'the server to send a frame');
  }
  let last = -1;
  while (last !== c.stats().framesSent) {
    last = c.stats().framesSent;
    await until(() => {
      const s = c.stats();
      return s.views.length >= views.length && s.views.every((v) => v.framesAcked === v.framesSent);
    }, 10_000, 'every view to acknowledge every frame sent to it');
    // Kept: a quiet period; a keyframe for a view may still be encoding, and no statistic says so.
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function expectVideoPicture(c: RemoteCanvas, page: Page, what: string): Promise<void> {
  expect(await attr(page, 'data-codec'), what).toBe('h264');
  const db = psnr(await shown(page), await rendered(c));
  expect(db, `${what}: PSNR of the shown picture against the rendered frame, dB`).toBeGreaterThan(MIN_PSNR_DB);
}

// gpuColorConvert 'auto' is off on this software GPU; true makes the I420 planes on it all the same.
test.each([
  ['ffmpeg', 'auto'], ['webcodecs', 'auto'], ['ffmpeg', true], ['webcodecs', true],
] as const)('video frames (%s, gpuColorConvert %s) decode in Chromium to within the stated PSNR of the rendered frames; deltas are smaller than the keyframe', async (encoder, gpuColorConvert) => {
  process.env[VIDEO_ENCODER_ENV] = encoder;
  canvas = await videoCanvas({ gpuColorConvert });
  const frames: DecodedFrameMessage[] = [];
  const page = await openPage(canvas, { onFrame: (f) => frames.push(f) });
  await page.waitForSelector('#view[data-codec="h264"]');
  await drawFrames(canvas, [page], 8);
  await expectVideoPicture(canvas, page, 'after 8 frames');
  const video = frames.filter((f) => f.header.video);
  expect(video.length).toBeGreaterThanOrEqual(8);
  expect(video[0]!.header.video).toEqual({ codec: 'h264', key: true });
  expect(video[0]!.header.mimeType).toBe('video/h264');
  const deltas = video.filter((f) => !f.header.video!.key);
  expect(deltas.length).toBeGreaterThan(0);
  // On average: the background scrolls every frame, and the package's rate control keeps its
  // keyframes small, so a single delta may come within a percent of the keyframe (measured).
  expect(deltas.reduce((n, f) => n + f.image.length, 0) / deltas.length).toBeLessThan(video[0]!.image.length);
  // The decoder is set up for what the stream really is (both backends: x264's High profile),
  // read from the keyframe's parameters, not for a fixed profile.
  const config = videoCodecString('h264', video[0]!.image);
  expect(config).toMatch(/^avc1\.64[0-9a-f]{4}$/);
  expect(await attr(page, 'data-video-config')).toBe(config);
  const s = canvas.stats();
  expect(s.videoCodec).toBe('h264');
  expect(s.videoEncoder).toBe(encoder);
  expect(s.framesVideo).toBe(video.length);
  if (gpuColorConvert === true) {
    // With codec 'h264' every frame comes with planes, so every video frame was encoded from
    // them: the picture checked above too.
    expect(s.framesVideoGpuConverted).toBe(video.length);
  } else {
    expect(s.framesVideoGpuConverted).toBe(0);
  }
});

test('the lossless refresh after idle is pixel-exact over the video path', async () => {
  canvas = await videoCanvas({ losslessDelayMs: 200 });
  const frames: DecodedFrameMessage[] = [];
  const page = await openPage(canvas, { onFrame: (f) => frames.push(f) });
  // Not data-codec="h264" on the page: with a 200 ms idle delay, a loaded machine can show the
  // refresh (PNG) before the attribute is read, and nothing draws after it. Frames are drawn
  // until one goes as video: on a loaded machine the encoder may load after the first frame
  // went as a still and the scene went idle (then the view rightly shows the exact refresh).
  const deadline = Date.now() + 20_000;
  while (!frames.some((f) => f.header.video)) {
    if (Date.now() > deadline) throw new Error('no video frame within 20 s of drawing');
    canvas.requestDraw();
    await new Promise((r) => setTimeout(r, 100));
  }
  await drawFrames(canvas, [page], 4);
  expect(frames.filter((f) => f.header.video).length).toBeGreaterThanOrEqual(4);
  await page.waitForSelector('#view[data-frame-lossless="true"][data-codec="png"]', { timeout: 10_000 });
  const [a, b] = [await shown(page), await rendered(canvas)];
  let differing = 0;
  for (let i = 0; i < a.data.length; i += 4) if (a.data.compare(b.data, i, i + 4, i, i + 4) !== 0) differing++;
  expect(differing).toBe(0);
  // Drawing again goes back to video, from a keyframe (the view's last frame was the PNG).
  const png = frames.filter((f) => f.header.lossless).at(-1)!.header.index;
  await drawFrames(canvas, [page], 2);
  expect(frames.find((f) => f.header.index > png && f.header.video)?.header.video?.key).toBe(true);
});

test('a second view joining mid-stream shows a correct picture at once; a resize gives video frames of the new size', async () => {
  // Adaptation off: on a loaded machine the two views' controllers may take different steps
  // (then they rightly get an encoder each, stream-video.test.ts); this test is about joining.
  canvas = await videoCanvas({ cssWidth: '100%', cssHeight: '240px', adaptive: false });
  const first = await openPage(canvas, { viewport: { width: 400, height: 400 } });
  await first.waitForSelector('#view[data-codec="h264"]');
  await drawFrames(canvas, [first], 6);
  const second = await openPage(canvas, { viewport: { width: 400, height: 400 } });
  const keysAtJoin = canvas.stats().keyframesVideo;
  await drawFrames(canvas, [first, second], 2);
  // The joiner shows the right picture at once: a still, unless the encoder's scheduled keyframe
  // (KEYFRAME_MS after its last) fell meanwhile, which a loaded machine can make happen. Either
  // way the first view's stream gets no early keyframe for it.
  expect(psnr(await shown(second), await rendered(canvas)), 'the joiner\'s first picture, dB').toBeGreaterThan(MIN_PSNR_DB);
  if (await attr(second, 'data-codec') === 'jpeg') expect(canvas.stats().keyframesVideo).toBe(keysAtJoin);
  // From the encoder's next scheduled keyframe on, both views get the same video.
  const until4s = performance.now() + KEYFRAME_MS + 3000;
  while (await attr(second, 'data-codec') !== 'h264' && performance.now() < until4s) await drawFrames(canvas, [first, second], 1);
  expect(await attr(second, 'data-codec')).toBe('h264');
  expect(canvas.stats().keyframesVideo - keysAtJoin).toBeLessThanOrEqual(1); // that one keyframe served both
  expect(canvas.stats().videoEncoders).toBe(1);
  await expectVideoPicture(canvas, second, 'the view that joined');
  await expectVideoPicture(canvas, first, 'the first view');

  const size = await attr(first, 'data-frame-size');
  await first.setViewportSize({ width: 300, height: 400 });
  await second.setViewportSize({ width: 300, height: 400 });
  await first.waitForFunction((s) => document.querySelector('#view')!.getAttribute('data-frame-size') !== s, size, { timeout: 10_000 });
  await drawFrames(canvas, [first, second], 3);
  const [w, h] = canvas.getPhysicalSize();
  expect(`${w}x${h}`).not.toBe(size);
  expect(await attr(first, 'data-frame-size')).toBe(`${w}x${h}`);
  await expectVideoPicture(canvas, first, 'after the resize');
});

test('a view whose decoder fails asks for a keyframe and recovers', async () => {
  canvas = await videoCanvas();
  const frames: DecodedFrameMessage[] = [];
  // Chromium's real decoder, made to fail once: the 4th chunk is refused as a decoder that lost its state would.
  const page = await openPage(canvas, {
    onFrame: (f) => frames.push(f),
    init: () => {
      const VD = window.VideoDecoder as { prototype: { decode(chunk: unknown): void } };
      const decode = VD.prototype.decode;
      let calls = 0;
      VD.prototype.decode = function (this: unknown, chunk: unknown) {
        if (++calls === 4) throw new Error('simulated decoder loss');
        decode.call(this, chunk);
      };
    },
  });
  await page.waitForSelector('#view[data-codec="h264"]');
  await drawFrames(canvas, [page], 8);
  const lost = consoleLines.map((l) => /could not decode video frame (\d+) \(h264\); asking for a keyframe: Error: simulated decoder loss/.exec(l)).find((m) => m);
  expect(lost, 'the widget reported the decode error').toBeTruthy();
  const lostIndex = Number(lost![1]);
  // The server answered the request with a keyframe after the lost frame.
  expect(frames.some((f) => f.header.index > lostIndex && f.header.video?.key === true)).toBe(true);
  expect(Number(await attr(page, 'data-frame-index'))).toBeGreaterThan(lostIndex);
  await expectVideoPicture(canvas, page, 'after the decoder recovered');
});

test('a page without VideoDecoder gets stills (JPEG), and a canvas whose encoder does not load sends JPEG with one report', async () => {
  canvas = await videoCanvas();
  const page = await openPage(canvas, { init: () => { delete window.VideoDecoder; } });
  await drawFrames(canvas, [page], 3);
  expect(await attr(page, 'data-codec')).toBe('jpeg');
  expect(canvas.stats().framesVideo).toBe(0);
  canvas.close();

  // Neither backend loads: no ffmpeg at the named path, no package by the named module.
  process.env[FFMPEG_ENV] = '/nonexistent/ffmpeg';
  process.env[VIDEO_MODULE_ENV] = 'dawn-rfb-no-such-video-module';
  const { reports, restore } = captureReports();
  try {
    canvas = await videoCanvas();
    const second = await openPage(canvas);
    await drawFrames(canvas, [second], 4);
    expect(await attr(second, 'data-codec')).toBe('jpeg');
    expect(canvas.stats().videoCodec).toBeUndefined();
    const video = reports.filter(([where]) => where.includes('video frames'));
    expect(video).toHaveLength(1);
    expect(String(video[0]![1])).toMatch(/ffmpeg \(\/nonexistent\/ffmpeg\) was not found: install it/);
    expect(String(video[0]![1])).toMatch(/did not load.*npm install @napi-rs\/webcodecs/);
    const db = psnr(await shown(second), await rendered(canvas));
    expect(db).toBeGreaterThan(MIN_PSNR_DB);
  } finally {
    restore();
  }
});
