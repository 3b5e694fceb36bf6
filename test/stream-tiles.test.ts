// Dirty tiles in the FrameStream with several views at different acknowledged frames, no GPU and
// no socket: a view that keeps up gets partial frames; a view that stops acknowledging falls
// behind and, once it acknowledges again, gets whole frames until it is back on the chain. Each
// view's messages are composed the way the widget does (a partial frame drawn at its x, y onto
// the frame it names as base); both must end exactly on the last frame rendered (PNG, quality 100).
import sharp from 'sharp';
import { afterEach, expect, test } from 'vitest';
import type { Frame } from '../src/canvas/base.js';
import type { ViewChannel } from '../src/remote/transport/channel.js';
import { decodeFrameMessage, type FrameHeader } from '../src/remote/protocol.js';
import { FrameStream } from '../src/remote/frames/stream.js';
import { View } from '../src/remote/transport/view.js';
import { until } from './helpers/common.js';

const W = 192;
const H = 128;

/** A channel that keeps what the view sends, and acknowledges at once while `autoAck` is on. */
class Channel implements ViewChannel {
  readonly description = 'test';
  readonly bufferedAmount = 0;
  readonly frames: { header: FrameHeader; image: Uint8Array }[] = [];
  autoAck = true;
  #onMessage: ((data: string | Uint8Array) => void) | undefined;
  send(data: string | Uint8Array): void {
    if (typeof data === 'string') return;
    const { header, image } = decodeFrameMessage(data);
    this.frames.push({ header, image: image.slice() });
    if (this.autoAck) queueMicrotask(() => this.ack(header.index));
  }
  close(): void {}
  onMessage(handler: (data: string | Uint8Array) => void): void { this.#onMessage = handler; }
  onClose(): void {}
  ack(index: number): void { this.#onMessage?.(JSON.stringify({ type: 'ack', index })); }
}

let n = 0;
/** A gradient with a 20 px square at (x, y): moving it changes one to four tiles. */
function frame(x: number, y: number): Frame {
  const data = new Uint8Array(W * H * 4);
  for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) {
    const inside = i >= x && i < x + 20 && j >= y && j < y + 20;
    data.set(inside ? [250, 20, 20, 255] : [i, j, (i * j) & 255, 255], (j * W + i) * 4);
  }
  return { width: W, height: H, data, index: ++n, timestamp: n / 60, pixelRatio: 1, alphaMode: 'opaque' };
}

/** Composes a view's messages as the widget does; checks each partial frame's base. */
async function compose(frames: { header: FrameHeader; image: Uint8Array }[]): Promise<Buffer> {
  let canvas: Buffer | undefined;
  let shown = 0;
  for (const { header, image } of frames) {
    const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    if (!header.patch) {
      expect([info.width, info.height]).toEqual([W, H]);
      canvas = Buffer.from(data);
    } else {
      expect(header.patch.baseIndex, `frame ${header.index} builds on the frame shown`).toBe(shown);
      for (let j = 0; j < info.height; j++) {
        data.copy(canvas!, ((header.patch.y + j) * W + header.patch.x) * 4, j * info.width * 4, (j + 1) * info.width * 4);
      }
    }
    shown = header.index;
  }
  return canvas!;
}

const streams: FrameStream[] = [];
afterEach(() => { for (const s of streams.splice(0)) s.close(); });

test('views at different acknowledged frames each compose exactly the last frame', async () => {
  const views = new Map<string, View>();
  const stream = new FrameStream('feed', { quality: 100, lossyFormat: 'jpeg', losslessDelayMs: Infinity, maxEncodes: 2, dirtyTiles: true, maxFrameParts: 1 }, views);
  streams.push(stream);
  const add = (): Channel => {
    const channel = new Channel();
    const view = new View(channel, { onEvent() {}, onResize() {}, onAck() {}, onClose() {} }, 2);
    views.set(view.id, view);
    stream.catchUp(view);
    return channel;
  };
  const fast = add();
  const slow = add();
  const present = async (f: Frame): Promise<void> => {
    const before = stream.stats().framesSent;
    await stream.present(f);
    await until(() => stream.stats().framesSent > before, 5000, 'the frame to go out');
  };

  let last = frame(10, 10);
  await present(last);
  slow.autoAck = false; // from here on the slow view acknowledges nothing
  // More partial frames than may wait behind its unacknowledged ones: it falls off the chain.
  for (let k = 1; k <= 14; k++) {
    last = frame(10 + 9 * k, 10 + 4 * k);
    await present(last);
  }
  expect(fast.frames.some((f) => f.header.patch)).toBe(true);
  expect(slow.frames.length).toBeLessThan(fast.frames.length);

  // The slow view catches up: it acknowledges what it has, and whatever comes next.
  slow.autoAck = true;
  slow.ack(slow.frames.at(-1)!.header.index); // settles every older frame too
  for (let k = 1; k <= 4; k++) {
    last = frame(160 - 9 * k, 100 - 4 * k);
    await present(last);
  }
  // Both views at the newest message; if the slow view cannot yet compose the last frame, a whole
  // frame for it (a patch it could not use) is still encoding: wait for that message too.
  const expected = Buffer.from(last.data);
  for (;;) {
    const lastIndex = stream.stats().framesSent;
    await until(() => slow.frames.at(-1)?.header.index === lastIndex && fast.frames.at(-1)?.header.index === lastIndex, 5000, 'both views at the last frame');
    if ((await compose(slow.frames)).equals(expected)) break;
    await until(() => stream.stats().framesSent > lastIndex, 5000, 'a whole frame for the slow view');
  }

  // It fell off the chain, so a whole frame came after its first one.
  expect(slow.frames.slice(1).some((f) => !f.header.patch)).toBe(true);
  expect((await compose(fast.frames)).equals(expected)).toBe(true);
  expect((await compose(slow.frames)).equals(expected)).toBe(true);
  // A late view starts from a whole frame and stays exact too.
  const late = add();
  last = frame(5, 90);
  await present(last);
  await until(() => late.frames.at(-1)?.header.index === stream.stats().framesSent, 5000, 'the late view at the last frame');
  expect(late.frames[0]!.header.patch).toBeUndefined();
  expect((await compose(late.frames)).equals(Buffer.from(last.data))).toBe(true);
  expect(stream.stats().framesPatched).toBeGreaterThan(0);
});
