// The widget's connection (widget/src/connection.ts), run in Node with ws as the page's
// WebSocket: the candidate URLs are tried in turn until one answers with a hello of this
// protocol (relative and http(s) URLs made websocket URLs against the page, unparsable ones
// skipped with one warning), then the Jupyter path; when all failed it backs off (500 ms,
// doubling) naming what it tried; a live connection that drops reconnects to the same URL and
// says how it was lost; final close codes and a wrong hello end it with an error, a closed canvas
// with "ended"; acks go only to the socket their frame came from. Against the real canvas server,
// and small websocket servers that play one where a case needs what a real one never does (drop a
// live view, speak another protocol). Every wait is on a state or a message, never on time; the
// backoff cases take the backoff's own 500 ms.
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { CANVAS_CLOSED_REASON, CloseCode, PROTOCOL_VERSION } from '../src/remote/protocol.js';
import { freePort } from './helpers/browser.js';
import { cleanup, makeSolidCanvas, until } from './helpers/remote.js';

// The connection module uses DOM types, which this (Node) project's type check has not: it is
// loaded by a path the type checker does not follow, and typed by the little used here.
type State = { status: string; retryAt?: number; tried?: string[]; lost?: string; message?: string; transport?: string; hello?: { canvasId: string } };
interface SocketLike {
  readonly readyState: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: ((e: { code: number; reason: string }) => void) | null;
}
interface JupyterPath { readonly label: string; open(): SocketLike }
interface Connection { send(message: unknown): boolean; close(): void }
type ConnectionClass = new (urls: readonly string[], on: {
  state(s: State): void; message(m: unknown): void; frame(data: ArrayBuffer, ack: (index: number, skipped?: boolean) => void): void;
}, jupyter?: JupyterPath, probe?: boolean) => Connection;
const CONNECTION_MODULE = '../widget/src/connection.js';
let ConnectionImpl: ConnectionClass;

/** ws with a browser's manners: a failed socket fires 'error' then 'close', never throws. */
class PageWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    this.on('error', () => {});
  }
}

const saved: Record<string, unknown> = {};
beforeAll(async () => {
  ({ Connection: ConnectionImpl } = (await import(/* @vite-ignore */ CONNECTION_MODULE)) as { Connection: ConnectionClass });
  for (const key of ['WebSocket', 'document']) saved[key] = (globalThis as Record<string, unknown>)[key];
  Object.assign(globalThis, { WebSocket: PageWebSocket, document: { baseURI: 'http://127.0.0.1/notebooks/a.ipynb' } });
});
afterAll(() => { Object.assign(globalThis, saved); });
/** The page's document stand-in (only its baseURI is read). */
const page = (): { baseURI: string } => (globalThis as unknown as { document: { baseURI: string } }).document;

const connections: Connection[] = [];
const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  for (const s of servers.splice(0)) await new Promise((r) => { for (const c of s.clients) c.terminate(); s.close(r); });
  cleanup();
  vi.restoreAllMocks();
});

/** A Connection and everything it reported: states (with the time each came), messages, frames. */
function connect(urls: readonly string[], jupyter?: JupyterPath) {
  const states: (State & { at: number })[] = [];
  const messages: Record<string, unknown>[] = [];
  const frames: { data: ArrayBuffer; ack: (index: number, skipped?: boolean) => void }[] = [];
  const connection = new ConnectionImpl(urls, {
    state: (s) => states.push({ ...s, at: performance.now() }),
    message: (m) => messages.push(m as Record<string, unknown>),
    frame: (data, ack) => frames.push({ data, ack }),
  }, jupyter);
  connections.push(connection);
  const statuses = (): string[] => states.map((s) => s.status);
  /** Waits until `n` states with this status came. */
  const waitState = (status: string, n = 1, ms = 5000): Promise<void> =>
    until(() => statuses().filter((s) => s === status).length >= n, ms, `${n} x state ${status} (got ${statuses().join(', ')})`);
  return { connection, states, messages, frames, statuses, waitState };
}

/** A URL nothing listens on (the connection is refused). */
const refusedUrl = async (): Promise<string> => `ws://127.0.0.1:${await freePort()}/ws/x`;

const hello = (protocol = PROTOCOL_VERSION): string => JSON.stringify({
  type: 'hello', protocol, canvasId: 'c1', viewId: 'v1', title: '', cursor: 'default', cssSize: ['8px', '8px'], resizable: true,
});

/** One connection a stand-in server accepted: what it received, and how it closed. */
interface Accepted { ws: WebSocket; received: string[]; closed?: { code: number; reason: string } }

/** A websocket server playing a canvas server: `onConnection` gets each connection (n from 1). */
async function standIn(onConnection: (ws: WebSocket, n: number) => void): Promise<{ url: string; accepted: Accepted[] }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const accepted: Accepted[] = [];
  wss.on('connection', (ws) => {
    const a: Accepted = { ws, received: [] };
    accepted.push(a);
    ws.on('message', (d) => a.received.push(String(d)));
    ws.on('close', (code, reason) => { a.closed = { code, reason: String(reason) }; });
    onConnection(ws, accepted.length);
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws/c1`, accepted };
}

describe('the candidate URLs', () => {
  it('are tried in turn; the first that answers with a hello goes live, and its acks reach the server', async () => {
    const s = await makeSolidCanvas({ size: [16, 16] });
    const { port } = await s.canvas.server();
    const c = connect([await refusedUrl(), await refusedUrl(), `ws://127.0.0.1:${port}${s.canvas.socketPath}`]);
    await c.waitState('live');
    expect(c.statuses()).toEqual(['connecting', 'connecting', 'connecting', 'live']);
    expect(c.states[3]).toMatchObject({ transport: 'direct', hello: { canvasId: s.canvas.id } });
    expect(c.messages[0]).toMatchObject({ type: 'hello', protocol: PROTOCOL_VERSION }); // the hello also goes to message()
    expect(s.canvas.viewCount).toBe(1);
    await until(() => c.frames.length > 0, 3000, 'a frame');
    c.frames[0]!.ack(1);
    await until(() => s.canvas.stats().views[0]!.framesAcked === 1, 3000, 'the ack to reach the server');
  });

  it('an ack says how long the frame was held here, which the server takes off its roundtrip (the link\'s own delay)', async () => {
    const s = await makeSolidCanvas({ size: [16, 16] });
    const { port } = await s.canvas.server();
    const c = connect([`ws://127.0.0.1:${port}${s.canvas.socketPath}`]);
    await c.waitState('live');
    await until(() => c.frames.length > 0, 3000, 'a frame');
    await new Promise((r) => setTimeout(r, 150)); // a busy client
    c.frames[0]!.ack(c.frames.length);
    await until(() => s.canvas.stats().views[0]!.framesAcked === 1, 3000, 'the ack to reach the server');
    const { baseRttMs, linkRttMs, longLink } = s.canvas.stats().views[0]!.adaptive!;
    expect(baseRttMs).toBeGreaterThanOrEqual(150);
    expect(linkRttMs).toBeLessThan(20); // loopback
    expect(longLink).toBe(false);
  });

  it('a page-relative or http URL is made a websocket URL against the page', async () => {
    const s = await makeSolidCanvas({ size: [16, 16] });
    const { port } = await s.canvas.server();
    page().baseURI = `http://127.0.0.1:${port}/notebooks/a.ipynb`;
    try {
      const relative = connect([s.canvas.socketPath]);
      await relative.waitState('live');
      const http = connect([`http://127.0.0.1:${port}${s.canvas.socketPath}`]);
      await http.waitState('live');
      expect(s.canvas.viewCount).toBe(2);
    } finally {
      page().baseURI = 'http://127.0.0.1/notebooks/a.ipynb';
    }
  });

  it('when all failed it backs off 500 ms, then twice as long, naming the URLs tried; an unparsable URL is skipped with one warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const refused = await refusedUrl();
    const c = connect(['http://[::1', refused.replace('ws:', 'http:')]);
    // the rule is about time: the second round starts after the first backoff (500 ms)
    await c.waitState('disconnected', 2);
    expect(c.statuses()).toEqual(['connecting', 'connecting', 'disconnected', 'connecting', 'connecting', 'disconnected']);
    const [first, second] = c.states.filter((s) => s.status === 'disconnected');
    expect(first!.tried).toEqual(['http://[::1', refused]); // as websocket URLs where they parse
    expect(first!.lost).toBeUndefined(); // never live: a route may be missing
    expect(Math.abs(first!.retryAt! - first!.at - 500), 'the retry comes 500 ms after (timers on a loaded machine: within 15 ms)').toBeLessThan(15);
    expect(second!.retryAt! - second!.at).toBeCloseTo(1000, -1);
    expect(warn.mock.calls.filter((w) => String(w[0]).includes('skipping "http://[::1"'))).toHaveLength(1);
  });
});

describe('after going live', () => {
  it('a drop reconnects to the URL that worked (after 500 ms again), saying how it was lost; acks go only to their own socket', async () => {
    const server = await standIn((ws, n) => {
      ws.send(hello());
      ws.send(new Uint8Array([n])); // a "frame": the connection hands it on without decoding
      if (n === 1) ws.close(1001, 'kernel going away'); // what the Jupyter path says when the kernel restarts
    });
    const never = await standIn(() => {}); // listed second: it would hang if it were tried
    const c = connect([server.url, never.url]);
    await c.waitState('live', 2);
    expect(c.statuses()).toEqual(['connecting', 'live', 'disconnected', 'connecting', 'live']);
    const dropped = c.states[2]!;
    expect(dropped).toMatchObject({ status: 'disconnected', lost: 'kernel' });
    expect(dropped.tried).toBeUndefined();
    expect(Math.abs(dropped.retryAt! - dropped.at - 500), 'the retry comes 500 ms after (timers on a loaded machine: within 15 ms)').toBeLessThan(15);
    expect(never.accepted).toHaveLength(0);

    // The first socket's ack goes nowhere; the second's reaches the second socket (`type` first:
    // the server's ack check looks at the start).
    await until(() => c.frames.length === 2, 3000, 'the second frame');
    c.frames[0]!.ack(1);
    c.frames[1]!.ack(2, true);
    c.frames[1]!.ack(3);
    await until(() => server.accepted[1]!.received.length === 2, 3000, 'two acks on the second socket');
    expect(server.accepted[1]!.received).toEqual([
      expect.stringMatching(/^\{"type":"ack","index":2,"skipped":true,"heldMs":\d+\}$/),
      expect.stringMatching(/^\{"type":"ack","index":3,"heldMs":\d+\}$/),
    ]);
    expect(server.accepted[0]!.received).toEqual([]);

    // A drop that is not the kernel's: lost 'connection', and the delay starts at 500 ms again.
    server.accepted[1]!.ws.terminate();
    await c.waitState('live', 3);
    expect(c.states[5]).toMatchObject({ status: 'disconnected', lost: 'connection' });
    expect(Math.abs(c.states[5]!.retryAt! - c.states[5]!.at - 500), 'the retry comes 500 ms after (timers on a loaded machine: within 15 ms)').toBeLessThan(15);
  });

  it('its canvas closed: "ended", no reconnect; a reconnect that finds no such canvas: the kernel restarted', async () => {
    const s = await makeSolidCanvas({ size: [16, 16] });
    const { port } = await s.canvas.server();
    const c = connect([`ws://127.0.0.1:${port}${s.canvas.socketPath}`]);
    await c.waitState('live');
    s.canvas.close();
    await c.waitState('ended');
    expect(c.states.at(-1)).toMatchObject({ status: 'ended', message: 'canvas closed' });

    const server = await standIn((ws, n) => {
      if (n === 1) { ws.send(hello()); ws.terminate(); } else ws.close(CloseCode.unknownCanvas, 'no canvas c1 in this kernel');
    });
    const k = connect([server.url]);
    await k.waitState('ended');
    expect(k.statuses()).toEqual(['connecting', 'live', 'disconnected', 'connecting', 'ended']);
    expect(k.states.at(-1)).toMatchObject({ message: 'kernel restarted: re-run the cell' });
    const closed = await standIn((ws, n) => { if (n === 1) { ws.send(hello()); ws.terminate(); } else ws.close(CloseCode.unknownCanvas, CANVAS_CLOSED_REASON); });
    const k2 = connect([closed.url]);
    await k2.waitState('ended');
    expect(k2.states.at(-1)).toMatchObject({ message: 'canvas closed' });
  });

  it('send() goes out only while live, and never over the size a server accepts', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = await standIn((ws) => ws.send(hello()));
    const c = connect([server.url]);
    const event = { type: 'event', event: { type: 'key_down', timestamp: 1, key: 'a', modifiers: [] } };
    expect(c.connection.send(event)).toBe(false); // still connecting
    await c.waitState('live');
    expect(c.connection.send({ type: 'event', event: { type: 'char', timestamp: 1, data: 'x'.repeat(20_000), is_composing: false, input_type: '' } })).toBe(false);
    expect(warn).toHaveBeenCalledWith('dawn-rfb: not sending a event message over 16384 bytes');
    expect(c.connection.send(event)).toBe(true);
    await until(() => server.accepted[0]!.received.length === 1, 3000, 'the event');
    expect(JSON.parse(server.accepted[0]!.received[0]!)).toEqual(event);
    c.connection.close();
    expect(c.connection.send(event)).toBe(false);
    await until(() => server.accepted[0]!.closed !== undefined, 3000, 'the close');
    expect(server.accepted[0]!.closed!.code).toBe(1000);
  });
});

describe('no retry: errors', () => {
  it('the real server refuses the token, the protocol version, or the canvas: an error naming why, no retry', async () => {
    const s = await makeSolidCanvas({ size: [16, 16] });
    const { port } = await s.canvas.server();
    const base = `ws://127.0.0.1:${port}/ws/${s.canvas.id}`;
    const cases: [url: string, message: RegExp][] = [
      [`${base}?token=wrong&protocol=${PROTOCOL_VERSION}`, /^the server refused the access token \(missing or wrong token\)$/],
      [`${base}?token=${encodeURIComponent(s.canvas.token)}&protocol=${PROTOCOL_VERSION - 1}`, /^the server speaks another protocol version \(protocol \d+ not supported; this server speaks \d+\)$/],
      [`ws://127.0.0.1:${port}/ws/nope?token=x&protocol=${PROTOCOL_VERSION}`, /^this canvas no longer exists \(.+\)$/],
    ];
    for (const [url, message] of cases) {
      const c = connect([url]);
      await c.waitState('error');
      expect(c.statuses()).toEqual(['connecting', 'error']);
      expect(c.states[1]!.message).toMatch(message);
    }
    expect(s.canvas.viewCount).toBe(0);
  });

  it('a hello of another protocol, or no hello: an error, and the socket is closed with protocolMismatch', async () => {
    for (const [first, theirs] of [[hello(PROTOCOL_VERSION + 1), `protocol ${PROTOCOL_VERSION + 1}`], [JSON.stringify({ type: 'title', title: 'x' }), 'no hello']] as const) {
      const server = await standIn((ws) => ws.send(first));
      const c = connect([server.url]);
      await c.waitState('error');
      expect(c.states.at(-1)!.message).toBe(`incompatible server (${theirs}; this widget speaks protocol ${PROTOCOL_VERSION}): update dawn-rfb or reload the page`);
      await until(() => server.accepted[0]!.closed !== undefined, 3000, 'the close');
      expect(server.accepted[0]!.closed).toEqual({ code: CloseCode.protocolMismatch, reason: 'protocol mismatch' });
      expect(c.statuses()).toEqual(['connecting', 'error']);
    }
  });
});

describe('the Jupyter path', () => {
  /** A Jupyter path whose link is a websocket to `url` (as the comm link carries the same messages). */
  const pathTo = (url: string | undefined): JupyterPath => ({
    label: "the notebook's kernel connection",
    open() {
      if (url === undefined) throw new Error('no kernel');
      const ws = new PageWebSocket(url);
      ws.binaryType = 'arraybuffer';
      return ws as unknown as SocketLike;
    },
  });

  it('comes after every URL failed, and goes live as transport "jupyter"', async () => {
    const s = await makeSolidCanvas({ size: [16, 16] });
    const { port } = await s.canvas.server();
    const c = connect([await refusedUrl()], pathTo(`ws://127.0.0.1:${port}${s.canvas.socketPath}`));
    await c.waitState('live');
    expect(c.statuses()).toEqual(['connecting', 'connecting', 'live']);
    expect(c.states[2]!.transport).toBe('jupyter');
  });

  it('one that cannot open is skipped with a warning, and named among the routes tried', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const refused = await refusedUrl();
    const c = connect([refused], pathTo(undefined));
    await c.waitState('disconnected');
    expect(c.states.at(-1)!.tried).toEqual([refused, "the notebook's kernel connection"]);
    expect(warn).toHaveBeenCalledWith(`dawn-rfb: skipping "the notebook's kernel connection": Error: no kernel`);
  });
});
