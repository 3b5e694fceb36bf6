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
    }
  }
  #onMessage: ((data: string | Uint8Array) => void) | undefined;
  close(): void {}
  onMessage(handler: (data: string | Uint8Array) => void): void { this.#onMessage = handler; }
  onClose(): void {}
  /** The peer sends a JSON message. */
  say(message: object): void { this.#onMessage?.(JSON.stringify(message)); }
  ackAll(): void { for (const f of this.frames) this.say({ type: 'ack', index: f.header.index }); }
}

const OPTIONS: FrameStreamOptions = {
  quality: 80, lossyFormat: 'jpeg', losslessDelayMs: Infinity, maxEncodes: 1, dirtyTiles: true, maxFrameParts: 1, codec: 'h264', videoBitrate: 1_000_000,
};
const streams: FrameStream[] = [];
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
  delete process.env[VIDEO_MODULE_ENV];
});

function setup(): { stream: FrameStream; addView(video: boolean): RecordingChannel } {
  const views = new Map<string, View>();
  const stream = new FrameStream('c0ffee', OPTIONS, views);
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
      if (video) channel.say({ type: 'codecs', decode: ['h264'] });
      return channel;
    },
  };
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

test('a keyframe on a view joining, on a request and on a resize; a request from a view without video is refused', async () => {
  const { stream, addView } = setup();
  await until(() => stream.stats().videoCodec === 'h264', 10_000, 'the encoder to load');
  const a = addView(true);
  await present(stream, [frame(0), frame(1), frame(2)]);
  const late = addView(true); // its codecs message asks for a keyframe: the newest frame goes again
  await until(() => late.frames.length > 0, 5000, 'the late view to get a frame');
  expect(late.frames[0]!.header.video?.key).toBe(true);
  expect(a.frames.at(-1)!.header.video?.key).toBe(true); // the other view got the same keyframe
  await present(stream, [frame(3)]);
  expect(kinds(late).at(-1)).toBe('delta');
  a.say({ type: 'keyframe' });
  await until(() => a.frames.at(-1)!.header.video?.key === true, 5000, 'a keyframe after the request');
  await present(stream, [frame(4, 80, 40)]);
  expect(a.frames.at(-1)!.header).toMatchObject({ width: 80, height: 40, video: { codec: 'h264', key: true } });

  const { reports, restore } = captureReports();
  try {
    const stills = addView(false);
    stills.say({ type: 'keyframe' });
    expect(reports.map(([, e]) => String(e))).toContain('ProtocolError: a keyframe request from a view that announced no video codec (send a codecs message first; ignored)');
  } finally {
    restore();
  }
});

test('an encoder that fails mid-stream: one report, then JPEG to every view, and the newest frame arrives', async () => {
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
