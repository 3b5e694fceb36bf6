// The FrameStream's video kind without a GPU or a browser: frames are RGBA arrays, views are Views
// over a recording channel, the encoder is the real H.264 one (npm @napi-rs/webcodecs). Which view
// gets video and which stills, one encode for all the video views, keyframes on join, request and
// resize, and an encoder that dies mid-stream: one report, then JPEG, the newest frame at once.
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import type { Frame } from '../src/canvas/base.js';
import type { ViewChannel } from '../src/remote/transport/channel.js';
import { decodeFrameMessage, type FrameHeader } from '../src/remote/protocol.js';
import { FrameStream, type FrameStreamOptions } from '../src/remote/frames/stream.js';
import { VIDEO_MODULE_ENV } from '../src/remote/frames/video-encoder.js';
import { VIDEO_ENCODER_ENV } from '../src/remote/frames/video-backend.js';
import { KEYFRAME_EVERY } from '../src/remote/frames/video-sender.js';
import { AdaptiveRate } from '../src/remote/transport/adaptive.js';
import { View } from '../src/remote/transport/view.js';
import { captureReports, until } from './helpers/common.js';

class RecordingChannel implements ViewChannel {
  readonly description = 'recording';
  readonly bufferedAmount = 0;
  readonly frames: { header: FrameHeader; image: Uint8Array }[] = [];
  send(data: string | Uint8Array): void {
    if (typeof data !== 'string') {
      const { header, image } = decodeFrameMessage(data);
      this.frames.push({ header, image: image.slice() });
      // Acknowledged as a widget would once drawn (after this send returns), so the view has room.
      queueMicrotask(() => this.say({ type: 'ack', index: header.index }));
    }
  }
  #onMessage: ((data: string | Uint8Array) => void) | undefined;
  close(): void {}
  onMessage(handler: (data: string | Uint8Array) => void): void { this.#onMessage = handler; }
  onClose(): void {}
  /** The peer sends a JSON message. */
  say(message: object): void { this.#onMessage?.(JSON.stringify(message)); }
}

const OPTIONS: FrameStreamOptions = {
  quality: 80, lossyFormat: 'jpeg', losslessDelayMs: Infinity, maxEncodes: 1, dirtyTiles: true, maxFrameParts: 1, codec: 'h264', videoBitrate: 1_000_000,
};
const streams: FrameStream[] = [];
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
  delete process.env[VIDEO_MODULE_ENV];
  delete process.env[VIDEO_ENCODER_ENV];
});

function setup(options: Partial<FrameStreamOptions> = {}): { stream: FrameStream; addView(video: boolean): RecordingChannel; viewOf(channel: RecordingChannel): View } {
  const views = new Map<string, View>();
  const byChannel = new Map<RecordingChannel, View>();
  const stream = new FrameStream('c0ffee', { ...OPTIONS, ...options }, views);
  streams.push(stream);
  return {
    stream,
    addView(video) {
      const channel = new RecordingChannel();
      const view = new View(channel, {
        onEvent() {}, onResize() {}, onAck() {}, onClose() {},
        onCodecs: (v) => stream.keyframeNeeded(v), onKeyframeRequest: (v) => stream.keyframeNeeded(v),
      }, 100);
      views.set(view.id, view);
      byChannel.set(channel, view);
      // As the canvas does on a view's hello, then the widget's codecs message.
      stream.catchUp(view);
      if (video) channel.say({ type: 'codecs', decode: ['h264'] });
      return channel;
    },
    viewOf: (channel) => byChannel.get(channel)!,
  };
}

/** A real adaptive controller driven over a simulated 100 ms link whose queue grows: it has lowered its quality. */
function slowController(): AdaptiveRate {
  let now = 0;
  const controller = new AdaptiveRate({ baseWindow: 2, quality: OPTIONS.quality }, () => now);
  for (let i = 1; i <= 15; i++) {
    controller.onSent(i);
    now += 100 + i * 20;
    controller.onAck(i);
  }
  return controller;
}

let count = 0;
/** A 64x48 gradient that moves with `t`. */
function frame(t: number, width = 64, height = 48): Frame {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([(x * 4 + t * 8) & 255, y * 5, 128, 255], (y * width + x) * 4);
  return { width, height, data, index: ++count, timestamp: count / 10, pixelRatio: 1, alphaMode: 'opaque' };
}

/** Presents frames one by one, waiting for each to be sent. */
async function present(stream: FrameStream, frames: Frame[]): Promise<void> {
  for (const f of frames) {
    const sent = stream.stats().framesSent;
    await stream.present(f);
    await until(() => stream.stats().framesSent > sent, 5000, 'the frame to be sent');
  }
}

const kinds = (c: RecordingChannel): string[] => c.frames.map((f) => (f.header.video ? (f.header.video.key ? 'key' : 'delta') : f.header.mimeType));

test('video views get H.264 from one encode, a view without the codec gets JPEG of the same frames', async () => {
  const { stream, addView } = setup();
  await until(() => stream.stats().videoCodec === 'h264', 10_000, 'the encoder to load');
  const a = addView(true);
  const b = addView(true);
  const stills = addView(false);
  await present(stream, [0, 1, 2, 3, 4].map((t) => frame(t)));
  await until(() => a.frames.length >= 5 && stills.frames.length >= 5, 5000, 'every view to get 5 frames');
  expect(kinds(a).slice(0, 5)).toEqual(['key', 'delta', 'delta', 'delta', 'delta']);
  // One encode per frame serves both video views: the same messages, byte for byte.
  expect(b.frames.map((f) => [f.header.index, [...f.image]])).toEqual(a.frames.map((f) => [f.header.index, [...f.image]]));
  expect(kinds(stills).every((k) => k === 'image/jpeg')).toBe(true);
  expect(stills.frames.some((f) => f.header.patch)).toBe(false); // a moving gradient changes every tile
  const s = stream.stats();
  expect(s.framesVideo).toBe(a.frames.length);
  expect(s.keyframesVideo).toBe(1);
  // The video frame's header: whole frame, its size, no alpha.
  expect(a.frames[0]!.header).toMatchObject({ mimeType: 'video/h264', width: 64, height: 48, lossless: false, alpha: false });
});

test('a view joining mid-stream gets a still at once and video from the next scheduled keyframe; the others get no early keyframe', async () => {
  const { stream, addView } = setup();
  await until(() => stream.stats().videoCodec === 'h264', 10_000, 'the encoder to load');
  const a = addView(true);
  await present(stream, [frame(0), frame(1), frame(2)]);
  expect(kinds(a)).toEqual(['key', 'delta', 'delta']);
  const late = addView(true); // caught up: the newest frame again, as a still (a is watching the stream)
  await until(() => late.frames.length > 0, 5000, 'the late view to get a frame');
  expect(kinds(late)).toEqual(['image/jpeg']);
  expect(late.frames[0]!.header.timestamp).toBe(a.frames.at(-1)!.header.timestamp);
  // Until the scheduled keyframe (KEYFRAME_EVERY frames after the first) the late view gets stills.
  const rest = Array.from({ length: KEYFRAME_EVERY }, (_, i) => frame(3 + i));
  await present(stream, rest);
  await until(() => late.frames.at(-1)?.header.timestamp === rest.at(-1)!.timestamp, 5000, 'the late view to get the last frame');
  expect(kinds(a).filter((k) => k === 'key')).toHaveLength(2); // its first, and the scheduled one
  expect(kinds(a).slice(1, KEYFRAME_EVERY)).toEqual(Array(KEYFRAME_EVERY - 1).fill('delta'));
  const keyAt = kinds(late).indexOf('key');
  expect(keyAt).toBeGreaterThan(0);
  expect(kinds(late).slice(0, keyAt).every((k) => k === 'image/jpeg')).toBe(true);
  expect(kinds(late).slice(keyAt + 1).every((k) => k === 'delta')).toBe(true);
  // The keyframe the late view started from is the one a got: one encode for both.
  const lateKey = late.frames[keyAt]!;
  expect(a.frames.find((f) => f.header.index === lateKey.header.index)?.header.video?.key).toBe(true);
  expect(stream.stats()).toMatchObject({ videoEncoders: 1 });
});

test('a keyframe request: alone on its encoder, a keyframe at once; beside another view, a still until the next keyframe; a resize gives keyframes of the new size', async () => {
  const { stream, addView } = setup();
  await until(() => stream.stats().videoCodec === 'h264', 10_000, 'the encoder to load');
  const a = addView(true);
  await present(stream, [frame(0), frame(1)]);
  a.say({ type: 'keyframe' }); // the newest frame goes again, as a keyframe
  await until(() => a.frames.length === 3, 5000, 'the frame again after the request');
  expect(kinds(a)).toEqual(['key', 'delta', 'key']);
  expect(a.frames[2]!.header.timestamp).toBe(a.frames[1]!.header.timestamp);
  const b = addView(true); // a still, until a keyframe of a's encoder
  await present(stream, [frame(2, 80, 40)]); // a resize: a keyframe to both
  for (const c of [a, b]) expect(c.frames.at(-1)!.header).toMatchObject({ width: 80, height: 40, video: { codec: 'h264', key: true } });
  const seen = b.frames.length;
  a.say({ type: 'keyframe' }); // a gets a still; b's stream goes on undisturbed
  await until(() => kinds(a).at(-1) === 'image/jpeg', 5000, 'the still after the request');
  await present(stream, [frame(3, 80, 40)]);
  // (The request sent the newest frame again: b got it too, as a delta.)
  expect(kinds(b).slice(seen)).toEqual(['delta', 'delta']);
  expect(kinds(a).at(-1)).toBe('image/jpeg');
  await present(stream, [frame(4)]);
  for (const c of [a, b]) expect(c.frames.at(-1)!.header).toMatchObject({ width: 64, height: 48, video: { codec: 'h264', key: true } });

  const { reports, restore } = captureReports();
  try {
    const stills = addView(false);
    stills.say({ type: 'keyframe' });
    expect(reports.map(([, e]) => String(e))).toContain('ProtocolError: a keyframe request from a view that announced no video codec (send a codecs message first; ignored)');
  } finally {
    restore();
  }
});

test('a view flooding keyframe requests and codecs messages costs a few encodes, not one each; a request after the flood is served', async () => {
  const { stream, addView } = setup();
  await until(() => stream.stats().videoCodec === 'h264', 10_000, 'the encoder to load');
  const a = addView(true);
  await present(stream, [frame(0)]); // a static scene from here on: no frame is drawn
  const encoded = (): number => stream.stats().framesEncoded;
  const { reports, restore } = captureReports();
  try {
    // At once: 300 requests and 300 codecs messages saying what the view said already.
    const before = encoded();
    for (let i = 0; i < 300; i++) {
      a.say({ type: 'keyframe' });
      a.say({ type: 'codecs', decode: ['h264'] });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(encoded() - before).toBe(1); // one re-send served them all (it was 300)
    // Spread out, each after the keyframe of the one before came: 10 a second are served.
    const spread = encoded();
    for (let i = 0; i < 40; i++) {
      a.say({ type: 'keyframe' });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(encoded() - spread).toBeLessThanOrEqual(10);
    // Reported once (later ones only as the reporter's repeat counts).
    expect(reports.filter((r) => String(r.error).includes('keyframe requests in a second') && r.repeats === undefined)).toHaveLength(1);
    expect(String(reports.find(([, e]) => String(e).includes('keyframe requests'))![1])).toBe(
      'ProtocolError: more than 10 keyframe requests in a second (each makes a whole frame\'s encode; the rest of that second\'s are ignored)');
  } finally {
    restore();
  }
  // A second later a decoder that lost its state is served at once, with a keyframe.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const seen = a.frames.length;
  a.say({ type: 'keyframe' });
  await until(() => a.frames.length > seen, 5000, 'the keyframe after the flood');
  expect(kinds(a).at(-1)).toBe('key');
});

test('views at different adaptive settings get an encode each, views at the same one share it', async () => {
  const { stream, addView, viewOf } = setup();
  await until(() => stream.stats().videoCodec === 'h264', 10_000, 'the encoder to load');
  const a = addView(true);
  const b = addView(true);
  const slow = addView(true);
  // The slow view's controller lowered its quality; the stream reads that as a lower bitrate.
  const controller = slowController();
  expect(controller.state().quality).toBeLessThan(OPTIONS.quality);
  Object.defineProperty(viewOf(slow), 'adaptive', { value: controller });
  await present(stream, [0, 1, 2, 3].map((t) => frame(t)));
  await until(() => slow.frames.length >= 4 && a.frames.length >= 4 && b.frames.length >= 4, 5000, 'every view to get 4 frames');
  expect(stream.stats().videoEncoders).toBe(2);
  const bytes = (c: RecordingChannel): string[] => c.frames.map((f) => Buffer.from(f.image).toString('base64'));
  expect(bytes(b)).toEqual(bytes(a)); // one encode, the same bytes
  expect(bytes(slow).some((x, i) => x !== bytes(a)[i])).toBe(true); // another encode
  expect(kinds(slow)).toEqual(['key', 'delta', 'delta', 'delta']);
  // The slow view's controller recovers to the full setting: it joins a's encoder, with stills
  // until that one's next keyframe, and its own encoder is closed.
  Object.defineProperty(viewOf(slow), 'adaptive', { value: undefined });
  await present(stream, [frame(4)]);
  expect(stream.stats().videoEncoders).toBe(1);
  expect(kinds(slow).at(-1)).toBe('image/jpeg');
});

test('an encoder nobody needs any more is closed after the frame still in it: the video path goes on', async () => {
  const { reports, restore } = captureReports();
  try {
    const { stream, addView, viewOf } = setup({ maxEncodes: 2 }); // two frames in encoding at once
    await until(() => stream.stats().videoCodec === 'h264', 10_000, 'the encoder to load');
    const a = addView(true);
    const slow = addView(true);
    Object.defineProperty(viewOf(slow), 'adaptive', { value: slowController() });
    await present(stream, [frame(0), frame(1)]);
    expect(stream.stats().videoEncoders).toBe(2);
    // A frame goes into the slow view's encoder; before it comes out, the view moves to a's.
    await stream.present(frame(2));
    Object.defineProperty(viewOf(slow), 'adaptive', { value: undefined });
    const last = frame(3);
    await stream.present(last);
    await until(() => a.frames.at(-1)?.header.timestamp === last.timestamp && slow.frames.at(-1)?.header.timestamp === last.timestamp, 5000, 'both views to get the last frame');
    expect(stream.stats()).toMatchObject({ videoCodec: 'h264', videoEncoders: 1 });
    expect(reports.filter(([where]) => where.includes('sending stills'))).toEqual([]);
    expect(kinds(a).at(-1)).toBe('delta');
  } finally {
    restore();
  }
});

test('an encoder that fails mid-stream: one report, then JPEG to every view, and the newest frame arrives', async () => {
  // The package's backend, made to fail (the ffmpeg backend's failures: test/ffmpeg-encoder.test.ts;
  // what the stream does with a failed encoder does not depend on which backend it was).
  process.env[VIDEO_ENCODER_ENV] = 'webcodecs';
  process.env[VIDEO_MODULE_ENV] = fileURLToPath(new URL('./helpers/breaking-webcodecs.mjs', import.meta.url));
  const { reports, restore } = captureReports();
  try {
    const { stream, addView } = setup();
    await until(() => stream.stats().videoCodec === 'h264', 10_000, 'the encoder to load');
    const a = addView(true);
    const frames = [0, 1, 2, 3, 4, 5, 6].map((t) => frame(t));
    for (const f of frames) await stream.present(f);
    await until(() => a.frames.at(-1)?.header.timestamp === frames.at(-1)!.timestamp, 5000, 'the newest frame after the failure');
    expect(stream.stats().videoCodec).toBeUndefined();
    const video = reports.filter(([where]) => where.includes('video frames (h264); sending stills (jpeg) instead'));
    expect(video).toHaveLength(1);
    expect(String(video[0]![1])).toMatch(/VideoEncoderError: the h264 encoder failed/);
    // The first frames went as video (BREAK_AFTER = 3), then stills (the failed frame itself goes
    // again as a still unless a newer one is already on its way, which then takes its place).
    expect(kinds(a).slice(0, 3)).toEqual(['key', 'delta', 'delta']);
    expect(kinds(a).length).toBeGreaterThan(3);
    expect(kinds(a).slice(3).every((k) => k === 'image/jpeg')).toBe(true);
    await present(stream, [frame(7)]);
    expect(kinds(a).at(-1)).toBe('image/jpeg');
  } finally {
    restore();
  }
});
