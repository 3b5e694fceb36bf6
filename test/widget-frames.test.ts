// The widget's frame view (widget/src/frames.ts), run in Node: frames are real JPEG/PNG images
// (sharp encodes them, and decodes them where the page's createImageBitmap would), drawn on a
// canvas stand-in that records what went where. What it must do: acknowledge every frame exactly
// once (drawn, undecodable, or skipped undrawn for a newer one, marked so), keep only the newest
// whole frame waiting but every partial frame built on it, in order, draw all strips of a frame or
// none, and size the canvas to the frame. Every wait is on the acknowledgements, never on time.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import sharp from 'sharp';
import { encodeFrameHeader, type FrameHeader } from '../src/remote/protocol.js';
import { until } from './helpers/common.js';

// The frame module uses DOM types, which this (Node) project's type check has not: it is loaded
// by a path the type checker does not follow, and typed by the little used here.
interface FrameViewLike {
  readonly stats: { framesDrawn: number; framesSkipped: number; lastIndex: number };
  push(message: ArrayBuffer, ack: (index: number, skipped?: boolean) => void): void;
  close(): void;
}
type FrameViewClass = new (canvas: unknown, onDrawn: (header: FrameHeader, drawn: { decodeMs: number; bytes: number }) => void) => FrameViewLike;
const FRAMES_MODULE = '../widget/src/frames.js';
let FrameView: FrameViewClass;

/** What createImageBitmap gives here: the decoded size and the first pixel (enough to tell images apart). */
interface Bitmap { width: number; height: number; rgb: [number, number, number]; closed: boolean; close(): void }
const bitmaps: Bitmap[] = [];

/** The page's createImageBitmap for a Blob, decoding with sharp (it rejects what cannot be decoded, as a browser does). */
async function createImageBitmap(blob: Blob): Promise<Bitmap> {
  const { data, info } = await sharp(Buffer.from(await blob.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
  const bitmap: Bitmap = { width: info.width, height: info.height, rgb: [data[0]!, data[1]!, data[2]!], closed: false, close() { bitmap.closed = true; } };
  bitmaps.push(bitmap);
  return bitmap;
}

/** A canvas that records its 2D drawing calls and how often its size was assigned. */
class RecordingCanvas {
  readonly calls: (['drawImage', [number, number, number], number, number] | ['clearRect', number, number, number, number])[] = [];
  readonly style: { width?: string; height?: string } = {};
  sizeAssignments = 0;
  #width = 300;
  #height = 150;
  get width(): number { return this.#width; }
  set width(v: number) { this.#width = v; this.sizeAssignments++; }
  get height(): number { return this.#height; }
  set height(v: number) { this.#height = v; this.sizeAssignments++; }
  getContext(kind: string): unknown {
    expect(kind).toBe('2d');
    return {
      drawImage: (b: Bitmap, x: number, y: number) => { this.calls.push(['drawImage', b.rgb, x, y]); },
      clearRect: (x: number, y: number, w: number, h: number) => { this.calls.push(['clearRect', x, y, w, h]); },
    };
  }
}

type Ack = [index: number, skipped?: boolean];
let canvas: RecordingCanvas;
let view: FrameViewLike;
let acks: Ack[];
let drawn: { index: number; bytes: number }[];
/** The ack function given with each frame; it records into this test's `acks` only. */
let ack: (index: number, skipped?: boolean) => void;
let warn: MockInstance<typeof console.warn>;

const saved = (globalThis as Record<string, unknown>).createImageBitmap;
beforeAll(async () => {
  ({ FrameDrawer: FrameView } = (await import(/* @vite-ignore */ FRAMES_MODULE)) as { FrameDrawer: FrameViewClass });
  Object.assign(globalThis, { createImageBitmap });
});
afterAll(() => { Object.assign(globalThis, { createImageBitmap: saved }); });

// A test that failed early may leave frames decoding: they must not reach the next test.
afterEach(() => { view.close(); });
beforeEach(() => {
  canvas = new RecordingCanvas();
  const mine: Ack[] = acks = [];
  ack = (index, skipped) => { mine.push(skipped === undefined ? [index] : [index, skipped]); };
  drawn = [];
  bitmaps.length = 0;
  view = new FrameView(canvas, (header, d) => drawn.push({ index: header.index, bytes: d.bytes }));
  warn?.mockRestore();
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});

/** A solid image of `rgb`, as the server encodes it. */
const image = (width: number, height: number, rgb: [number, number, number], format: 'jpeg' | 'png' = 'png'): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })[format]().toBuffer();

/** A frame message: the header, then the image bytes of each strip. */
function message(header: Partial<FrameHeader> & { index: number; width: number; height: number }, ...strips: Buffer[]): ArrayBuffer {
  const h: FrameHeader = {
    canvasId: 'c1', timestamp: 1, mimeType: 'image/png', pixelRatio: 1, lossless: true, alpha: false, ...header,
    ...(strips.length > 1 ? { parts: strips.map((s, i) => ({ height: header.parts![i]!.height, length: s.length })) } : {}),
  };
  const head = encodeFrameHeader(h);
  const out = new Uint8Array(head.length + strips.reduce((n, s) => n + s.length, 0));
  out.set(head);
  let at = head.length;
  for (const s of strips) { out.set(s, at); at += s.length; }
  return out.buffer;
}

const RED: [number, number, number] = [255, 0, 0];
const GREEN: [number, number, number] = [0, 255, 0];
const BLUE: [number, number, number] = [0, 0, 255];
const WHITE: [number, number, number] = [255, 255, 255];

describe('a whole frame', () => {
  it('is decoded, drawn at the origin at its own size, acknowledged once (drawn) and its bitmap freed', async () => {
    const png = await image(8, 6, GREEN);
    view.push(message({ index: 1, width: 8, height: 6, pixelRatio: 2 }, png), ack);
    await until(() => acks.length === 1, 3000, 'the ack');
    expect(acks).toEqual([[1]]);
    expect(canvas.calls).toEqual([['drawImage', GREEN, 0, 0]]);
    expect([canvas.width, canvas.height]).toEqual([8, 6]);
    expect(canvas.style).toEqual({ width: '4px', height: '3px' }); // one image pixel per device pixel
    expect(drawn).toEqual([{ index: 1, bytes: png.length }]);
    expect(view.stats).toEqual({ framesDrawn: 1, framesSkipped: 0, lastIndex: 1 });
    expect(bitmaps.map((b) => b.closed)).toEqual([true]);
  });

  it('a JPEG (lossy) frame is drawn like a PNG; a frame with alpha clears first', async () => {
    view.push(message({ index: 1, width: 8, height: 8, mimeType: 'image/jpeg', lossless: false }, await image(8, 8, WHITE, 'jpeg')), ack);
    view.push(message({ index: 2, width: 8, height: 8, alpha: true }, await image(8, 8, BLUE)), ack);
    await until(() => acks.length === 2, 3000, 'two acks');
    expect(acks).toEqual([[1], [2]]);
    expect(canvas.calls).toEqual([['drawImage', WHITE, 0, 0], ['clearRect', 0, 0, 8, 8], ['drawImage', BLUE, 0, 0]]);
  });

  it('the canvas size is assigned only when it changes (assigning clears and reallocates it)', async () => {
    const a = await image(8, 8, RED);
    for (let i = 1; i <= 3; i++) {
      view.push(message({ index: i, width: 8, height: 8 }, a), ack);
      await until(() => acks.length === i, 3000, `ack ${i}`);
    }
    expect(canvas.sizeAssignments).toBe(2); // from 300 x 150 to 8 x 8, once
    view.push(message({ index: 4, width: 4, height: 8 }, await image(4, 8, RED)), ack);
    await until(() => acks.length === 4, 3000, 'ack 4');
    expect([canvas.width, canvas.height, canvas.sizeAssignments]).toEqual([4, 8, 4]);
  });
});

describe('ordering and acknowledgement', () => {
  it('while one frame decodes, only the newest whole frame waits: the one it replaces is acknowledged as skipped at once', async () => {
    const [r, g, b] = await Promise.all([image(4, 4, RED), image(4, 4, GREEN), image(4, 4, BLUE)]);
    // Pushed in one go: frame 1 is decoding (decoding is asynchronous) when 2 and 3 arrive.
    view.push(message({ index: 1, width: 4, height: 4 }, r), ack);
    view.push(message({ index: 2, width: 4, height: 4 }, g), ack);
    expect(acks).toEqual([]);
    view.push(message({ index: 3, width: 4, height: 4 }, b), ack);
    expect(acks).toEqual([[2, true]]); // skipped undrawn, before 1 is even drawn
    await until(() => acks.length === 3, 3000, 'three acks');
    expect(acks).toEqual([[2, true], [1], [3]]);
    expect(canvas.calls).toEqual([['drawImage', RED, 0, 0], ['drawImage', BLUE, 0, 0]]);
    expect(view.stats).toEqual({ framesDrawn: 2, framesSkipped: 1, lastIndex: 3 });
    expect(drawn.map((d) => d.index)).toEqual([1, 3]);
  });

  it('partial frames waiting on a whole frame are all drawn, in order, where their patch says', async () => {
    const [r, g, b, w] = await Promise.all([image(8, 8, RED), image(8, 8, GREEN), image(4, 4, BLUE), image(2, 2, WHITE)]);
    view.push(message({ index: 1, width: 8, height: 8 }, r), ack);
    view.push(message({ index: 2, width: 8, height: 8 }, g), ack);
    view.push(message({ index: 3, width: 4, height: 4, patch: { x: 4, y: 0, baseIndex: 2 } }, b), ack);
    view.push(message({ index: 4, width: 2, height: 2, patch: { x: 1, y: 6, baseIndex: 3 } }, w), ack);
    await until(() => acks.length === 4, 3000, 'four acks');
    expect(acks).toEqual([[1], [2], [3], [4]]);
    expect(canvas.calls).toEqual([['drawImage', RED, 0, 0], ['drawImage', GREEN, 0, 0], ['drawImage', BLUE, 4, 0], ['drawImage', WHITE, 1, 6]]);
    expect([canvas.width, canvas.height]).toEqual([8, 8]); // a partial frame keeps the canvas's size
    expect(view.stats).toEqual({ framesDrawn: 4, framesSkipped: 0, lastIndex: 4 });
    expect(warn).not.toHaveBeenCalled();
  });

  it('a newer whole frame replaces the waiting whole frame and the partial frames built on it', async () => {
    const [r, g, b, w] = await Promise.all([image(4, 4, RED), image(4, 4, GREEN), image(2, 2, BLUE), image(4, 4, WHITE)]);
    view.push(message({ index: 1, width: 4, height: 4 }, r), ack);
    view.push(message({ index: 2, width: 4, height: 4 }, g), ack);
    view.push(message({ index: 3, width: 2, height: 2, patch: { x: 0, y: 0, baseIndex: 2 } }, b), ack);
    view.push(message({ index: 4, width: 4, height: 4 }, w), ack);
    expect(acks).toEqual([[2, true], [3, true]]);
    await until(() => acks.length === 4, 3000, 'four acks');
    expect(acks).toEqual([[2, true], [3, true], [1], [4]]);
    expect(canvas.calls).toEqual([['drawImage', RED, 0, 0], ['drawImage', WHITE, 0, 0]]);
    expect(view.stats).toEqual({ framesDrawn: 2, framesSkipped: 2, lastIndex: 4 });
  });

  it('a partial frame on another base than the frame shown is drawn, with a warning', async () => {
    view.push(message({ index: 1, width: 4, height: 4 }, await image(4, 4, RED)), ack);
    await until(() => acks.length === 1, 3000, 'ack 1');
    view.push(message({ index: 5, width: 2, height: 2, patch: { x: 2, y: 2, baseIndex: 4 } }, await image(2, 2, BLUE)), ack);
    await until(() => acks.length === 2, 3000, 'ack 5');
    expect(acks).toEqual([[1], [5]]);
    expect(canvas.calls.at(-1)).toEqual(['drawImage', BLUE, 2, 2]);
    expect(warn).toHaveBeenCalledWith('dawn-rfb: partial frame 5 builds on frame 4, but 1 is shown');
  });
});

describe('frames in strips', () => {
  it('every strip is decoded, then all go on the canvas at their rows', async () => {
    const [top, bottom] = await Promise.all([image(6, 3, RED), image(6, 5, BLUE)]);
    view.push(message({ index: 1, width: 6, height: 8, parts: [{ height: 3, length: 0 }, { height: 5, length: 0 }] }, top, bottom), ack);
    await until(() => acks.length === 1, 3000, 'the ack');
    expect(canvas.calls).toEqual([['drawImage', RED, 0, 0], ['drawImage', BLUE, 0, 3]]);
    expect(drawn).toEqual([{ index: 1, bytes: top.length + bottom.length }]);
    expect(bitmaps.every((b) => b.closed)).toBe(true);
  });

  it('if one strip cannot be decoded, none is drawn; the frame is still acknowledged and the decoded strip freed', async () => {
    const top = await image(6, 3, RED);
    view.push(message({ index: 1, width: 6, height: 8, parts: [{ height: 3, length: 0 }, { height: 5, length: 0 }] }, top, Buffer.from('not an image')), ack);
    await until(() => acks.length === 1, 3000, 'the ack');
    expect(acks).toEqual([[1]]);
    expect(canvas.calls).toEqual([]);
    expect(view.stats.framesDrawn).toBe(0);
    expect(bitmaps.map((b) => b.closed)).toEqual([true]);
    expect(warn.mock.calls[0]![0]).toBe('dawn-rfb: could not decode frame 1 (image/png):');
  });
});

describe('bad frames and closing', () => {
  it('an undecodable frame is acknowledged (or the server would wait for it forever), not drawn; the next one is', async () => {
    view.push(message({ index: 1, width: 4, height: 4 }, Buffer.from('garbage')), ack);
    view.push(message({ index: 2, width: 4, height: 4 }, await image(4, 4, GREEN)), ack);
    await until(() => acks.length === 2, 3000, 'two acks');
    expect(acks).toEqual([[1], [2]]);
    expect(canvas.calls).toEqual([['drawImage', GREEN, 0, 0]]);
    expect(view.stats).toEqual({ framesDrawn: 1, framesSkipped: 0, lastIndex: 2 });
  });

  it('a message without a readable header is dropped: there is no index to acknowledge', async () => {
    view.push(new Uint8Array([1, 0, 0]).buffer, ack);
    view.push(new Uint8Array(64).fill(7).buffer, ack);
    // A good frame after them goes through: once it is acknowledged, the bad ones were handled.
    view.push(message({ index: 1, width: 4, height: 4 }, await image(4, 4, RED)), ack);
    await until(() => acks.length === 1, 3000, 'the ack');
    expect(acks).toEqual([[1]]);
    expect(warn.mock.calls.map((c) => c[0])).toEqual(['dawn-rfb: dropping a malformed frame:', 'dawn-rfb: dropping a malformed frame:']);
  });

  it('after close, nothing is drawn or acknowledged: the frame decoding, those waiting, those pushed later', async () => {
    const [r, g] = await Promise.all([image(4, 4, RED), image(4, 4, GREEN)]);
    view.push(message({ index: 1, width: 4, height: 4 }, r), ack);
    view.push(message({ index: 2, width: 4, height: 4 }, g), ack);
    view.close();
    view.push(message({ index: 3, width: 4, height: 4 }, g), ack);
    // Frame 1's decode still finishes (its bitmap is freed): that is the fact to wait for.
    await until(() => bitmaps.length === 1 && bitmaps[0]!.closed, 3000, "frame 1's bitmap to be freed");
    expect(acks).toEqual([]);
    expect(canvas.calls).toEqual([]);
    expect(view.stats).toEqual({ framesDrawn: 0, framesSkipped: 0, lastIndex: 0 });
  });
});
