// RemoteCanvas frames and messages as a view sees them: a real ws client against the shared
// server, frames rendered by Dawn (software Vulkan) and encoded by sharp.
import { afterEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { PROTOCOL_VERSION, type CanvasEvent } from '../src/index.js';
import { STALLED_AFTER_MS } from '../src/remote/transport/view.js';
import { cleanup, drawDecided, expectSolid, frameWithColor, makeSolidCanvas, openView, plain, sleep, until } from './helpers/remote.js';

const TOL = 12; // JPEG / WebP per-channel tolerance

afterEach(cleanup);

describe('hello', () => {
  it('is the first message and describes the canvas', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48], title: 'hello test', resizable: false });
    const view = await openView(canvas);
    expect(view.json[0]).toBe(view.hello);
    expect(view.hello).toMatchObject({
      type: 'hello', protocol: PROTOCOL_VERSION, canvasId: canvas.id, title: 'hello test',
      cursor: 'default', cssSize: ['64px', '48px'], resizable: false,
    });
    expect(view.hello!.viewId).toMatch(/^v\d+$/);
    expect(canvas.viewCount).toBe(1);
  });

  it('carries cssWidth/cssHeight and resizable true by default', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48], cssWidth: '100%', cssHeight: '20em' });
    const view = await openView(canvas);
    expect(view.hello!.cssSize).toEqual(['100%', '20em']);
    expect(view.hello!.resizable).toBe(true);
    expect(view.hello!.title).toBe('dawn-rfb');
  });
});

describe('frames', () => {
  it('decode to the rendered pixels at the physical size (JPEG at default quality)', async () => {
    const color = [200, 40, 90, 255] as const;
    const { canvas } = await makeSolidCanvas({ size: [64, 48] }, color);
    const view = await openView(canvas);
    const f = await view.nextFrame();
    expect(f.header).toMatchObject({
      index: 1, canvasId: canvas.id, mimeType: 'image/jpeg', lossless: false, alpha: false,
      width: 64, height: 48, pixelRatio: 1,
    });
    const meta = await sharp(f.image).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([f.header.width, f.header.height]);
    expect([meta.width, meta.height]).toEqual(canvas.getPhysicalSize());
    await expectSolid(f.image, color, TOL);
    expect(f.header.timestamp).toBeGreaterThan(0);
  });

  it('have indices counting up from 1 and show each new colour', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity }, [255, 0, 0, 255]);
    const view = await openView(s.canvas);
    const colors = [[0, 255, 0, 255], [0, 0, 255, 255], [255, 255, 255, 255]] as const;
    const first = await view.nextFrame();
    await expectSolid(first.image, [255, 0, 0], TOL);
    for (const c of colors) {
      s.setColor(c);
      const f = await view.nextFrame();
      await expectSolid(f.image, c, TOL);
    }
    expect(view.frames.map((f) => f.header.index)).toEqual([1, 2, 3, 4]);
  });

  it('carry the pixel ratio, with the image at the physical size', async () => {
    const { canvas } = await makeSolidCanvas({ size: [32, 24], pixelRatio: 2 });
    const view = await openView(canvas);
    const f = await view.nextFrame();
    expect(f.header).toMatchObject({ width: 64, height: 48, pixelRatio: 2 });
    const meta = await sharp(f.image).metadata();
    expect([meta.width, meta.height]).toEqual([64, 48]);
  });

  it('are re-sent as lossless PNG after the scene is idle', async () => {
    const color = [13, 170, 77, 255] as const;
    const { canvas } = await makeSolidCanvas({ size: [64, 48] }, color);
    const view = await openView(canvas);
    const lossy = await view.nextFrame();
    expect(lossy.header).toMatchObject({ mimeType: 'image/jpeg', lossless: false });
    const png = await view.nextFrame(2000);
    expect(png.header).toMatchObject({ index: lossy.header.index + 1, mimeType: 'image/png', lossless: true, width: 64, height: 48 });
    expect(png.at - lossy.at).toBeGreaterThan(200); // after losslessDelayMs (300), not at once
    expect((await sharp(png.image).metadata()).format).toBe('png');
    await expectSolid(png.image, color, 0);
    // the rule is about time: a second re-send would come losslessDelayMs (300) after the PNG
    await sleep(500);
    expect(view.frames).toHaveLength(2); // only once
  });

  it('are not re-sent losslessly with losslessDelayMs: Infinity', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity });
    const view = await openView(canvas);
    await view.nextFrame();
    // the rule is about time: past the default losslessDelayMs (300) the re-send would have come
    await sleep(700);
    expect(view.frames.map((f) => f.header.mimeType)).toEqual(['image/jpeg']);
  });

  it('are all PNG at quality 100, exact, and not re-sent', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], quality: 100 }, [1, 2, 3, 255]);
    const view = await openView(s.canvas);
    await expectSolid((await view.nextFrame()).image, [1, 2, 3], 0);
    s.setColor([250, 128, 7, 255]);
    await expectSolid((await view.nextFrame()).image, [250, 128, 7], 0);
    // the rule is about time: past losslessDelayMs (300) a re-send would have come
    await sleep(500);
    expect(view.frames).toHaveLength(2);
    for (const f of view.frames) expect(f.header).toMatchObject({ mimeType: 'image/png', lossless: true });
  });

  it('use WebP with lossyFormat "webp"', async () => {
    const color = [40, 90, 200, 255] as const;
    const { canvas } = await makeSolidCanvas({ size: [64, 48], lossyFormat: 'webp' }, color);
    const view = await openView(canvas);
    const f = await view.nextFrame();
    expect(f.header).toMatchObject({ mimeType: 'image/webp', lossless: false });
    expect((await sharp(f.image).metadata()).format).toBe('webp');
    await expectSolid(f.image, color, TOL);
  });
});

describe('alpha', () => {
  it('premultiplied canvases send frames with alpha', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48], quality: 100, alphaMode: 'premultiplied' }, [64, 0, 0, 128]);
    const view = await openView(canvas);
    const f = await view.nextFrame();
    expect(f.header).toMatchObject({ alpha: true, mimeType: 'image/png' });
    const meta = await sharp(f.image).metadata();
    expect(meta.channels).toBe(4);
    expect(meta.hasAlpha).toBe(true);
    await expectSolid(f.image, [64, 0, 0, 128], 0);
  });

  it('premultiplied canvases never send JPEG (it has no alpha)', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48], alphaMode: 'premultiplied' }, [64, 0, 0, 128]);
    const view = await openView(canvas);
    const f = await view.nextFrame();
    expect(f.header.alpha).toBe(true);
    expect(f.header.mimeType).not.toBe('image/jpeg');
    expect((await sharp(f.image).metadata()).hasAlpha).toBe(true);
  });

  it('opaque canvases send no alpha', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48], quality: 100 }, [64, 0, 0, 128]);
    const view = await openView(canvas);
    const f = await view.nextFrame();
    expect(f.header.alpha).toBe(false);
    const meta = await sharp(f.image).metadata();
    expect(meta.channels).toBe(3);
    expect(meta.hasAlpha).toBe(false);
    // The remote canvas leaves the shader's alpha (128) in an opaque frame: the colour sent and
    // the snapshot must not depend on it.
    await expectSolid(f.image, [64, 0, 0], 0);
    await expectSolid(await canvas.snapshot(), [64, 0, 0], 0);
    expect((await sharp(await canvas.snapshot()).metadata()).hasAlpha).toBe(false);
  });
});

describe('view resize', () => {
  it('a resize event yields a frame of the new physical size and ratio', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity });
    const view = await openView(canvas);
    await view.nextFrame();
    view.resize(40, 30, 1.5);
    await view.waitFor(() => view.lastFrame()!.header.width === 60, 3000, 'a 60x45 frame');
    const f = view.lastFrame()!;
    expect(f.header).toMatchObject({ width: 60, height: 45, pixelRatio: 1.5 });
    const meta = await sharp(f.image).metadata();
    expect([meta.width, meta.height]).toEqual([60, 45]);
    expect(canvas.getPhysicalSize()).toEqual([60, 45]);
    expect(canvas.getPixelRatio()).toBe(1.5);
  });

  it('the oldest view decides the size, unless it never acknowledged its frames (a view left behind)', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity });
    // A live older view keeps the size when a newer one asks for another.
    const live = await openView(canvas, { size: { width: 40, height: 30 } });
    await live.waitFor(() => live.lastFrame()?.header.width === 40, 3000, 'a 40-wide frame');
    const newer = await openView(canvas, { size: { width: 20, height: 10 } });
    await newer.nextFrame();
    expect(canvas.getPhysicalSize()).toEqual([40, 30]);
    live.close();
    newer.close();
    await until(() => canvas.stats().views.length === 0, 3000, 'the views gone');
    // An older view that never acknowledges (Notebook 7 left one behind) stops deciding once its
    // oldest frame has waited STALLED_AFTER_MS: the newer view's size is followed.
    const stale = await openView(canvas, { autoAck: false, size: { width: 36, height: 24 } });
    // Its size is sent after the hello, so its frames may all be at the previous size (it never
    // acknowledges, so no later frame reaches it); the canvas following it is what counts here.
    await stale.waitFor(() => stale.frames.length > 0, 3000, 'a first frame');
    await until(() => canvas.getPhysicalSize()[0] === 36, 3000, 'the canvas at the stale view\'s 36x24');
    await sleep(STALLED_AFTER_MS + 100); // the rule is about time: a frame unacknowledged for that long
    const fresh = await openView(canvas, { size: { width: 30, height: 20 } });
    await fresh.waitFor(() => fresh.lastFrame()?.header.width === 30, 3000, 'a 30-wide frame for the live view');
    expect(canvas.getPhysicalSize()).toEqual([30, 20]);
  });

  it('an older view whose acknowledgements stop (a close that never reached the kernel) stops deciding the size by itself', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity });
    const old = await openView(canvas, { size: { width: 36, height: 24 } });
    await old.waitFor(() => old.lastFrame()?.header.width === 36, 3000, 'a 36-wide frame');
    const live = await openView(canvas, { size: { width: 30, height: 20 } });
    await live.nextFrame();
    expect(canvas.getPhysicalSize()).toEqual([36, 24]); // the older view decides while it acknowledges
    // It goes quiet with a frame out; the newer view sends nothing more (its resize came before).
    old.autoAck = false;
    const had = old.frames.length;
    canvas.requestDraw();
    await old.waitFor(() => old.frames.length > had, 3000, 'a frame it leaves unacknowledged');
    const quietSince = performance.now();
    await until(() => canvas.getPhysicalSize()[0] === 30, STALLED_AFTER_MS + 3000, 'the canvas at the live view\'s 30x20');
    expect(performance.now() - quietSince).toBeGreaterThanOrEqual(STALLED_AFTER_MS - 50); // the rule is about time
    await live.waitFor(() => live.lastFrame()?.header.width === 30, 3000, 'a 30-wide frame for the live view');
    expect(canvas.getPhysicalSize()).toEqual([30, 20]);
  });

  it('a resize beyond maxTextureDimension2D is fitted to it, keeping the aspect ratio', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity });
    const max = s.device.limits.maxTextureDimension2D;
    const view = await openView(s.canvas);
    await view.nextFrame();
    const asked = max + 5000;
    view.event({ type: 'resize', timestamp: 1, width: asked, height: 40, pwidth: asked, pheight: 40, ratio: 1 });
    const height = Math.floor((40 * max) / asked);
    await view.waitFor(() => view.lastFrame()!.header.width === max, 10_000, `a frame ${max} px wide`);
    expect(s.canvas.getPhysicalSize()).toEqual([max, height]);
    expect(view.lastFrame()!.header.height).toBe(height);
    // The logical size stays the view's: the pixel ratio shrank with the frame.
    expect(s.canvas.getLogicalSize()[0]).toBeCloseTo(asked, 6);
    expect(view.lastFrame()!.header.pixelRatio).toBeCloseTo(max / asked, 5);
  });

  it('a 0x0 size hides the view: no drawing until it reports a real size again', async () => {
    // maxFps Infinity: no frame interval, so drawDecided() is exact (see there).
    const s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity, maxFps: Infinity }, [255, 0, 0, 255]);
    const view = await openView(s.canvas, { size: { width: 64, height: 48 } });
    await view.nextFrame();
    await drawDecided(s.canvas);
    view.skipFrames();
    view.event({ type: 'resize', timestamp: 2, width: 0, height: 0, pwidth: 0, pheight: 0, ratio: 1 });
    await view.waitFor(() => s.canvas.stats().views[0]?.visible === false, 2000, 'hidden');
    const frames = view.frames.length;
    const calls = s.calls;
    s.setColor([0, 0, 255, 255]);
    await drawDecided(s.canvas);
    expect(view.frames.length).toBe(frames);
    expect(s.calls).toBe(calls);
    view.resize(64, 48);
    const f = await view.nextFrame();
    await expectSolid(f.image, [0, 0, 255], TOL);
    expect(s.calls).toBeGreaterThan(calls);
  });
});

describe('a view that was hidden while others drew', () => {
  it('gets the newest frame as soon as it is visible again', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity }, [255, 0, 0, 255]);
    const shown = await openView(s.canvas, { size: { width: 64, height: 48 } });
    const hidden = await openView(s.canvas, { size: { width: 64, height: 48 } });
    await shown.nextFrame();
    await hidden.nextFrame();
    hidden.event({ type: 'resize', timestamp: 2, width: 0, height: 0, pwidth: 0, pheight: 0, ratio: 1 });
    await until(() => s.canvas.stats().views.some((v) => !v.visible), 2000, 'hidden');
    s.setColor([0, 0, 255, 255]);
    await frameWithColor(shown, [0, 0, 255, 255]); // drawn for the visible view only
    const calls = s.calls;
    hidden.resize(64, 48); // same size: nothing to redraw, but it must not keep a stale frame
    await expectSolid((await frameWithColor(hidden, [0, 0, 255, 255])).image, [0, 0, 255], TOL);
    expect(s.calls).toBe(calls);
  });
});

describe('events from the view', () => {
  it('reach handlers with exactly the validated fields', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48] });
    const got: Record<string, unknown>[] = [];
    canvas.addEventHandler((e: CanvasEvent) => { got.push(plain(e)); }, 'pointer_down', 'key_down');
    const view = await openView(canvas);
    view.event({
      type: 'pointer_down', timestamp: 12.5, x: 10.5, y: 20.25, button: 1, buttons: [2, 1, 1],
      modifiers: ['Shift', 'Alt'], ntouches: 99, touches: { 3: { x: 1, y: 2, pressure: 0.5, extra: 1 } }, extra: 'dropped',
    });
    view.event({ type: 'key_down', timestamp: 13, key: 'a', modifiers: ['Shift', 'Meta', 'Control'], repeat: true });
    await view.waitFor(() => got.length === 2);
    expect(got[0]).toStrictEqual({
      type: 'pointer_down', timestamp: 12.5, x: 10.5, y: 20.25, button: 1, buttons: [1, 2],
      modifiers: ['Alt', 'Shift'], ntouches: 1, touches: { 3: { x: 1, y: 2, pressure: 0.5 } },
    });
    expect(got[1]).toStrictEqual({ type: 'key_down', timestamp: 13, key: 'a', modifiers: ['Control', 'Meta', 'Shift'] });
  });

  it('keep their order (moves may merge, the latest position wins)', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48] });
    const got: CanvasEvent[] = [];
    canvas.addEventHandler((e) => { got.push(e); }, 'pointer_down', 'pointer_move', 'pointer_up', 'key_down');
    const view = await openView(canvas);
    const pointer = (type: string, x: number, buttons: number[]) => ({
      type, timestamp: x, x, y: 5, button: type === 'pointer_move' ? 0 : 1, buttons, modifiers: [], touches: {},
    });
    view.event(pointer('pointer_down', 1, [1]));
    for (const x of [2, 3, 4]) view.event(pointer('pointer_move', x, [1]));
    view.event(pointer('pointer_up', 5, []));
    view.event({ type: 'key_down', timestamp: 6, key: 'Enter', modifiers: [] });
    // Events are handled in order: once the key arrived, everything before it has.
    await view.waitFor(() => got.some((e) => e.type === 'key_down'));
    const types = got.map((e) => e.type).filter((t, i, a) => i === 0 || t !== a[i - 1]);
    expect(types).toEqual(['pointer_down', 'pointer_move', 'pointer_up', 'key_down']);
    const moves = got.filter((e) => e.type === 'pointer_move');
    expect(moves.length).toBeGreaterThanOrEqual(1);
    expect(moves.length).toBeLessThanOrEqual(3);
    expect((moves[moves.length - 1] as { x: number }).x).toBe(4);
  });
});

describe('a view closing', () => {
  it('a close event from a view closes only that view', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity });
    const closes: unknown[] = [];
    s.canvas.addEventHandler((e) => { closes.push(e); }, 'close');
    const leaving = await openView(s.canvas);
    const staying = await openView(s.canvas);
    leaving.event({ type: 'close', timestamp: 1 });
    expect(await leaving.whenClosed).toEqual({ code: 1000, reason: 'view closed' });
    await staying.waitFor(() => s.canvas.viewCount === 1);
    expect(s.canvas.isClosed()).toBe(false);
    expect(closes).toEqual([]);
    staying.skipFrames();
    s.setColor([0, 128, 255, 255]);
    await frameWithColor(staying, [0, 128, 255]);
  });

  it('closing the canvas closes its views with code 1000', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48] });
    const view = await openView(canvas);
    canvas.close();
    expect(await view.whenClosed).toEqual({ code: 1000, reason: 'canvas closed' });
  });
});

describe('messages from the canvas', () => {
  it('title, cursor and logical size changes reach the view', async () => {
    const { canvas } = await makeSolidCanvas({ size: [64, 48] });
    const view = await openView(canvas);
    canvas.setTitle('new title');
    canvas.setCursor('crosshair');
    canvas.setLogicalSize(100, 50);
    expect(await view.waitForJson((m) => m.type === 'title')).toEqual({ type: 'title', title: 'new title' });
    expect(await view.waitForJson((m) => m.type === 'cursor')).toEqual({ type: 'cursor', cursor: 'crosshair' });
    expect(await view.waitForJson((m) => m.type === 'css_size')).toEqual({ type: 'css_size', width: '100px', height: '50px' });
    const second = await openView(canvas);
    expect(second.hello).toMatchObject({ title: 'new title', cursor: 'crosshair', cssSize: ['100px', '50px'] });
  });

  it('snapshot() returns a PNG of the last frame', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity }, [10, 20, 30, 255]);
    const view = await openView(s.canvas);
    await view.nextFrame();
    s.setColor([99, 150, 201, 255]);
    await view.nextFrame();
    const calls = s.calls;
    const png = await s.canvas.snapshot();
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 64, height: 48 });
    await expectSolid(png, [99, 150, 201], 0);
    expect(s.calls).toBe(calls); // no extra draw
  });

  it('stats() counts frames per view and times encodes and round trips', async () => {
    const s = await makeSolidCanvas({ size: [64, 48], losslessDelayMs: Infinity });
    const acking = await openView(s.canvas);
    await acking.nextFrame();
    const silent = await openView(s.canvas, { autoAck: false });
    await silent.nextFrame(); // the newest frame, at once
    await silent.nextFrame(); // the draw its arrival asked for: silent is now full
    s.setColor([0, 255, 0, 255]);
    await acking.waitFor(() => acking.frames.length >= 3 && silent.frames.length >= 2);
    await acking.waitFor(() => s.canvas.stats().views[0]!.framesAcked === acking.frames.length);
    const stats = s.canvas.stats();
    expect(stats.encodeMs).toBeGreaterThan(0);
    expect(stats.framesEncoded).toBeGreaterThanOrEqual(3);
    expect(stats.views).toHaveLength(2);
    const [a, b] = stats.views;
    expect(a).toMatchObject({ id: acking.hello!.viewId, framesSent: acking.frames.length, framesAcked: acking.frames.length, visible: true });
    expect(a!.roundtripMs).toBeGreaterThan(0);
    expect(a!.roundtripMs).toBeLessThan(5000);
    expect(b).toMatchObject({ id: silent.hello!.viewId, framesSent: silent.frames.length, framesAcked: 0, roundtripMs: 0 });
  });
});
