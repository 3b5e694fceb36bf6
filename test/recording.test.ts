// Recording (RemoteCanvas.record) with the real GPU, the real H.264 encoder (npm
// @napi-rs/webcodecs) and real Chromium: a clip of N frames has N samples of the canvas's size
// (read from the MP4's own boxes by a small parser here), plays in Chromium's <video> with the
// right size and duration and shows the colours drawn; the notebook output is a <video> of the
// same bytes; save() never writes over a file unless asked; bad input gives typed errors.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from './helpers/browser.js';
import { cleanup, drawFullScreen, openView, sleep, track, until } from './helpers/remote.js';
import { CanvasClosedError, CanvasStateError, FileExistsError, InvalidArgumentError, RemoteCanvas, VideoEncoderError, type Recording } from '../src/index.js';
import { VIDEO_MODULE_ENV } from '../src/remote/frames/video-encoder.js';
import { DISPLAY_WRITER_HOOK, SHOW, type DisplayMessage } from '../src/remote/notebook/output.js';

// These callbacks run in the page; the type check has no DOM lib (see browser.test.ts).
declare const document: {
  querySelector(selector: string): VideoLike | null;
  createElement(tag: 'canvas'): { width: number; height: number; getContext(kind: '2d'): { drawImage(v: VideoLike, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
};
interface VideoLike {
  videoWidth: number; videoHeight: number; duration: number; currentTime: number; readyState: number;
  addEventListener(type: string, fn: () => void, o?: { once: boolean }): void;
  error: { code: number; message: string } | null;
  play(): Promise<void>;
  loop: boolean;
  webkitDecodedFrameCount: number;
}

// ---- a small MP4 reader: boxes, and the few fields the tests check -----------------------------

interface Box { type: string; start: number; end: number; body: number }
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

/** Every box of the file, containers opened (stsd's entries too), in file order. */
function boxes(data: Uint8Array, start = 0, end = data.length, out: Box[] = []): Box[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = start;
  while (at + 8 <= end) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(...data.subarray(at + 4, at + 8));
    let body = at + 8;
    if (size === 1) { size = Number(view.getBigUint64(at + 8)); body += 8; }
    if (size === 0) size = end - at;
    expect(size, `box ${type} at ${at}`).toBeGreaterThanOrEqual(8);
    out.push({ type, start: at, end: at + size, body });
    if (CONTAINERS.has(type)) boxes(data, body, at + size, out);
    if (type === 'stsd') boxes(data, body + 8, at + size, out); // version/flags, entry count
    at += size;
  }
  expect(at, 'boxes end where their parent does').toBe(end);
  return out;
}

interface Mp4Facts { brand: string; samples: number; sampleSizes: number[]; avc1: [number, number]; tkhd: [number, number]; keyframes: number; timescale: number; mdhdDuration: number }
function readMp4(data: Uint8Array): Mp4Facts {
  const all = boxes(data);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const one = (type: string): Box => {
    const found = all.filter((b) => b.type === type);
    expect(found, `one ${type} box`).toHaveLength(1);
    return found[0]!;
  };
  const ftyp = one('ftyp');
  const stsz = one('stsz');
  const fixedSize = view.getUint32(stsz.body + 4);
  const samples = view.getUint32(stsz.body + 8);
  const sampleSizes = fixedSize !== 0 ? new Array<number>(samples).fill(fixedSize)
    : Array.from({ length: samples }, (_, i) => view.getUint32(stsz.body + 12 + 4 * i));
  const avc1 = one('avc1'); // reserved 6, data reference 2, pre-defined and reserved 16, then width, height
  const tkhd = one('tkhd'); // ends with width and height, 16.16 fixed point
  const stss = all.find((b) => b.type === 'stss');
  const mdhd = one('mdhd');
  const version = data[mdhd.body]!;
  const timescale = view.getUint32(mdhd.body + (version === 1 ? 20 : 12));
  const mdhdDuration = version === 1 ? Number(view.getBigUint64(mdhd.body + 24)) : view.getUint32(mdhd.body + 16);
  return {
    brand: String.fromCharCode(...data.subarray(ftyp.body, ftyp.body + 4)),
    samples, sampleSizes,
    avc1: [view.getUint16(avc1.body + 24), view.getUint16(avc1.body + 26)],
    tkhd: [view.getUint32(tkhd.end - 8) / 65536, view.getUint32(tkhd.end - 4) / 65536],
    keyframes: stss ? view.getUint32(stss.body + 4) : samples,
    timescale, mdhdDuration,
  };
}

// ---- fixtures ----------------------------------------------------------------------------------

const SHADER = /* wgsl */ `
@group(0) @binding(0) var<uniform> u: vec4f;
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  return vec4f(vec2f(f32((i << 1u) & 2u), f32(i & 2u)) * 2.0 - 1.0, 0.0, 1.0);
}
@fragment fn fs() -> @location(0) vec4f { return vec4f(u.rgb, 1.0); }`;

/** The colour of the k-th draw (k from 1), bytes: each frame differs from the one before. */
const colour = (k: number): [number, number, number] => [(k * 23) % 256, 255 - ((k * 23) % 256), 128];

/** The linear value that the canvas's sRGB format (rgba8unorm-srgb) stores as the byte `c`. */
const linear = (c: number): number => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);

/** A canvas whose k-th draw fills it with colour(k); `drawn` counts the draws. */
async function changingCanvas(size: [number, number] = [96, 64], options: ConstructorParameters<typeof RemoteCanvas>[0] = {}): Promise<{ canvas: RemoteCanvas; drawn: () => number }> {
  const canvas = track(new RemoteCanvas({ size, ...options }));
  let k = 0;
  await drawFullScreen(canvas, SHADER, 16, () => {
    k++;
    return new Float32Array([...colour(k).map(linear), 1]);
  });
  return { canvas, drawn: () => k };
}

let browser: Browser;
let dir: string;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  dir = await mkdtemp(join(tmpdir(), 'dawn-rfb-recording-'));
});
afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  cleanup();
  delete process.env[VIDEO_MODULE_ENV];
  delete (globalThis as Record<symbol, unknown>)[DISPLAY_WRITER_HOOK];
});

/** Loads `html` (a <video>) into a page; its metadata and the centre pixel at the first and last frame. */
async function playInChromium(html: string): Promise<{ width: number; height: number; duration: number; first: number[]; last: number[]; decoded: number }> {
  const page = await browser.newPage();
  try {
    await page.setContent(html);
    return await page.evaluate(async () => {
      const v = document.querySelector('video')!;
      if (v.readyState < 1) {
        await new Promise<void>((resolve, reject) => {
          v.addEventListener('loadedmetadata', () => resolve(), { once: true });
          v.addEventListener('error', () => reject(new Error(`video error ${v.error?.code}: ${v.error?.message}`)), { once: true });
        });
      }
      const pixelAt = async (time: number): Promise<number[]> => {
        const seeked = new Promise<void>((resolve) => v.addEventListener('seeked', () => resolve(), { once: true }));
        v.currentTime = time;
        await seeked;
        const c = document.createElement('canvas');
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        const g = c.getContext('2d');
        g.drawImage(v, 0, 0);
        return [...g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data.subarray(0, 3)];
      };
      const first = await pixelAt(0);
      const last = await pixelAt(v.duration - 0.01);
      // And it plays through: from the start to 'ended', decoding its frames on the way.
      v.loop = false; // the notebook output loops; 'ended' needs a clip that stops
      v.currentTime = 0;
      const ended = new Promise<void>((resolve) => v.addEventListener('ended', () => resolve(), { once: true }));
      await v.play();
      await ended;
      return { width: v.videoWidth, height: v.videoHeight, duration: v.duration, first, last, decoded: v.webkitDecodedFrameCount };
    });
  } finally {
    await page.close();
  }
}

const near = (got: number[], want: readonly number[], tolerance = 12): void => {
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `channel ${i}: got ${got.join(',')}, want ${want.join(',')}`).toBeLessThanOrEqual(tolerance));
};

describe('record()', () => {
  let clip: Recording;
  let draws = 0;

  it('1 s at 10 fps of a canvas drawing a changing colour is an MP4 of 10 samples of its size', async () => {
    const { canvas, drawn } = await changingCanvas([96, 64]);
    const t0 = performance.now();
    clip = await canvas.record({ seconds: 1, fps: 10 });
    const tookMs = performance.now() - t0;
    draws = drawn();
    expect(clip.frames).toBe(10);
    expect([clip.width, clip.height]).toEqual([96, 64]);
    expect(clip.fps).toBe(10);
    expect(clip.durationSeconds).toBe(1);
    // No view makes this canvas draw: each tick drew a frame of its own.
    expect(draws).toBe(10);
    // Ticks are 1/fps apart: the tenth comes 0.9 s after the first.
    expect(tookMs).toBeGreaterThanOrEqual(880);
    const mp4 = readMp4(clip.data);
    expect(mp4.brand).toBe('isom');
    expect(mp4.samples).toBe(10);
    expect(mp4.sampleSizes.every((s) => s > 0)).toBe(true);
    expect(mp4.avc1).toEqual([96, 64]);
    expect(mp4.tkhd).toEqual([96, 64]);
    expect(mp4.keyframes).toBeGreaterThanOrEqual(1);
    expect(mp4.mdhdDuration / mp4.timescale).toBeCloseTo(1, 2);
    // Encoded bytes only: far below the raw frames' 10 x 96 x 64 x 4.
    expect(clip.data.byteLength).toBeLessThan(10 * 96 * 64 * 4 / 4);
    expect(String(clip)).toBe(`Recording 96x64, 10 frames at 10 fps (1.00 s), ${clip.data.byteLength} bytes of MP4`);
  });

  it('the clip plays in Chromium: its size, its duration, the first and last colours drawn', async () => {
    expect(clip).toBeDefined();
    const played = await playInChromium(clip.html());
    expect([played.width, played.height]).toEqual([96, 64]);
    expect(played.duration).toBeCloseTo(1, 1);
    near(played.first, colour(1));
    near(played.last, colour(draws));
    expect(played.decoded).toBeGreaterThanOrEqual(10);
  });

  it('show() writes a display_data output with a <video> of the same bytes', async () => {
    const messages: DisplayMessage[] = [];
    (globalThis as Record<symbol, unknown>)[DISPLAY_WRITER_HOOK] = () => (m: DisplayMessage) => { messages.push(m); };
    clip.show();
    clip[SHOW]();
    expect(messages).toHaveLength(2);
    const html = messages[0]!.data['text/html']!;
    expect(html).toMatch(/^<video controls [^>]*src="data:video\/mp4;base64,[A-Za-z0-9+/=]+"><\/video>$/);
    expect(Buffer.from(/base64,([^"]+)"/.exec(html)![1]!, 'base64').equals(Buffer.from(clip.data))).toBe(true);
    expect(messages[0]!.data['text/plain']).toBe(String(clip));
    expect(messages[0]!.transient.display_id).not.toBe(messages[1]!.transient.display_id);
  });

  it('save() writes the file, never over an existing one unless { overwrite: true }', async () => {
    const path = join(dir, 'clip.mp4');
    await clip.save(path);
    expect((await readFile(path)).equals(Buffer.from(clip.data))).toBe(true);
    const other = join(dir, 'keep.mp4');
    await writeFile(other, 'user data');
    await expect(clip.save(other)).rejects.toThrow(FileExistsError);
    await expect(clip.save(other)).rejects.toThrow(`save(): ${other} exists; it is left as it is. Pass { overwrite: true } to replace it`);
    expect(await readFile(other, 'utf8')).toBe('user data');
    await clip.save(other, { overwrite: true });
    expect((await readFile(other)).equals(Buffer.from(clip.data))).toBe(true);
    await expect(clip.save(other, { overwite: true } as never)).rejects.toThrow("unknown save option 'overwite'; did you mean 'overwrite'?");
    await expect(clip.save(other, { overwrite: 'yes' } as never)).rejects.toThrow('save(): overwrite must be true or false, got yes');
    await expect(clip.save('' as string)).rejects.toThrow(InvalidArgumentError);
  });

  it('takes the frames the canvas draws for a view, and draws its own only where none is new', async () => {
    const { canvas, drawn } = await changingCanvas([64, 48], { updateMode: 'continuous', maxFps: 60 });
    // Counts the draws record() asks for (it draws through the public forceDraw).
    let forced = 0;
    const forceDraw = canvas.forceDraw.bind(canvas);
    canvas.forceDraw = () => { forced++; return forceDraw(); };
    await openView(canvas, { size: { width: 64, height: 48 } });
    await until(() => drawn() >= 3, 5000, 'the view makes the canvas draw');
    const before = drawn();
    const r = await canvas.record({ seconds: 1, fps: 5 });
    expect(r.frames).toBe(5);
    expect(readMp4(r.data).samples).toBe(5);
    // The view keeps the canvas drawing at up to 60 fps: at most the first tick (no frame newer
    // than the one on show yet) drew one of its own.
    expect(drawn() - before).toBeGreaterThan(10);
    expect(forced).toBeLessThanOrEqual(1);
    // In 'ondemand' mode nothing requests draws: every tick draws its frame.
    canvas.setUpdateMode('ondemand');
    await sleep(200);
    forced = 0;
    const before2 = drawn();
    const r2 = await canvas.record({ seconds: 0.3, fps: 10 });
    expect(r2.frames).toBe(3);
    expect(forced).toBe(3);
    expect(drawn() - before2).toBe(3);
  });

  it('the default is 5 s at 30 fps', async () => {
    const { canvas } = await changingCanvas([32, 32]);
    const r = await canvas.record();
    expect([r.frames, r.fps, r.durationSeconds]).toEqual([150, 30, 5]);
    expect(readMp4(r.data).samples).toBe(150);
  }, 20_000);
});

describe('record() bad input', () => {
  it('options out of range or misspelled: InvalidArgumentError saying what is allowed', async () => {
    const { canvas, drawn } = await changingCanvas();
    const cases: [unknown, string][] = [
      [{ seconds: 0 }, 'record(): seconds must be a number more than 0 and at most 600, got 0'],
      [{ seconds: -1 }, 'got -1'],
      [{ seconds: 600.5 }, 'got 600.5'],
      [{ seconds: Number.NaN }, 'got NaN'],
      [{ seconds: '5' }, 'got 5'],
      [{ fps: 0 }, 'record(): fps must be an integer from 1 to 120, got 0'],
      [{ fps: 121 }, 'got 121'],
      [{ fps: 2.5 }, 'got 2.5'],
      [{ bitrate: 99_999 }, 'record(): bitrate must be an integer number of bits a second from 100000 to 200000000, got 99999'],
      [{ second: 1 }, "unknown record option 'second'; did you mean 'seconds'? allowed: seconds, fps, bitrate"],
      [5, 'record() takes an options object { seconds, fps, bitrate }, got 5'],
    ];
    for (const [options, message] of cases) {
      const p = canvas.record(options as never);
      await expect(p, JSON.stringify(options)).rejects.toThrow(InvalidArgumentError);
      await expect(p).rejects.toThrow(message);
    }
    expect(drawn()).toBe(0); // refused before any draw
    // Just inside the limits is accepted (600 s and 120 fps are not recorded here: a tick's worth).
    const ok = await canvas.record({ seconds: 1 / 120, fps: 120, bitrate: 100_000 });
    expect(ok.frames).toBe(1);
  });

  it('a closed canvas, or one closed while recording: CanvasClosedError', async () => {
    const { canvas } = await changingCanvas();
    const recording = canvas.record({ seconds: 2, fps: 10 });
    setTimeout(() => canvas.close(), 300);
    await expect(recording).rejects.toThrow(CanvasClosedError);
    await expect(recording).rejects.toThrow(/record\(\): the canvas was closed while recording \(after \d of 20 frames\)/);
    await expect(canvas.record()).rejects.toThrow('record(): the canvas is closed; create a new one');
  });

  it('a size H.264 cannot take, a resize while recording: CanvasStateError', async () => {
    const odd = (await changingCanvas([63, 48])).canvas;
    await expect(odd.record({ seconds: 0.1, fps: 10 })).rejects.toThrow(CanvasStateError);
    await expect(odd.record({ seconds: 0.1, fps: 10 })).rejects.toThrow('record(): the canvas is 63x48 physical pixels; H.264 needs even sides of at least 16 pixels');
    const { canvas } = await changingCanvas([64, 48]);
    const recording = canvas.record({ seconds: 1, fps: 10 });
    setTimeout(() => canvas.setLogicalSize(80, 48), 250);
    await expect(recording).rejects.toThrow('record(): the canvas changed size from 64x48 to 80x48 while recording; a recording keeps one size');
  });

  it('an encoder that does not load: VideoEncoderError saying how to install it', async () => {
    process.env[VIDEO_MODULE_ENV] = 'dawn-rfb-no-such-video-module-rec';
    const { canvas } = await changingCanvas();
    const p = canvas.record({ seconds: 0.1, fps: 10 });
    await expect(p).rejects.toThrow(VideoEncoderError);
    await expect(p).rejects.toThrow(/^record\(\) needs the H\.264 encoder \(npm @napi-rs\/webcodecs, an optional peer dependency\), which did not load: .+\. Install it with `npm install @napi-rs\/webcodecs`$/);
  });
});
