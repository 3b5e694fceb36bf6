// The widget's connection (widget/src/connection.ts, run here in Node with ws as the page's
// WebSocket) against a real canvas server and a stand-in for Notebook 6 without
// jupyter-server-proxy (an HTTP server that answers 404 to everything and records what it was
// asked): the token never goes to the route that does not exist, only a probe without it does;
// the connection then goes live over the route that answers, with the token, and a second canvas
// of the same server goes the same way.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { candidateUrls } from '../widget/src/urls.js';

// The connection module uses DOM types, which this (Node) project's type check has not: it is
// loaded by a path the type checker does not follow, and typed by the little used here.
type ConnectionState = { status: string };
interface Connection { close(): void }
type ConnectionClass = new (urls: readonly string[], on: {
  state(s: ConnectionState): void; message(m: unknown): void; frame(data: ArrayBuffer, ack: (index: number) => void): void;
}, jupyter: undefined, probe: boolean) => Connection;
const CONNECTION_MODULE = '../widget/src/connection.js';
let ConnectionImpl: ConnectionClass;
import { cleanup, makeSolidCanvas, until } from './helpers/remote.js';
import { PROTOCOL_VERSION } from '../src/index.js';

type Globals = Record<string, unknown>;
/** ws with a browser's manners: a failed socket fires 'error' then 'close', never throws. */
class PageWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    this.on('error', () => {});
  }
}
const saved: Globals = {};
let notebook: Server;
let notebookPort = 0;
const notebookRequests: string[] = [];

beforeAll(async () => {
  ({ Connection: ConnectionImpl } = (await import(/* @vite-ignore */ CONNECTION_MODULE)) as { Connection: ConnectionClass });
  for (const key of ['WebSocket', 'document']) saved[key] = (globalThis as Globals)[key];
  Object.assign(globalThis, { WebSocket: PageWebSocket, document: { baseURI: 'http://127.0.0.1/' } });
  notebook = createServer((req, res) => { notebookRequests.push(req.url ?? ''); res.writeHead(404).end('404: Not Found'); });
  // A websocket to a missing route: Notebook 6 answers the upgrade with a 404 (and logs the URL).
  notebook.on('upgrade', (req: IncomingMessage, socket) => {
    notebookRequests.push(req.url ?? '');
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => notebook.listen(0, '127.0.0.1', () => r()));
  notebookPort = (notebook.address() as AddressInfo).port;
});

afterAll(async () => {
  cleanup();
  Object.assign(globalThis, saved);
  await new Promise<void>((r) => notebook.close(() => r()));
});

/** A Connection as the widget makes it for a Notebook 6 page, until it is live. */
async function connect(canvasPath: string, port: number): Promise<{ connection: Connection; states: ConnectionState[] }> {
  const page = { protocol: 'http:', host: `127.0.0.1:${notebookPort}`, hostname: '127.0.0.1' };
  const urls = candidateUrls({ port, path: canvasPath }, page, '/');
  expect(urls[0]).toBe(`ws://127.0.0.1:${notebookPort}/proxy/${port}${canvasPath}`); // the route that 404s comes first
  const states: ConnectionState[] = [];
  const connection = new ConnectionImpl(urls, { state: (s) => states.push(s), message: () => {}, frame: (_d, ack) => ack(1) }, undefined, true);
  await until(() => states.some((s) => s.status === 'live'), 10_000, 'the connection to go live');
  return { connection, states };
}

describe('the first connection attempt in a plain Notebook 6', () => {
  it('sends the token only to the route that answered a probe, for a second canvas too', async () => {
    const a = await makeSolidCanvas({ size: [16, 16] });
    const { port } = await a.canvas.server();
    const first = await connect(a.canvas.socketPath, port);
    // The missing proxy route was asked once, for a probe, without the token.
    expect(notebookRequests.length).toBeGreaterThan(0);
    for (const url of notebookRequests) {
      expect(url).not.toContain('token');
      expect(url).not.toContain(encodeURIComponent(a.canvas.token));
      expect(url).toContain('probe=1');
    }
    expect(a.canvas.viewCount).toBe(1);
    first.connection.close();

    // Another canvas of the same server: the loopback route is known to work, the proxy route is
    // probed again (it never answered), still without the token.
    const before = notebookRequests.length;
    const b = await makeSolidCanvas({ size: [16, 16] });
    const second = await connect(b.canvas.socketPath, port);
    expect(notebookRequests.slice(before).every((u) => u.includes('probe=1') && !u.includes('token'))).toBe(true);
    expect(b.canvas.viewCount).toBe(1);
    second.connection.close();
  });

  it('the canvas server answers a probe with {"type":"probe"} and a normal close, whatever the canvas', async () => {
    const a = await makeSolidCanvas({ size: [16, 16] });
    const { port } = await a.canvas.server();
    for (const id of [a.canvas.id, 'no-such-canvas']) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${id}?protocol=3&probe=1`);
      const messages: string[] = [];
      ws.on('message', (d) => messages.push(String(d)));
      const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)));
      expect(messages.map((m) => JSON.parse(m))).toEqual([{ type: 'probe', protocol: PROTOCOL_VERSION }]);
      expect(code).toBe(1000);
    }
    expect(a.canvas.viewCount).toBe(0);
  });
});
