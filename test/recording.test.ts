// Recording (RemoteCanvas.record and startRecording / stop) with the real GPU, the real encoders
// (npm @napi-rs/webcodecs: H.264 in MP4, VP9 in WebM) and real Chromium: a clip of N frames has N
// samples (MP4 boxes) or blocks (WebM) of the canvas's size (read by helpers/clip-files.ts), plays
// in Chromium's <video> with the right size and duration and shows the colours drawn (an animated
// WebP: its pages, delays and colours read back with sharp, shown by Chromium's <img>); the notebook
// output is a <video> of the same bytes; a session stops on stop(), after maxSeconds and on close;
// one recording at a time; save() never writes over a file unless asked; bad input gives typed errors.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useChromium } from './helpers/browser.js';
import { cleanup, drawFullScreen, openView, sleep, track, until } from './helpers/remote.js';
import { expectMp4, readMp4, readWebm } from './helpers/clip-files.js';
import { CanvasClosedError, CanvasStateError, FileExistsError, InvalidArgumentError, RecordingSession, RemoteCanvas, VideoEncoderError, type Recording } from '../src/index.js';
import { VIDEO_MODULE_ENV } from '../src/remote/frames/video-encoder.js';
import { DISPLAY_WRITER_HOOK, SHOW, type DisplayMessage } from '../src/remote/notebook/output.js';

// These callbacks run in the page; the type check has no DOM lib (see browser.test.ts).
declare const document: {
  querySelector(selector: 'video'): VideoLike | null;
  querySelector(selector: 'img'): { naturalWidth: number; naturalHeight: number; decode(): Promise<void> } | null;
  createElement(tag: 'canvas'): { width: number; height: number; getContext(kind: '2d', options?: { willReadFrequently?: boolean }): { drawImage(v: VideoLike, x: number, y: number): void; clearRect(x: number, y: number, w: number, h: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
};
interface VideoLike {
  videoWidth: number; videoHeight: number; duration: number; currentTime: number; readyState: number;
  addEventListener(type: string, fn: () => void, o?: { once: boolean }): void;
  error: { code: number; message: string } | null;
  play(): Promise<void>;
  loop: boolean;
  webkitDecodedFrameCount: number;
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

const browser = useChromium();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dawn-rfb-recording-'));
});
afterAll(async () => {
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
        // 'seeked' may come before the frame there is decoded (seen at time 0 on a cold or loaded
        // Chromium, even with readyState at HAVE_CURRENT_DATA: the canvas got nothing, 0,0,0,0).
        // A drawn video frame is opaque, so draw again until the pixel is (for up to 5 s).
        const c = document.createElement('canvas');
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        const g = c.getContext('2d', { willReadFrequently: true });
        for (let tries = 0; tries < 500; tries++) {
          if (v.readyState >= 2) {
            g.clearRect(0, 0, c.width, c.height);
            g.drawImage(v, 0, 0);
            const px = g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
            if (px[3]! > 0) return [...px.subarray(0, 3)];
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error(`no frame of the video at ${time} s could be drawn within 5 s (readyState ${v.readyState})`);
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
    expectMp4(mp4, 10, [96, 64], 1);
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

describe("record({ format: 'webm' })", () => {
  it('is a WebM of VP9 blocks of the canvas size that plays in Chromium, first and last colours drawn', async () => {
    const { canvas, drawn } = await changingCanvas([96, 64]);
    const clip = await canvas.record({ seconds: 1, fps: 10, format: 'webm' });
    expect([clip.frames, clip.width, clip.height, clip.format, clip.mimeType]).toEqual([10, 96, 64, 'webm', 'video/webm']);
    expect(drawn()).toBe(10);
    const webm = readWebm(clip.data);
    expect([webm.docType, webm.codecId, webm.width, webm.height]).toEqual(['webm', 'V_VP9', 96, 64]);
    expect(webm.blocks.map((b) => b.ms)).toEqual(Array.from({ length: 10 }, (_, i) => i * 100));
    expect(webm.blocks[0]!.key).toBe(true);
    expect(webm.durationMs).toBeCloseTo(1000, -1);
    expect(String(clip)).toBe(`Recording 96x64, 10 frames at 10 fps (1.00 s), ${clip.data.byteLength} bytes of WebM`);
    expect(clip.html()).toMatch(/src="data:video\/webm;base64,/);
    const played = await playInChromium(clip.html());
    expect([played.width, played.height]).toEqual([96, 64]);
    expect(played.duration).toBeCloseTo(1, 1);
    near(played.first, colour(1));
    near(played.last, colour(10));
    expect(played.decoded).toBeGreaterThanOrEqual(10);
  });
});

describe("record({ format: 'webp' })", () => {
  it('is an animated WebP of the frames drawn: pages of the canvas size, 100 ms each, looping; Chromium shows it', async () => {
    const { canvas, drawn } = await changingCanvas([96, 64]);
    const clip = await canvas.record({ seconds: 1, fps: 10, format: 'webp' });
    expect([clip.frames, clip.format, clip.mimeType]).toEqual([10, 'webp', 'image/webp']);
    expect(drawn()).toBe(10);
    const meta = await sharp(clip.data, { animated: true }).metadata();
    expect([meta.format, meta.width, meta.pageHeight, meta.pages, meta.loop]).toEqual(['webp', 96, 64, 10, 0]);
    expect(meta.delay).toEqual(new Array(10).fill(100));
    const pagePixel = async (page: number): Promise<number[]> => {
      const { data, info } = await sharp(clip.data, { page }).raw().toBuffer({ resolveWithObject: true });
      const at = ((info.height >> 1) * info.width + (info.width >> 1)) * info.channels;
      return [...data.subarray(at, at + 3)];
    };
    near(await pagePixel(0), colour(1));
    near(await pagePixel(9), colour(10));
    expect(String(clip)).toBe(`Recording 96x64, 10 frames at 10 fps (1.00 s), ${clip.data.byteLength} bytes of animated WebP`);
    expect(clip.html()).toMatch(/^<img width="96" height="64" [^>]*src="data:image\/webp;base64,[A-Za-z0-9+/=]+">$/);
    const page = await browser.newPage();
    try {
      await page.setContent(clip.html());
      const shown = await page.evaluate(async () => {
        const img = document.querySelector('img')!;
        await img.decode();
        return [img.naturalWidth, img.naturalHeight];
      });
      expect(shown).toEqual([96, 64]);
    } finally {
      await page.close();
    }
  });

  it('needs no encoder package; more than 300 frames is refused up front, a canvas too big for 256 MB of frames at its first', async () => {
    process.env[VIDEO_MODULE_ENV] = 'dawn-rfb-no-such-video-module-webp';
    const { canvas, drawn } = await changingCanvas([32, 32]);
    expect((await canvas.record({ seconds: 0.2, fps: 10, format: 'webp' })).frames).toBe(2);
    await expect(canvas.record({ seconds: 3.01, fps: 100, format: 'webp' })).rejects.toThrow(
      "record(): an animated WebP holds at most 300 frames, and seconds x fps is 301: record fewer, or use format 'mp4' or 'webm'");
    expect(drawn()).toBe(2);
    // 4096 x 2048 x 4 is 32 MB a frame: 8 fit in 256 MB.
    const big = (await changingCanvas([4096, 2048])).canvas;
    await expect(big.record({ seconds: 0.1, fps: 100, format: 'webp' })).rejects.toThrow(
      "record(): 10 frames of 4096x2048 do not fit an animated WebP, which holds its frames raw until the end: at most 8 of this size (300 frames, 256 MB); record fewer, or use format 'mp4' or 'webm'");
  });

  it('startRecording stops by itself at the 300-frame limit (endedBy: limit)', async () => {
    const { canvas } = await changingCanvas([16, 16]);
    const session = canvas.startRecording({ fps: 120, format: 'webp' });
    const clip = await session.finished;
    expect(session.endedBy).toBe('limit');
    expect(clip.frames).toBe(300);
    expect((await sharp(clip.data, { animated: true }).metadata()).pages).toBe(300);
  }, 20_000);
});

describe('startRecording()', () => {
  it('records until stop(): frames and seconds count up, stop() twice gives the same promise, the clip has every frame', async () => {
    const { canvas, drawn } = await changingCanvas([64, 48]);
    const session = canvas.startRecording({ fps: 20 });
    expect(session).toBeInstanceOf(RecordingSession);
    expect(session.options).toEqual({ maxSeconds: 600, fps: 20, bitrate: 4_000_000, format: 'mp4' });
    expect(session.active).toBe(true);
    await until(() => session.frames >= 6, 5000, 'six frames recorded');
    expect(session.seconds).toBe(session.frames / 20);
    expect(String(session)).toMatch(/^RecordingSession recording, \d+ frames at 20 fps \(\d+\.\d\d s\) of MP4$/);
    const t0 = performance.now();
    const stopped = session.stop();
    expect(session.stop()).toBe(stopped);
    expect(session.active).toBe(false); // it takes no more frames
    const clip = await stopped;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(session.endedBy).toBe('stop');
    expect(clip.frames).toBe(session.frames);
    expect(clip.frames).toBe(drawn());
    expect(clip.frames).toBeGreaterThanOrEqual(6);
    expect(readMp4(clip.data).samples).toBe(clip.frames);
    expect(await session.stop()).toBe(clip);
    const played = await playInChromium(clip.html());
    expect(played.duration).toBeCloseTo(clip.frames / 20, 1);
    near(played.last, colour(clip.frames));
  });

  it('stop() wakes the wait for the next tick: at 1 fps it ends at once, and a recording has its first frame', async () => {
    const { canvas } = await changingCanvas([32, 32]);
    const session = canvas.startRecording({ fps: 1, format: 'webm' });
    const t0 = performance.now();
    const clip = await session.stop(); // before the first tick had its frame
    expect(performance.now() - t0).toBeLessThan(800);
    expect(clip.frames).toBe(1);
    expect(readWebm(clip.data).blocks).toHaveLength(1);
  });

  it('stops by itself after maxSeconds of clip', async () => {
    const { canvas } = await changingCanvas([32, 32]);
    const session = canvas.startRecording({ maxSeconds: 0.3, fps: 10 });
    const clip = await session.finished;
    expect(session.endedBy).toBe('maxSeconds');
    expect(session.active).toBe(false);
    expect(clip.frames).toBe(3);
    expect(await session.stop()).toBe(clip);
  });

  it('closing the canvas ends it: stop() resolves with the frames taken until then', async () => {
    const { canvas } = await changingCanvas([64, 48]);
    const session = canvas.startRecording({ fps: 10, format: 'webm' });
    await until(() => session.frames >= 3, 5000, 'three frames recorded');
    canvas.close();
    const clip = await session.stop();
    expect(session.endedBy).toBe('closed');
    expect(clip.frames).toBe(session.frames);
    expect(clip.frames).toBeGreaterThanOrEqual(3);
    expect(readWebm(clip.data).blocks).toHaveLength(clip.frames);
    expect(() => canvas.startRecording()).toThrow('startRecording(): the canvas is closed; create a new one');
  });

  it('closed before its first frame: stop() rejects with CanvasClosedError', async () => {
    const { canvas } = await changingCanvas([64, 48]);
    const session = canvas.startRecording();
    canvas.close();
    await expect(session.stop()).rejects.toThrow(CanvasClosedError);
    await expect(session.stop()).rejects.toThrow('startRecording(): the canvas was closed before a frame was recorded');
    expect(session.endedBy).toBe('closed');
  });

  it('one recording at a time: a second start or record() is a CanvasStateError until the first stops', async () => {
    const { canvas } = await changingCanvas([32, 32]);
    const first = canvas.startRecording({ fps: 10 });
    expect(() => canvas.startRecording()).toThrow(CanvasStateError);
    expect(() => canvas.startRecording()).toThrow(/^startRecording\(\): this canvas is recording already \(RecordingSession recording, \d+ frames at 10 fps .+\); stop\(\) that recording first: one recording at a time per canvas$/);
    await expect(canvas.record({ seconds: 0.1 })).rejects.toThrow(/^record\(\): this canvas is recording already/);
    await first.stop();
    const second = await canvas.record({ seconds: 0.2, fps: 10 });
    expect(second.frames).toBe(2);
  });

  it('bad options: InvalidArgumentError saying what is allowed, before anything is drawn', async () => {
    const { canvas, drawn } = await changingCanvas();
    const cases: [unknown, string][] = [
      [{ maxSeconds: 0 }, 'startRecording(): maxSeconds must be a number more than 0 and at most 600, got 0'],
      [{ maxSeconds: 601 }, 'got 601'],
      [{ seconds: 1 }, "unknown startRecording option 'seconds'; did you mean 'maxSeconds'? allowed: maxSeconds, fps, bitrate, format"],
      [{ maxSecond: 1 }, "unknown startRecording option 'maxSecond'; did you mean 'maxSeconds'?"],
      [{ fps: 0 }, 'startRecording(): fps must be an integer from 1 to 120, got 0'],
      [{ bitrate: 1 }, 'startRecording(): bitrate must be an integer number of bits a second from 100000 to 200000000, got 1'],
      [{ format: 'mkv' }, "startRecording(): format must be one of 'mp4', 'webm', 'webp', got 'mkv'"],
      ['fast', 'startRecording() takes an options object { maxSeconds, fps, bitrate, format }, got fast'],
    ];
    for (const [options, message] of cases) {
      expect(() => canvas.startRecording(options as never), JSON.stringify(options)).toThrow(InvalidArgumentError);
      expect(() => canvas.startRecording(options as never)).toThrow(message);
    }
    expect(drawn()).toBe(0);
  });

  it('an encoder that does not load: stop() rejects with VideoEncoderError naming the codec', async () => {
    process.env[VIDEO_MODULE_ENV] = 'dawn-rfb-no-such-video-module-start';
    const { canvas } = await changingCanvas();
    const session = canvas.startRecording({ format: 'webm' });
    await expect(session.stop()).rejects.toThrow(/^startRecording\(\) needs the VP9 encoder \(npm @napi-rs\/webcodecs, an optional peer dependency\), which did not load: .+\. Install it with `npm install @napi-rs\/webcodecs`$/);
    expect(session.endedBy).toBe('error');
  });
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
      [{ second: 1 }, "unknown record option 'second'; did you mean 'seconds'? allowed: seconds, fps, bitrate, format"],
      [5, 'record() takes an options object { seconds, fps, bitrate, format }, got 5'],
      [{ format: 'avi' }, "record(): format must be one of 'mp4', 'webm', 'webp', got 'avi'"],
      [{ format: 3 }, 'got 3'],
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
