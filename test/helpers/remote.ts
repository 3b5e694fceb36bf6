// Fixtures of the remote-framebuffer tests: a real `ws` client that plays the part of a browser
// view (collects hello, JSON messages and decoded frames; acks or not), and RemoteCanvases that
// clear to a known colour on the real (software) GPU. The general helpers are in common.ts,
// re-exported here.
import { expect } from 'vitest';
import WebSocket, { type ClientOptions } from 'ws';
import sharp from 'sharp';
import {
  decodeFrameMessage, getDefaultDevice, RemoteCanvas,
  type FrameHeader, type HelloMessage, type RemoteCanvasOptions,
} from '../../src/index.js';
import { until, type RGBA } from './common.js';

export * from './common.js';

/** A frame as a view received it. */
export interface ReceivedFrame {
  header: FrameHeader;
  /** The encoded image (for a frame in strips: every strip's bytes back to back; see `parts`). */
  image: Buffer;
  /** The encoded strips, top to bottom (one for a frame in one piece). */
  parts: Buffer[];
  /** performance.now() at arrival. */
  at: number;
}

export interface OpenViewOptions {
  /** Acknowledge every frame as it arrives. Default true. */
  autoAck?: boolean;
  /** Wait for the hello message before resolving. Default true. */
  waitHello?: boolean;
  /** Path (with query) to connect to instead of canvas.socketPath. */
  path?: string;
  /** Options of the ws client (e.g. autoPong: false). */
  wsOptions?: ClientOptions;
  /** A resize event to send right after the hello (as the widget does). */
  size?: { width: number; height: number; ratio?: number };
}

export interface ViewClient {
  readonly ws: WebSocket;
  readonly url: string;
  /** The hello message (once received). */
  hello: HelloMessage | undefined;
  /** Every JSON message received, hello included, in order. */
  readonly json: Record<string, unknown>[];
  /** Every frame received, in order. */
  readonly frames: ReceivedFrame[];
  /** Whether frames are acknowledged on arrival; can be changed at any time. */
  autoAck: boolean;
  /** Set when the connection closed. */
  closed: { code: number; reason: string } | undefined;
  /** Resolves with the close code and reason. */
  readonly whenClosed: Promise<{ code: number; reason: string }>;
  /** The next frame not yet returned by nextFrame() (waits for it). */
  nextFrame(timeoutMs?: number): Promise<ReceivedFrame>;
  /** Marks every frame received so far as returned by nextFrame(). */
  skipFrames(): void;
  /** The newest frame received. */
  lastFrame(): ReceivedFrame | undefined;
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Waits for a JSON message matching `predicate` (already received ones count). */
  waitForJson(predicate: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  ack(index: number): void;
  send(message: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** Sends an event message. */
  event(event: Record<string, unknown>): void;
  /** Sends a resize event (pwidth = round(width * ratio)). */
  resize(width: number, height: number, ratio?: number): void;
  close(): void;
}

let openClients: ViewClient[] = [];

/** Connects a view client to a canvas. */
export async function openView(canvas: RemoteCanvas, opts: OpenViewOptions = {}): Promise<ViewClient> {
  const server = await canvas.server();
  const url = `ws://127.0.0.1:${server.port}${opts.path ?? canvas.socketPath}`;
  const ws = new WebSocket(url, opts.wsOptions);
  let cursor = 0;
  let resolveClosed!: (v: { code: number; reason: string }) => void;
  const whenClosed = new Promise<{ code: number; reason: string }>((r) => { resolveClosed = r; });
  const client: ViewClient = {
    ws, url, hello: undefined, json: [], frames: [], autoAck: opts.autoAck ?? true, closed: undefined, whenClosed,
    async nextFrame(timeoutMs = 3000) {
      await client.waitFor(() => client.frames.length > cursor, timeoutMs, `frame #${cursor + 1}`);
      return client.frames[cursor++]!;
    },
    skipFrames() { cursor = client.frames.length; },
    lastFrame() { return client.frames[client.frames.length - 1]; },
    waitFor(predicate, timeoutMs = 3000, what = 'condition') { return until(predicate, timeoutMs, what); },
    async waitForJson(predicate, timeoutMs = 3000) {
      let found: Record<string, unknown> | undefined;
      await until(() => (found = client.json.find(predicate)) !== undefined, timeoutMs, 'JSON message');
      return found!;
    },
    ack(index) { client.send({ type: 'ack', index }); },
    send(message) { client.sendRaw(JSON.stringify(message)); },
    sendRaw(data) { if (ws.readyState === WebSocket.OPEN) ws.send(data); },
    event(event) { client.send({ type: 'event', event }); },
    resize(width, height, ratio = 1) {
      client.event({
        type: 'resize', timestamp: performance.now() / 1000, width, height,
        pwidth: Math.round(width * ratio), pheight: Math.round(height * ratio), ratio,
      });
    },
    close() { if (ws.readyState !== WebSocket.CLOSED) ws.terminate(); },
  };
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      const { header, image, parts } = decodeFrameMessage(data);
      const at = performance.now();
      client.frames.push({ header, image: Buffer.from(image), parts: parts.map((p) => Buffer.from(p.image)), at });
      if (client.autoAck) client.ack(header.index);
    } else {
      const m = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      if (m.type === 'hello') client.hello = m as unknown as HelloMessage;
      client.json.push(m);
    }
  });
  ws.on('error', () => {}); // surfaces as close
  ws.on('close', (code, reason) => {
    client.closed = { code, reason: reason.toString() };
    resolveClosed(client.closed);
  });
  openClients.push(client);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => resolve());
    ws.once('error', reject);
  });
  if ((opts.waitHello ?? true) && !client.closed) {
    await until(() => client.hello !== undefined || client.closed !== undefined, 3000, 'hello');
    if (!client.hello) throw new Error(`closed before hello: ${JSON.stringify(client.closed)}`);
  }
  if (opts.size) client.resize(opts.size.width, opts.size.height, opts.size.ratio ?? 1);
  return client;
}

/** Terminates every client opened by openView (for afterEach). */
export function closeAllViews(): void {
  for (const c of openClients) c.close();
  openClients = [];
}

export interface SolidCanvas {
  canvas: RemoteCanvas;
  device: GPUDevice;
  /** Bytes 0..255 the next draw clears to. */
  color: RGBA;
  /** Colour used by each draw, in order. */
  drawn: RGBA[];
  /** Draw function calls. */
  readonly calls: number;
  /** Sets the colour and requests a draw. */
  setColor(rgba: RGBA): void;
}

let openCanvases: RemoteCanvas[] = [];

/**
 * Makes `canvas` draw one full-screen triangle with `shader` (entry points `vs` and `fs`; a
 * uniform buffer of `uniformBytes` at group 0, binding 0, filled by `uniforms()` before each draw).
 */
export async function drawFullScreen(canvas: RemoteCanvas, shader: string, uniformBytes: number, uniforms: () => Float32Array | Uint32Array): Promise<RemoteCanvas> {
  const device = await getDefaultDevice();
  const context = canvas.getContext();
  context.configure({ device });
  const module = device.createShaderModule({ code: shader });
  const pipeline = device.createRenderPipeline({
    layout: 'auto', vertex: { module }, fragment: { module, targets: [{ format: context.getPreferredFormat() }] },
  });
  const buffer = device.createBuffer({ size: uniformBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
  canvas.requestDraw(() => {
    device.queue.writeBuffer(buffer, 0, uniforms());
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store' }] });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.draw(3);
    pass.end();
    device.queue.submit([encoder.finish()]);
  });
  return canvas;
}

/**
 * A RemoteCanvas (format rgba8unorm on the default device) whose draw function clears to
 * `rgba` (bytes). `render: false` makes a draw function that renders nothing.
 */
export async function makeSolidCanvas(
  options: RemoteCanvasOptions & { alphaMode?: GPUCanvasAlphaMode; render?: boolean } = {},
  rgba: RGBA = [255, 0, 0, 255],
): Promise<SolidCanvas> {
  const device = await getDefaultDevice();
  const { alphaMode, render = true, ...canvasOptions } = options;
  const canvas = new RemoteCanvas({ size: [64, 48], ...canvasOptions });
  openCanvases.push(canvas);
  const context = canvas.getContext();
  context.configure({ device, format: 'rgba8unorm', alphaMode });
  let calls = 0;
  const state: SolidCanvas = {
    canvas, device, color: rgba, drawn: [],
    get calls() { return calls; },
    setColor(c) { state.color = c; canvas.requestDraw(); },
  };
  canvas.requestDraw(() => {
    calls++;
    if (!render) return;
    const color = state.color;
    state.drawn.push(color);
    const encoder = device.createCommandEncoder({ label: 'solid clear' });
    encoder.beginRenderPass({
      colorAttachments: [{
        view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store',
        clearValue: { r: color[0] / 255, g: color[1] / 255, b: color[2] / 255, a: color[3] / 255 },
      }],
    }).end();
    device.queue.submit([encoder.finish()]);
  });
  return state;
}

/** Closes every canvas made by makeSolidCanvas or registered with track() (for afterEach). */
export function closeAllCanvases(): void {
  for (const c of openCanvases) c.close();
  openCanvases = [];
}

/** Registers a canvas made elsewhere for closeAllCanvases(). */
export function track<T extends RemoteCanvas>(canvas: T): T {
  openCanvases.push(canvas);
  return canvas;
}

/** afterEach body: closes clients and canvases. */
export function cleanup(): void {
  closeAllViews();
  closeAllCanvases();
}

/** Decodes an encoded image to raw pixels. */
export async function decode(image: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/**
 * Asserts every pixel of an encoded image equals `rgba` (alpha only checked when the image has
 * it), each channel within `tolerance`.
 */
export async function expectSolid(image: Buffer, rgba: readonly number[], tolerance = 0): Promise<void> {
  const { data, width, channels } = await decode(image);
  const n = Math.min(channels, 4);
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < n; c++) {
      if (Math.abs(data[i + c]! - rgba[c]!) > tolerance) {
        const p = i / channels;
        expect({ x: p % width, y: Math.floor(p / width), px: [...data.subarray(i, i + n)] })
          .toEqual({ x: p % width, y: Math.floor(p / width), px: rgba.slice(0, n) });
      }
    }
  }
}

/** Whether every pixel of an encoded image is `rgba` within `tolerance`. */
export async function isSolid(image: Buffer, rgba: readonly number[], tolerance = 0): Promise<boolean> {
  const { data, channels } = await decode(image);
  const n = Math.min(channels, 4);
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < n; c++) if (Math.abs(data[i + c]! - rgba[c]!) > tolerance) return false;
  }
  return true;
}

/**
 * The next frame of `view` (after those nextFrame() already returned) that shows `rgba` within
 * `tolerance`; frames of draws that were already in flight are skipped. Throws on timeout,
 * saying what arrived instead.
 */
export async function frameWithColor(view: ViewClient, rgba: readonly number[], tolerance = 12, timeoutMs = 3000): Promise<ReceivedFrame> {
  const end = performance.now() + timeoutMs;
  const seen: number[] = [];
  for (;;) {
    const left = end - performance.now();
    let f: ReceivedFrame;
    try {
      f = await view.nextFrame(Math.max(1, left));
    } catch {
      throw new Error(`no frame of colour [${rgba.join(', ')}] within ${timeoutMs} ms (got frames ${JSON.stringify(seen)})`);
    }
    // Every strip of the frame must be the colour.
    if ((await Promise.all(f.parts.map((p) => isSolid(p, rgba, tolerance)))).every(Boolean)) return f;
    seen.push(f.header.index);
  }
}
