// Every export of src/remote checks its arguments: a wrong call throws a DawnRfbError subclass
// whose message says what was expected, never a raw TypeError from inside the library.
import { afterEach, describe, expect, it } from 'vitest';
import {
  DawnRfbError, encodeFrame, FrameServer, getServer, InvalidArgumentError, RemoteCanvas, type ServerOptions,
} from '../src/index.js';
import { cleanup, track } from './helpers/remote.js';

afterEach(cleanup);

/** Calls fn (awaiting a promise) and returns what it threw. */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

async function expectInvalid(fn: () => unknown, message: RegExp): Promise<void> {
  const e = await thrown(fn);
  expect(e).toBeInstanceOf(InvalidArgumentError);
  expect(e).toBeInstanceOf(DawnRfbError);
  expect((e as Error).message).toMatch(message);
}

describe('encodeFrame', () => {
  it('bad pixels and options are InvalidArgumentErrors saying what is expected', async () => {
    await expectInvalid(() => encodeFrame(undefined as never), /takes pixels \{ width, height, data \}/);
    await expectInvalid(() => encodeFrame(null as never), /takes pixels/);
    await expectInvalid(() => encodeFrame({} as never), /takes pixels/);
    await expectInvalid(() => encodeFrame({ width: 1, height: 1, data: [0, 0, 0, 0] } as never), /Uint8Array/);
    await expectInvalid(() => encodeFrame({ width: 2, height: 2, data: new Uint8Array(4) }), /2 x 2 x 4 = 16 bytes|= 16 bytes.*got 4/);
    await expectInvalid(() => encodeFrame({ width: 0, height: 1, data: new Uint8Array(0) }), /pixels.width must be an integer from 1/);
    await expectInvalid(() => encodeFrame({ width: 1.5, height: 1, data: new Uint8Array(6) }), /pixels.width/);
    await expectInvalid(() => encodeFrame({ width: 1, height: 1, data: new Uint8Array(4) }, null as never), /options must be an object/);
    await expectInvalid(() => encodeFrame({ width: 1, height: 1, data: new Uint8Array(4) }, { format: 'gif' as never }), /format must be one of jpeg, png, webp/);
    const ok = await encodeFrame({ width: 1, height: 1, data: new Uint8Array([1, 2, 3, 255]) });
    expect(ok.mimeType).toBe('image/png');
  });
  it('encodeFrameParts checks its part count and its region (the one given, not a strip of it)', async () => {
    const { encodeFrameParts } = await import('../src/index.js');
    const pixels = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 4) };
    await expectInvalid(() => encodeFrameParts(pixels, { parts: 0 }), /parts must be an integer from 1 to 64, got 0/);
    await expectInvalid(() => encodeFrameParts(pixels, { parts: 65 }), /parts must be an integer from 1 to 64/);
    await expectInvalid(() => encodeFrameParts(pixels, { parts: 4, region: { x: 0, y: 0, width: 64, height: 80 } }),
      /region must be a rectangle of integers inside the 64x64 frame, got \{"x":0,"y":0,"width":64,"height":80\}/);
    const ok = await encodeFrameParts(pixels, { parts: 4 });
    expect(ok.parts.map((p) => p.height)).toEqual([16, 16, 16, 16]);
  });
});

describe('RemoteCanvas and server options', () => {
  it('options that are not an object, and bad server options, throw from the constructor', async () => {
    await expectInvalid(() => new RemoteCanvas(null as never), /RemoteCanvas options must be an object.*got null/);
    await expectInvalid(() => new RemoteCanvas(5 as never), /got number/);
    await expectInvalid(() => new RemoteCanvas([] as never), /got an array/);
    await expectInvalid(() => new RemoteCanvas({ server: null as never }), /server options must be an object/);
    await expectInvalid(() => new RemoteCanvas({ server: { port: -1 } }), /port must be an integer from 0 to 65535/);
    await expectInvalid(() => new RemoteCanvas({ maxFrameParts: 0 }), /maxFrameParts must be an integer from 1 to 64 \(1 encodes every frame whole\), got 0/);
    await expectInvalid(() => new RemoteCanvas({ maxFrameParts: 65 }), /maxFrameParts must be an integer from 1 to 64/);
    await expectInvalid(() => new RemoteCanvas({ gpuTileCompare: 'yes' as never }), /gpuTileCompare must be true, false or "auto", got "yes"/);
    await expectInvalid(() => new RemoteCanvas({ gpuColorConvert: 1 as never }), /gpuColorConvert must be true, false or "auto", got 1/);
    await expectInvalid(() => new RemoteCanvas({ server: { port: 'http' as never } }), /port must be an integer/);
    await expectInvalid(() => new RemoteCanvas({ server: { host: 5 as never } }), /host must be a non-empty string/);
    await expectInvalid(() => new RemoteCanvas({ server: { heartbeatMs: 1 } }), /heartbeatMs must be a number >= 10/);
    await expectInvalid(() => new RemoteCanvas({ server: { headersTimeoutMs: 0 } }), /headersTimeoutMs must be a number >= 100/);
    await expectInvalid(() => new RemoteCanvas({ server: { prot: 1 } as ServerOptions }), /unknown server option 'prot'; did you mean 'port'\? allowed: host, port/);
    await expectInvalid(() => new RemoteCanvas({ server: { allowedHosts: ['a:1'] } }), /allowedHosts must be '\*' or a list of host names/);
    await expectInvalid(() => new RemoteCanvas({ urlTemplate: 5 as never }), /urlTemplate must be a URL prefix string/);
  });

  it('even while a server runs (whose options win), getServer checks what it is given', async () => {
    const c = track(new RemoteCanvas({ size: [8, 8] }));
    await c.server();
    await expectInvalid(() => getServer(null as never), /server options must be an object/);
    await expectInvalid(() => getServer({ port: 70000 }), /port must be an integer from 0 to 65535/);
    expect(await getServer()).toBe(await c.server());
  });

  it('FrameServer is made by getServer only; register() wants a canvas', async () => {
    await expectInvalid(() => new (FrameServer as unknown as new () => unknown)(), /call getServer\(\)/);
    const c = track(new RemoteCanvas({ size: [8, 8] }));
    const server = await c.server();
    await expectInvalid(() => server.register({} as never), /register\(\) takes a served canvas/);
    expect(() => server.unregister({} as never)).not.toThrow(); // unknown: nothing to do
    expect(server.canvasCount).toBe(1);
  });
});

describe('protocol helpers and channels', () => {
  it('encodeFrameHeader, socketPath, websocketChannel and attachChannel check what they are given', async () => {
    const { encodeFrameHeader, socketPath, websocketChannel } = await import('../src/index.js');
    await expectInvalid(() => encodeFrameHeader(undefined as never), /takes a FrameHeader/);
    await expectInvalid(() => encodeFrameHeader({} as never), /frame header index must be an integer/);
    const header = { canvasId: 'c', index: 1, timestamp: 0, mimeType: 'image/png', width: 1, height: 1, pixelRatio: 1, lossless: true, alpha: false };
    await expectInvalid(() => encodeFrameHeader({ ...header, width: -1 }), /width must be an integer from 0/);
    await expectInvalid(() => encodeFrameHeader({ ...header, pixelRatio: NaN }), /pixelRatio must be a finite number/);
    await expectInvalid(() => encodeFrameHeader({ ...header, mimeType: 5 as never }), /mimeType must be printable ASCII/);
    expect(encodeFrameHeader(header).length).toBeGreaterThan(29);
    await expectInvalid(() => socketPath(undefined as never, 't'), /socketPath takes a canvas id and its token/);
    await expectInvalid(() => websocketChannel({} as never), /takes an open `ws` WebSocket/);
    const c = track(new RemoteCanvas({ size: [8, 8] }));
    await expectInvalid(() => c.attachChannel(null as never), /attachChannel takes a ViewChannel/);
    await expectInvalid(() => c.attachChannel({ send() {} } as never), /attachChannel takes a ViewChannel/);
    expect(c.viewCount).toBe(0);
  });
});
