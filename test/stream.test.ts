// The FrameStream without a GPU or a socket: frames are RGBA arrays, views are Views over a
// recording channel, encoding is real sharp. What is sent (in drawing order, lossy then a
// lossless refresh), to whom (visible views, newest frame for latecomers), and the encode slots
// that hold back drawing.
import sharp from 'sharp';
import { afterEach, expect, test } from 'vitest';
import type { Frame } from '../src/canvas/base.js';
import { PixelLease, PixelPool } from '../src/canvas/pixel-pool.js';
import { CanvasStateError } from '../src/errors.js';
import type { ViewChannel } from '../src/remote/transport/channel.js';
import { decodeFrameMessage, type FrameHeader, type FramePart } from '../src/remote/protocol.js';
import { FrameStream, type FrameStreamOptions } from '../src/remote/frames/stream.js';
import { encodeFrame } from '../src/remote/frames/image-encoder.js';
import { View } from '../src/remote/transport/view.js';
import { captureReports, sleep, until } from './helpers/common.js';

/** A channel that decodes the frames the view sends. */
class RecordingChannel implements ViewChannel {
  readonly description = 'recording';
  readonly bufferedAmount = 0;
  readonly frames: { header: FrameHeader; image: Uint8Array; parts: FramePart[] }[] = [];
  send(data: string | Uint8Array): void {
    if (typeof data !== 'string') {
      const { header, image, parts } = decodeFrameMessage(data);
      this.frames.push({ header, image: image.slice(), parts: parts.map((p) => ({ ...p, image: p.image.slice() })) });
    }
  }
  #onMessage: ((data: string | Uint8Array) => void) | undefined;
  close(): void {}
  onMessage(handler: (data: string | Uint8Array) => void): void { this.#onMessage = handler; }
  onClose(): void {}
  /** The peer acknowledges frame `index`. */
  ack(index: number): void { this.#onMessage?.(JSON.stringify({ type: 'ack', index })); }
}

const OPTIONS: FrameStreamOptions = { quality: 80, lossyFormat: 'jpeg', losslessDelayMs: Infinity, maxEncodes: 2, dirtyTiles: true, maxFrameParts: 1 };
const streams: FrameStream[] = [];
afterEach(() => { for (const s of streams.splice(0)) s.close(); });

function setup(options: Partial<FrameStreamOptions> = {}, maxBufferedFrames = 100): {
  stream: FrameStream; views: Map<string, View>; addView(): { view: View; channel: RecordingChannel };
} {
  const views = new Map<string, View>();
  const stream = new FrameStream('c0ffee', { ...OPTIONS, ...options }, views);
  streams.push(stream);
  return {
    stream, views,
    addView() {
      const channel = new RecordingChannel();
      const view = new View(channel, { onEvent() {}, onResize() {}, onAck() {}, onClose() {} }, maxBufferedFrames);
      views.set(view.id, view);
      return { view, channel };
    },
  };
}

let frameCount = 0;
/** A solid 16x8 frame of one grey level (so frames tell apart after JPEG). */
function frame(level: number, alphaMode: GPUCanvasAlphaMode = 'opaque'): Frame {
  const data = new Uint8Array(16 * 8 * 4);
  for (let i = 0; i < data.length; i += 4) data.set([level, level, level, 255], i);
  return { width: 16, height: 8, data, index: ++frameCount, timestamp: frameCount / 10, pixelRatio: 2, alphaMode };
}

async function level(image: Uint8Array): Promise<number> {
  const { data } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  return data[0]!;
}

test('nothing is encoded while no view is connected, but the frame is kept', async () => {
  const { stream, addView } = setup();
  const f = frame(10);
  await stream.present(f);
  expect(stream.lastFrame).toBe(f);
  expect(stream.stats()).toEqual({ framesSent: 0, framesEncoded: 0, framesPatched: 0, framesComparedOnGpu: 0, encodeMs: 0, framesVideo: 0, framesVideoGpuConverted: 0, keyframesVideo: 0, videoCodec: undefined, videoEncoders: 0, videoViews: [] });
  // Encoded frames are counted in drawing order: once a later frame for a view is, an encode of
  // the first would have been counted too.
  const { channel } = addView();
  await stream.present(frame(200));
  await until(() => channel.frames.length === 1, 3000, 'the frame for the view');
  expect(channel.frames[0]!.header.index).toBe(1);
  expect(stream.stats()).toMatchObject({ framesSent: 1, framesEncoded: 1 });
});

test('frames go out in drawing order with numbered headers, however their encodes finish', async () => {
  const { stream, addView } = setup({ maxEncodes: 4 });
  const { channel } = addView();
  // Four encodes run at once on sharp's thread pool and may finish in any order; sends may not.
  const levels = [20, 60, 100, 140, 180, 220];
  for (const l of levels) await stream.present(frame(l));
  await until(() => channel.frames.length === levels.length);
  expect(channel.frames.map((f) => f.header.index)).toEqual([1, 2, 3, 4, 5, 6]);
  const got = await Promise.all(channel.frames.map((f) => level(f.image)));
  got.forEach((g, i) => expect(Math.abs(g - levels[i]!)).toBeLessThanOrEqual(3));
  expect(channel.frames[0]!.header).toMatchObject({
    canvasId: 'c0ffee', mimeType: 'image/jpeg', width: 16, height: 8, pixelRatio: 2, lossless: false, alpha: false,
  });
  expect(stream.stats()).toMatchObject({ framesSent: 6, framesEncoded: 6 });
});

test('after losslessDelayMs without a new frame, the last one is sent again as exact PNG', async () => {
  const { stream, addView } = setup({ losslessDelayMs: 30 });
  const { channel } = addView();
  await stream.present(frame(77));
  await until(() => channel.frames.length === 2, 3000, 'the lossless refresh');
  const [lossy, refresh] = channel.frames;
  expect([lossy!.header.lossless, refresh!.header.lossless, refresh!.header.mimeType]).toEqual([false, true, 'image/png']);
  expect(await level(refresh!.image)).toBe(77);
  await sleep(100); // the rule is about time: a second refresh would come 30 ms after the first
  expect(channel.frames.length).toBe(2); // once
});

test("the refresh is the 'small' PNG (it waits for the link, not the CPU); live PNG frames (quality 100) are the fast one", async () => {
  // A shaded frame, where the efforts differ (a solid one compresses alike either way).
  const shaded = (): Frame => {
    const f = frame(0);
    const data = new Uint8Array(64 * 48 * 4);
    for (let i = 0; i < data.length; i += 4) { const p = i / 4; data.set([(p * 7) % 251, (p >> 6) * 5, ((p % 64) * (p >> 6)) & 255, 255], i); }
    return { ...f, width: 64, height: 48, data };
  };
  const small = async (f: Frame): Promise<Buffer> => (await encodeFrame(f, { format: 'png', effort: 'small' })).data;
  const fast = async (f: Frame): Promise<Buffer> => (await encodeFrame(f, { format: 'png' })).data;
  const a = setup({ losslessDelayMs: 30 });
  const va = a.addView();
  const f1 = shaded();
  await a.stream.present(f1);
  await until(() => va.channel.frames.length === 2, 3000, 'the lossless refresh');
  const refresh = Buffer.from(va.channel.frames[1]!.image);
  expect(refresh.equals(await small(f1))).toBe(true);
  expect(refresh.length).toBeLessThan((await fast(f1)).length);
  const b = setup({ quality: 100, losslessDelayMs: Infinity });
  const vb = b.addView();
  const f2 = shaded();
  await b.stream.present(f2);
  await until(() => vb.channel.frames.length === 1, 3000, 'the PNG frame');
  expect(Buffer.from(vb.channel.frames[0]!.image).equals(await fast(f2))).toBe(true);
});

test('no refresh while a draw waits for the views\' windows (a busy scene over a slow link); once there is room and no draw, it comes', async () => {
  const { stream, addView } = setup({ losslessDelayMs: 30 }, 1);
  const { channel } = addView();
  await stream.present(frame(90));
  await until(() => channel.frames.length === 1, 3000, 'the frame');
  // The canvas wants its next frame; the one frame in flight holds it back (measured over
  // 5 Mbit/s: a 2.7 MB PNG of a busy scene took the link for seconds, frames in between).
  expect(stream.mayDraw()).toBe(false);
  await sleep(200); // the rule is about time: the refresh would have come 30 ms after the frame
  expect(channel.frames.length).toBe(1);
  // Acknowledged, and the canvas does not draw: it was idle after all, and gets its refresh.
  channel.ack(1);
  await until(() => channel.frames.length === 2, 3000, 'the refresh once there is room');
  expect(channel.frames[1]!.header).toMatchObject({ lossless: true, mimeType: 'image/png' });
  expect(await level(channel.frames[1]!.image)).toBe(90);
  // Held again, then a newer frame drawn once there is room: no refresh of the old one, and
  // the new one's own comes after it.
  channel.ack(2);
  await stream.present(frame(40));
  await until(() => channel.frames.length === 3, 3000, 'the second frame');
  expect(stream.mayDraw()).toBe(false);
  await sleep(100); // the rule is about time, as above
  expect(channel.frames.length).toBe(3);
  channel.ack(3);
  await stream.present(frame(60));
  await until(() => channel.frames.length === 4, 3000, 'the third frame');
  channel.ack(4);
  await until(() => channel.frames.length === 5, 3000, 'its refresh');
  expect(channel.frames.map((f) => [f.header.lossless, f.header.index])).toEqual([[false, 1], [true, 2], [false, 3], [false, 4], [true, 5]]);
  expect(await level(channel.frames[4]!.image)).toBe(60);
});

test('a newer frame cancels the refresh of the older one; quality 100 sends PNG at once and no refresh', async () => {
  const a = setup({ losslessDelayMs: 80 });
  const va = a.addView();
  await a.stream.present(frame(10));
  await until(() => va.channel.frames.length === 1);
  await a.stream.present(frame(30));
  await until(() => va.channel.frames.length >= 3, 3000, 'the second frame and its refresh');
  await sleep(120); // the rule is about time: the cancelled refresh of frame 1 would have come by now (80 ms)
  expect(va.channel.frames.map((f) => [f.header.index, f.header.lossless])).toEqual([[1, false], [2, false], [3, true]]);
  expect(await level(va.channel.frames[2]!.image)).toBe(30);

  const b = setup({ quality: 100, losslessDelayMs: 10 });
  const vb = b.addView();
  await b.stream.present(frame(50));
  await until(() => vb.channel.frames.length === 1, 3000, 'the PNG');
  await sleep(100); // the rule is about time: a refresh would come 10 ms after it
  expect(vb.channel.frames.map((f) => [f.header.mimeType, f.header.lossless])).toEqual([['image/png', true]]);
});

test('premultiplied frames keep their alpha (PNG, alpha flag)', async () => {
  const { stream, addView } = setup();
  const { channel } = addView();
  await stream.present(frame(40, 'premultiplied'));
  await until(() => channel.frames.length === 1);
  expect(channel.frames[0]!.header).toMatchObject({ alpha: true, mimeType: 'image/png' });
});

test('encodes in flight count against each view, and present() waits for an encode slot', async () => {
  const { stream, addView } = setup({ maxEncodes: 1 }, 1);
  const { view, channel } = addView();
  expect(stream.mayDraw()).toBe(true);
  await stream.present(frame(1)); // takes the only slot until its encode ends
  // One frame encoding fills a view that may have one unacknowledged: drawing would be wasted.
  expect(stream.mayDraw()).toBe(false);
  let second = false;
  const p = stream.present(frame(2)).then(() => { second = true; });
  await Promise.resolve();
  expect(second).toBe(false); // waits for the slot (the encode runs on sharp's thread pool)
  await p;
  await until(() => channel.frames.length === 1 && stream.stats().framesEncoded === 2);
  // Frame 2 waits for room (frame 1 unacknowledged); the ack sends it.
  expect([view.unacked, stream.mayDraw()]).toEqual([1, false]);
  channel.ack(1);
  expect(channel.frames.map((f) => f.header.index)).toEqual([1, 2]);
  channel.ack(2);
  expect([view.unacked, stream.mayDraw()]).toEqual([0, true]);
});

test('a view that comes later, or comes back into sight, gets the newest frame (catchUp)', async () => {
  const { stream, addView } = setup();
  const first = addView();
  for (const l of [10, 90]) await stream.present(frame(l));
  await until(() => first.channel.frames.length === 2);
  const late = addView();
  stream.catchUp(late.view);
  stream.catchUp(late.view); // already offered: not again
  expect(late.channel.frames.map((f) => f.header.index)).toEqual([2]);
});

test('after close, frames still encoding are not sent and no refresh comes', async () => {
  const capture = captureReports();
  try {
    const { stream, addView } = setup({ losslessDelayMs: 10 });
    const { channel } = addView();
    await stream.present(frame(5));
    stream.close();
    await until(() => stream.stats().framesEncoded === 1, 3000, 'the encode in flight to finish');
    expect(channel.frames).toEqual([]);
    await stream.present(frame(6));
    // the rule is about time: a refresh (10 ms) or an encode of frame 6 would have come by now;
    // a closed stream has nothing to wait for
    await sleep(50);
    expect(stream.stats().framesEncoded).toBe(1);
    expect(capture.reports).toEqual([]);
  } finally {
    capture.restore();
  }
});

/** A frame of `width` x `height` with a different colour in every pixel (a gradient with a pattern). */
function busyFrame(width: number, height: number): Frame {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x & 255, y & 255, (x * 7 + y * 13) & 255, 255], (y * width + x) * 4);
  }
  return { width, height, data, index: ++frameCount, timestamp: frameCount / 10, pixelRatio: 1, alphaMode: 'opaque' };
}

/** Decodes each strip and stacks them: the whole image as the view puts it together. */
async function joined(parts: FramePart[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(parts.map((p) => sharp(p.image).raw().toBuffer())));
}

test('a big frame goes in strips encoded at once (maxFrameParts) that join to exactly the frame', async () => {
  // 1280x720 is 921,600 pixels: three strips of at least 256 K pixels each.
  const { stream, addView } = setup({ quality: 100, maxFrameParts: 8 });
  const { channel } = addView();
  const f = busyFrame(1280, 720);
  await stream.present(f);
  await until(() => channel.frames.length === 1, 10_000, 'the frame');
  const { header, parts } = channel.frames[0]!;
  expect(parts.length).toBe(3);
  expect(header.parts!.map((p) => p.height)).toEqual([240, 240, 240]);
  expect(parts.map((p) => p.y)).toEqual([0, 240, 480]);
  for (const p of parts) expect([...p.image.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  // Lossless: the joined strips are the frame's RGB, byte for byte.
  const rgb = Buffer.alloc(1280 * 720 * 3);
  for (let i = 0, o = 0; i < f.data.length; i += 4, o += 3) rgb.set(f.data.subarray(i, i + 3), o);
  expect((await joined(parts)).equals(rgb)).toBe(true);
});

test('strips: at most maxFrameParts, heights in whole 16-row JPEG blocks, and small frames stay whole', async () => {
  const { stream, addView } = setup({ maxFrameParts: 2 });
  const { channel } = addView();
  await stream.present(busyFrame(1000, 1000)); // 3 strips' worth of pixels, capped at 2
  await stream.present(busyFrame(640, 480)); // 307,200 pixels: one part
  await until(() => channel.frames.length === 2, 10_000, 'two frames');
  const [big, small] = channel.frames;
  expect(big!.header.parts!.map((p) => p.height)).toEqual([512, 488]);
  expect(big!.parts.every((p) => p.image[0] === 0xff && p.image[1] === 0xd8)).toBe(true); // JPEG
  expect(small!.parts.length).toBe(1);
  expect(small!.header.parts).toBeUndefined();
  // Lossy strips join into the frame's size, close to its pixels.
  const rgb = await joined(big!.parts);
  expect(rgb.length).toBe(1000 * 1000 * 3);
});

test('without maxFrameParts every frame is one image', async () => {
  const { stream, addView } = setup();
  const { channel } = addView();
  await stream.present(busyFrame(1280, 720));
  await until(() => channel.frames.length === 1, 10_000, 'the frame');
  expect(channel.frames[0]!.parts.length).toBe(1);
});

test('frame pixels are handed back (recycle) only when nothing uses them: overwriting them then changes no frame sent', async () => {
  const recycled: Frame[] = [];
  const views = new Map<string, View>();
  // The leases of a real pool, as the canvas's _retainFrame gives them. The canvas would read a
  // later frame into pixels back in the pool: scribble over them as soon as they are.
  const pool = new PixelPool();
  const stream = new FrameStream('c0ffee', { ...OPTIONS, maxEncodes: 4, dirtyTiles: true }, views, (f) => {
    const lease = pool.retain(f.data);
    return new PixelLease(() => {
      lease.release();
      if (pool.uses(f.data) > 0) return;
      recycled.push(f);
      f.data.fill(99);
    });
  });
  streams.push(stream);
  const channel = new RecordingChannel();
  const view = new View(channel, { onEvent() {}, onResize() {}, onAck() {}, onClose() {} }, 100);
  views.set(view.id, view);
  const levels = [20, 60, 100, 140, 180, 220, 40, 80];
  const frames = levels.map((l) => frame(l));
  for (const f of frames) await stream.present(f);
  await until(() => channel.frames.length === levels.length, 10_000, 'every frame');
  expect(await Promise.all(channel.frames.map((f) => level(f.image)))).toEqual(levels.map((l) => expect.closeTo(l, -1) as unknown as number));
  // Every frame but the newest (still the newest frame and the base of the next partial frame) came back, once each.
  expect(new Set(recycled).size).toBe(recycled.length);
  expect(recycled.sort((a, b) => a.index - b.index)).toEqual(frames.slice(0, -1));
  // A hold (a snapshot encoding) keeps the newest frame's pixels past the next frame.
  const last = frames.at(-1)!;
  const lease = stream.hold(last);
  await stream.present(frame(120));
  await until(() => channel.frames.length === levels.length + 1, 10_000, 'one more frame');
  expect(recycled).not.toContain(last);
  lease.release();
  expect(() => lease.release()).toThrow(CanvasStateError); // one use ends once
  expect(recycled.filter((f) => f === last)).toHaveLength(1);
});
