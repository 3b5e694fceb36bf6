// Dirty tiles end to end in Chromium: the widget composes partial frames onto its canvas, and
// what it shows must be pixel-identical to the whole frame the server rendered, after a series
// of small changes, after a resize, and in a view that joins late (and so starts from a whole
// frame while the first view keeps receiving parts). Frames are PNG (quality 100) so "identical"
// means exact, and the lossless refresh is off so no whole frame hides a wrong composition.
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterEach, expect, test } from 'vitest';
import { useChromium } from './helpers/browser.js';
import { decodeFrameMessage, RemoteCanvas, type DecodedFrameMessage, type RemoteCanvasOptions } from '../src/index.js';
import { drawFullScreen, until } from './helpers/remote.js';

// These callbacks run in the page; the type check has no DOM lib (see browser.test.ts).
declare const document: {
  querySelector(selector: string): ({ getAttribute(name: string): string | null } & {
    width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
  }) | null;
};
declare function btoa(s: string): string;


// A gradient with three rectangles whose corners and colours come from a uniform buffer.
const SHADER = /* wgsl */ `
struct Rect { box: vec4f, color: vec4f };
@group(0) @binding(0) var<uniform> rects: array<Rect, 3>;
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  return vec4f(vec2f(f32((i << 1u) & 2u), f32(i & 2u)) * 2.0 - 1.0, 0.0, 1.0);
}
@fragment fn fs(@builtin(position) p: vec4f) -> @location(0) vec4f {
  var c = vec4f(fract(p.x / 97.0), fract(p.y / 61.0), 0.5, 1.0);
  for (var i = 0; i < 3; i++) {
    let b = rects[i].box;
    if (p.x >= b.x && p.y >= b.y && p.x < b.z && p.y < b.w) { c = rects[i].color; }
  }
  return c;
}`;

const session = useChromium();
let canvas: RemoteCanvas | undefined;

afterEach(async () => {
  canvas?.close();
  canvas = undefined;
});

/** Rectangles as [x0, y0, x1, y1] in pixels with an RGB colour. */
type Rect = { box: [number, number, number, number]; color: [number, number, number] };

function rectCanvas(rects: Rect[], options: RemoteCanvasOptions = {}): Promise<RemoteCanvas> {
  const c = new RemoteCanvas({ size: [256, 192], quality: 100, losslessDelayMs: Infinity, title: 'dirty tiles', ...options });
  return drawFullScreen(c, SHADER, 96, () => new Float32Array(rects.flatMap((r) => [...r.box, ...r.color, 1])));
}

async function openPage(c: RemoteCanvas, onFrame?: (frame: DecodedFrameMessage) => void): Promise<Page> {
  const page = await session.newPage({ viewport: { width: 700, height: 500 } });
  if (onFrame) {
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => { if (typeof payload !== 'string') onFrame(decodeFrameMessage(payload)); }));
  }
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'warning' && m.text().includes('partial frame')) errors.push(m.text()); });
  await page.goto(await c.getUrl());
  await page.waitForSelector('#view[data-status="live"][data-frame-index]');
  expect(errors).toEqual([]);
  return page;
}

/** The widget canvas's pixels, RGBA. */
async function shown(page: Page): Promise<{ width: number; height: number; data: Buffer }> {
  const r = await page.evaluate(() => {
    const el = document.querySelector('#view canvas')!;
    const d = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
    let s = '';
    for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]!);
    return { width: el.width, height: el.height, b64: btoa(s) };
  });
  return { width: r.width, height: r.height, data: Buffer.from(r.b64, 'base64') };
}

/** The frame the server rendered last, RGBA. */
async function rendered(c: RemoteCanvas): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(await c.snapshot()).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

const frameIndex = async (page: Page): Promise<number> => Number(await page.locator('#view').getAttribute('data-frame-index'));

/** Draws once and waits until every page has drawn the newest frame the server sent. */
async function drawAndSettle(c: RemoteCanvas, views: Page[]): Promise<void> {
  const before = c.stats().framesSent;
  c.requestDraw();
  await until(() => c.stats().framesSent > before, 10_000, 'the server to send a frame');
  await settle(c, views);
}

async function settle(c: RemoteCanvas, views: Page[]): Promise<void> {
  // Frames may still be on their way (a whole frame after a resize or a join): wait for quiet.
  let last = -1;
  while (last !== c.stats().framesSent) {
    last = c.stats().framesSent;
    for (const page of views) {
      await page.waitForFunction((n) => Number(document.querySelector('#view')!.getAttribute('data-frame-index')) >= n, last, { timeout: 10_000 });
    }
    // Kept: a quiet period; a whole frame for a view (it missed a part's base) may still be
    // encoding, and no statistic says an encode is in flight.
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function expectIdentical(c: RemoteCanvas, page: Page, what: string): Promise<void> {
  const [a, b] = await Promise.all([shown(page), rendered(c)]);
  expect(`${a.width}x${a.height}`, what).toBe(`${b.width}x${b.height}`);
  // The size the view reports is the frame's, not the last partial image's.
  expect(await page.locator('#view').getAttribute('data-frame-size'), what).toBe(`${b.width}x${b.height}`);
  let differing = 0;
  for (let i = 0; i < a.data.length; i += 4) if (a.data.compare(b.data, i, i + 4, i, i + 4) !== 0) differing++;
  expect(differing, `${what}: pixels differing from the rendered frame`).toBe(0);
}

test.each([
  ['on the CPU', false],
  ['on the GPU (gpuTileCompare)', true],
])('partial frames compose to exactly the rendered frame, tiles compared %s: small changes, a resize, a late view', async (_where, gpuTileCompare) => {
  const rects: Rect[] = [
    { box: [10, 10, 40, 30], color: [1, 0, 0] },
    { box: [150, 100, 170, 140], color: [0, 0.6, 1] },
    { box: [-1, -1, -1, -1], color: [0, 0, 0] },
  ];
  canvas = await rectCanvas(rects, { gpuTileCompare });
  const first = await openPage(canvas);
  await settle(canvas, [first]);
  await expectIdentical(canvas, first, 'first frame');

  // Small moves: each touches a few tiles, so it goes as a partial frame.
  for (let i = 0; i < 6; i++) {
    rects[0]!.box = [10 + 7 * i, 10 + 3 * i, 40 + 7 * i, 30 + 3 * i];
    if (i % 2 === 1) rects[1]!.color = [i / 6, 1 - i / 6, 0.3];
    await drawAndSettle(canvas, [first]);
    await expectIdentical(canvas, first, `after change ${i + 1}`);
  }
  const patched = canvas.stats().framesPatched;
  expect(patched).toBeGreaterThanOrEqual(5);

  // A resize: the view follows the canvas's new CSS size and gets a whole frame of the new size.
  canvas.setLogicalSize(200, 160);
  await until(() => canvas!.getPhysicalSize().join('x') === '200x160', 10_000, 'the resize');
  await settle(canvas, [first]);
  await expectIdentical(canvas, first, 'after the resize');
  rects[2]!.box = [120, 60, 140, 90];
  rects[2]!.color = [1, 1, 0];
  await drawAndSettle(canvas, [first]);
  await expectIdentical(canvas, first, 'a change after the resize');

  // A view that joins late starts from a whole frame; then both get the same parts.
  const late = await openPage(canvas);
  await settle(canvas, [first, late]);
  await expectIdentical(canvas, late, 'late view');
  const beforeLate = canvas.stats().framesPatched;
  for (let i = 0; i < 3; i++) {
    rects[2]!.box = [120 - 9 * i, 60 + 5 * i, 140 - 9 * i, 90 + 5 * i];
    await drawAndSettle(canvas, [first, late]);
    await expectIdentical(canvas, first, `first view, change ${i + 1} after the join`);
    await expectIdentical(canvas, late, `late view, change ${i + 1} after the join`);
  }
  expect(canvas.stats().framesPatched).toBeGreaterThan(beforeLate);
  expect(await frameIndex(first)).toBe(await frameIndex(late));
  // The comparison ran where it was asked to (the software GPU here only when forced).
  if (gpuTileCompare) expect(canvas.stats().framesComparedOnGpu).toBeGreaterThanOrEqual(patched);
  else expect(canvas.stats().framesComparedOnGpu).toBe(0);
}, 120_000);

test('frames in strips (maxFrameParts), whole and partial, compose to exactly the rendered frame', async () => {
  const rects: Rect[] = [
    { box: [10, 10, 40, 30], color: [1, 0, 0] },
    { box: [900, 500, 1000, 600], color: [0, 0.6, 1] },
    { box: [-1, -1, -1, -1], color: [0, 0, 0] },
  ];
  // 1600x900 is 1.44 M pixels: whole frames go in 4 strips (the cap), each encoded and decoded apart.
  canvas = await rectCanvas(rects, { size: [1600, 900], maxFrameParts: 4 });
  const received: { parts: number; patch: boolean }[] = [];
  const page = await openPage(canvas, (m) => received.push({ parts: m.parts.length, patch: m.header.patch !== undefined }));
  await settle(canvas, [page]);
  await expectIdentical(canvas, page, 'a whole frame in strips');
  expect(received.at(-1)).toEqual({ parts: 4, patch: false });
  // A small rectangle jumps across the frame: two tiles change, but their bounding rectangle is
  // 768x832 (639 K pixels), so the partial frame goes in 2 strips, drawn at the patch's position.
  rects[0]!.box = [700, 800, 730, 820];
  const patchedBefore = canvas.stats().framesPatched;
  await drawAndSettle(canvas, [page]);
  expect(canvas.stats().framesPatched).toBe(patchedBefore + 1);
  expect(received.at(-1)).toEqual({ parts: 2, patch: true });
  await expectIdentical(canvas, page, 'a partial frame in strips');
}, 120_000);
