// End to end in a real browser: Debian's Chromium (through playwright-core, no browser download)
// opens a RemoteCanvas's page, the widget goes live, and drag, wheel, keys and viewport resizes
// reach handleEvent with the right fields, in order, and change the frames.
import type { Page } from 'playwright-core';
import { afterEach, expect, test } from 'vitest';
import { useChromium } from './helpers/browser.js';
import { getDefaultDevice, RemoteCanvas, type CanvasEvent, type RemoteCanvasOptions } from '../src/index.js';
import { DemoScene } from '../src/cli/demo-scene.js';
import { differingPixels, screenshotPixels, type Pixels } from './helpers/screenshots.js';

// These callbacks run in the page; the project's type check has no DOM lib (it would clash with
// @webgpu/types), so the little of the DOM they use is declared here.
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

/**
 * A RemoteCanvas that records what reaches handleEvent, as a user subclass would see it: input
 * events only (a view's size is set directly, never fed through handleEvent), and the `resize`
 * events its handlers receive.
 */
class RecordingCanvas extends RemoteCanvas {
  readonly received: CanvasEvent[] = [];
  readonly resizes: CanvasEvent[] = [];
  constructor(options: RemoteCanvasOptions) {
    super(options);
    this.addEventHandler((e) => { this.resizes.push(e); }, 'resize');
  }
  override handleEvent(event: CanvasEvent): void {
    this.received.push(event);
    super.handleEvent(event);
  }
}

const browser = useChromium();
let canvas: RecordingCanvas | undefined;
let scene: DemoScene | undefined;

afterEach(() => {
  canvas?.close();
  scene?.destroy();
  canvas = undefined;
});

async function openDemo(options: RemoteCanvasOptions, deviceScaleFactor = 1): Promise<Page> {
  const device = await getDefaultDevice();
  canvas = new RecordingCanvas({ title: 'browser test', ...options });
  scene = new DemoScene(device, canvas.getContext().getPreferredFormat());
  scene.attach(canvas);
  const page = await browser.newPage({ viewport: { width: 800, height: 600 }, deviceScaleFactor });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(await canvas.getUrl());
  await page.waitForSelector('#view[data-status="live"][data-frame-index]');
  expect(errors).toEqual([]);
  return page;
}

const frameIndex = async (page: Page): Promise<number> => Number(await page.locator('#view').getAttribute('data-frame-index'));

/**
 * Waits until the widget has drawn a frame newer than `after`, and the scene is idle: the frame
 * shown is the lossless re-send, which comes only losslessDelayMs after the last frame drawn.
 */
async function nextFrame(page: Page, after: number): Promise<number> {
  await page.waitForFunction((n) => {
    const view = document.querySelector('#view')!;
    return Number(view.getAttribute('data-frame-index')) > n && view.getAttribute('data-frame-lossless') === 'true';
  }, after);
  return frameIndex(page);
}

/** The widget's canvas as the browser shows it. */
const canvasPixels = (page: Page): Promise<Pixels> => screenshotPixels(page.locator('#view canvas'));

test('the widget goes live, and a drag rotates the scene with events in order', async () => {
  const page = await openDemo({ size: [400, 300] });
  expect(await page.locator('#view').getAttribute('data-frame-size')).toBe('400x300');
  const before = await canvasPixels(page);
  const yaw = scene!.state.yaw;
  const box = (await page.locator('#view canvas').boundingBox())!;
  const start = await frameIndex(page);
  canvas!.received.length = 0;
  await page.mouse.move(box.x + 150, box.y + 150);
  await page.mouse.down();
  await page.mouse.move(box.x + 200, box.y + 170, { steps: 6 });
  await page.mouse.up();
  await nextFrame(page, start);
  const after = await canvasPixels(page);
  expect(scene!.state.yaw).toBeCloseTo(yaw + 0.5, 1);
  expect(differingPixels(before, after)).toBeGreaterThan(2000);

  const types = canvas!.received.map((e) => e.type).filter((t) => t.startsWith('pointer_'));
  const down = types.indexOf('pointer_down');
  const up = types.indexOf('pointer_up');
  expect(down).toBeGreaterThanOrEqual(0);
  expect(up).toBeGreaterThan(down);
  expect(types.slice(down + 1, up).every((t) => t === 'pointer_move')).toBe(true);
  expect(up - down - 1).toBeGreaterThanOrEqual(1);
  const downEvent = canvas!.received.find((e) => e.type === 'pointer_down')!;
  expect(downEvent).toMatchObject({ x: 150, y: 150, button: 1, buttons: [1], modifiers: [], ntouches: 0 });
  const times = canvas!.received.map((e) => e.timestamp);
  expect(times).toEqual([...times].sort((a, b) => a - b));
});

test('wheel zooms and a key with a modifier reaches handleEvent with its fields', async () => {
  const page = await openDemo({ size: [320, 240] });
  const box = (await page.locator('#view canvas').boundingBox())!;
  await page.mouse.click(box.x + 10, box.y + 10); // focus
  const distance = scene!.state.distance;
  let index = await frameIndex(page);
  await page.mouse.move(box.x + 100, box.y + 100);
  await page.mouse.wheel(0, 200);
  index = await nextFrame(page, index);
  const wheel = canvas!.received.filter((e) => e.type === 'wheel');
  expect(wheel.length).toBeGreaterThanOrEqual(1);
  expect(wheel.reduce((s, e) => s + (e.type === 'wheel' ? e.dy : 0), 0)).toBeCloseTo(200, 0);
  expect(wheel[0]).toMatchObject({ x: 100, y: 100, modifiers: [] });
  // handleEvent queues; the scene's handler runs at the canvas's next flush, which the frame seen
  // above may predate (a lossless refresh, or a frame drawn as the wheel arrived: seen under CI load).
  await expect.poll(() => scene!.state.distance, { timeout: 10_000 }).toBeGreaterThan(distance);

  const yaw = scene!.state.yaw;
  const before = await canvasPixels(page);
  canvas!.received.length = 0;
  await page.keyboard.down('Shift');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.up('Shift');
  await page.keyboard.type('a');
  index = await nextFrame(page, index);
  const keys = () => canvas!.received.filter((e) => e.type === 'key_down' || e.type === 'key_up' || e.type === 'char');
  await expect.poll(() => keys().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(7); // the frame may come before the last key
  expect(keys()).toEqual([
    expect.objectContaining({ type: 'key_down', key: 'Shift', modifiers: ['Shift'] }),
    expect.objectContaining({ type: 'key_down', key: 'ArrowLeft', modifiers: ['Shift'] }),
    expect.objectContaining({ type: 'key_up', key: 'ArrowLeft', modifiers: ['Shift'] }),
    expect.objectContaining({ type: 'key_up', key: 'Shift', modifiers: [] }),
    expect.objectContaining({ type: 'key_down', key: 'a', modifiers: [] }),
    expect.objectContaining({ type: 'char', data: 'a', is_composing: false }),
    expect.objectContaining({ type: 'key_up', key: 'a', modifiers: [] }),
  ]);
  await expect.poll(() => scene!.state.yaw, { timeout: 10_000 }).toBeCloseTo(yaw - 0.2, 5);
  await expect.poll(async () => differingPixels(before, await canvasPixels(page)), { timeout: 10_000 }).toBeGreaterThan(500);
});

test('resizing the viewport renders a frame of the new physical size (device pixel ratio 2)', async () => {
  const page = await openDemo({ size: [400, 300], cssWidth: '100%', cssHeight: '300px' }, 2);
  // The first frame may predate the view's first resize; wait for one at the view's size.
  await page.waitForFunction(() => document.querySelector('#view')!.getAttribute('data-frame-size')!.endsWith('x600'));
  const first = await page.locator('#view').getAttribute('data-frame-size');
  const [w0, h0] = first!.split('x').map(Number);
  expect(h0).toBe(600); // 300 CSS px at ratio 2
  const index = await frameIndex(page);
  await page.setViewportSize({ width: 500, height: 600 });
  await page.waitForFunction((w) => {
    const size = document.querySelector('#view')!.getAttribute('data-frame-size')!;
    return Number(size.split('x')[0]) !== w;
  }, w0);
  await nextFrame(page, index);
  const [w1, h1] = (await page.locator('#view').getAttribute('data-frame-size'))!.split('x').map(Number);
  const cssWidth = await page.locator('#view canvas').evaluate((c) => c.getBoundingClientRect().width);
  expect(w1).toBe(Math.round(cssWidth * 2));
  expect(w1).toBeLessThan(w0!);
  expect(h1).toBe(600);
  expect(canvas!.getPhysicalSize()).toEqual([w1, h1]);
  expect(canvas!.getPixelRatio()).toBe(2);
  const resize = canvas!.resizes.pop();
  expect(resize).toMatchObject({ type: 'resize', pwidth: w1, pheight: 600, ratio: 2 });
  // The view's resizes set the size directly: handleEvent (which subclasses override) saw none.
  expect(canvas!.received.filter((e) => e.type === 'resize')).toEqual([]);
});

test('when the canvas closes the view says "canvas closed", keeps the last frame and stops retrying', async () => {
  const page = await openDemo({ size: [200, 150] });
  // The canvas's own backing store (the status overlay sits above it), once the picture is
  // settled: the lossless refresh, which otherwise may still come in just before the close.
  const backing = (): Promise<string> => page.locator('#view canvas').evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
  await nextFrame(page, 0);
  const before = await backing();
  canvas!.close();
  await page.waitForSelector('#view[data-status="ended"]');
  expect(await page.locator('#view .dawn-rfb-status').textContent()).toBe('canvas closed');
  expect(await backing()).toBe(before);
  expect(await page.locator('#view canvas').isVisible()).toBe(true);
  // No reconnect round follows, so the never-connected advice never appears.
  // the rule is about time: a retry would come after the 0.5 s backoff, a second round after 1 s more
  await page.waitForTimeout(1500);
  expect(await page.locator('#view').getAttribute('data-status')).toBe('ended');
  expect(await page.locator('#view .dawn-rfb-status').textContent()).toBe('canvas closed');
  expect(await page.locator('#view').getAttribute('data-tried')).toBeNull();
});

test('a view that was live and lost its server says "disconnected", not the advice for a view that never connected', async () => {
  const page = await openDemo({ size: [120, 90] });
  const backing = (): Promise<string> => page.locator('#view canvas').evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
  // The picture once settled (the lossless refresh: a CI run got it after this read, before the close).
  await nextFrame(page, 0);
  const before = await backing();
  // As when the kernel dies: the server goes away (the canvas did not close), nothing answers.
  await (await canvas!.server()).close();
  // Through the first reconnects (0.5 s, 1 s backoff; each a whole round of the one URL).
  const texts = new Set<string>();
  for (let t = 0; t < 3000; t += 100) {
    texts.add((await page.locator('#view .dawn-rfb-status').textContent()) ?? '');
    await page.waitForTimeout(100); // the rule is about time: the notices of the backoff rounds, sampled
  }
  const notices = [...texts].filter((t) => t !== '');
  expect(notices.some((t) => /^disconnected, reconnecting in \d+ s$/.test(t)), notices.join(' | ')).toBe(true);
  expect(notices.filter((t) => t.includes('Could not reach')), 'the never-connected advice').toEqual([]);
  expect(await page.locator('#view').getAttribute('data-tried')).toBeNull();
  expect(await backing()).toBe(before);
});

test('a view whose element is replaced by one with the same id (an updated output) closes', async () => {
  const page = await openDemo({ size: [160, 120] });
  await expect.poll(() => canvas!.viewCount).toBe(1);
  await page.evaluate((path) => {
    const w = globalThis as unknown as {
      document: { getElementById(id: string): { replaceWith(e: unknown): void } | null; createElement(tag: string): { id: string } };
      location: { host: string };
      DawnRfb: { mount(el: unknown, o: unknown): unknown };
    };
    const fresh = w.document.createElement('div');
    fresh.id = 'view';
    w.document.getElementById('view')!.replaceWith(fresh);
    w.DawnRfb.mount(fresh, { urls: [`ws://${w.location.host}${path}`] });
  }, canvas!.socketPath);
  await page.waitForSelector('#view[data-status="live"][data-frame-index]');
  // The replaced view closed itself: the canvas is left with the new view only.
  await expect.poll(() => canvas!.viewCount, { timeout: 5000 }).toBe(1);
  await expect.poll(() => canvas!.stats().views.map((v) => v.id).length).toBe(1);
});
