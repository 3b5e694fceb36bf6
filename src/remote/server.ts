// One HTTP + websocket server per process, shared by every RemoteCanvas. It starts on first use,
// binds loopback on an ephemeral port unless told otherwise, hands `/ws/<canvasId>` connections to
// the canvas as view channels (after checking its token), keeps them alive with heartbeats, serves
// a standalone view page and the widget bundle, and closes when the last canvas closes so the
// process can exit.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { CanvasStateError, InvalidArgumentError } from '../errors.js';
import { websocketChannel, type ViewChannel } from './channel.js';
import { CloseCode, MAX_CLIENT_MESSAGE_BYTES, PROTOCOL_VERSION } from './protocol.js';
import { viewerPage } from './page.js';
import { widgetScript } from './widget-bundle.js';

/** Where the server listens. */
export interface ServerOptions {
  /** Interface to bind. Default: env `DAWN_RFB_HOST`, else `127.0.0.1` (loopback only). */
  host?: string;
  /** Port. Default: env `DAWN_RFB_PORT`, else 0 (an ephemeral port). */
  port?: number;
  /** Milliseconds between heartbeat pings; a peer that missed the previous pong is dropped. Default 15000. */
  heartbeatMs?: number;
}

/** What the server needs of a canvas it serves. */
export interface ServedCanvas {
  readonly id: string;
  readonly token: string;
  /** Title, shown on the standalone page. */
  getTitle(): string;
  /** Takes over an authenticated connection as a view. */
  attachChannel(channel: ViewChannel): void;
}

function resolveOptions(o: ServerOptions): Required<ServerOptions> {
  const host = o.host ?? process.env.DAWN_RFB_HOST ?? '127.0.0.1';
  const portValue = o.port ?? (process.env.DAWN_RFB_PORT ? Number(process.env.DAWN_RFB_PORT) : 0);
  if (!Number.isInteger(portValue) || portValue < 0 || portValue > 65535) {
    throw new InvalidArgumentError(`port must be an integer from 0 to 65535 (0 = any free port), got ${String(o.port ?? process.env.DAWN_RFB_PORT)}`);
  }
  const heartbeatMs = o.heartbeatMs ?? 15_000;
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 10) throw new InvalidArgumentError(`heartbeatMs must be >= 10, got ${heartbeatMs}`);
  return { host, port: portValue, heartbeatMs };
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Parses a request target; undefined for anything malformed (never throws: requests are untrusted). */
function parseUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** Decodes a path segment; a malformed escape yields a name no canvas has. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

/** The process's frame server. Get it with {@link getServer}. */
export class FrameServer {
  readonly host: string;
  readonly port: number;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #canvases = new Map<string, ServedCanvas>();
  readonly #alive = new WeakMap<WebSocket, boolean>();
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  /** @internal Use {@link getServer}. */
  constructor(http: Server, host: string, heartbeatMs: number) {
    this.#http = http;
    this.host = host;
    this.port = (http.address() as AddressInfo).port;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });
    http.on('request', (req, res) => this.#onRequest(req, res));
    http.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.#heartbeat = setInterval(() => this.#beat(), heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Base URL of the server, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${this.port}`;
  }

  /** Number of canvases served. */
  get canvasCount(): number {
    return this.#canvases.size;
  }

  /** Serves a canvas until {@link unregister}. */
  register(canvas: ServedCanvas): void {
    if (this.#closed) throw new CanvasStateError('the frame server is closed; getServer() starts a new one');
    this.#canvases.set(canvas.id, canvas);
  }

  /** Stops serving a canvas; the server closes when none is left. */
  unregister(canvas: ServedCanvas): void {
    this.#canvases.delete(canvas.id);
    if (this.#canvases.size === 0) void this.close();
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (current === this) current = undefined;
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.close(CloseCode.normal, 'server closed');
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    // Peers that don't complete the close handshake must not keep the process alive.
    for (const ws of this.#wss.clients) ws.terminate();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #beat(): void {
    for (const ws of this.#wss.clients) {
      if (this.#alive.get(ws) === false) {
        ws.terminate(); // missed the last pong: dead peer
        continue;
      }
      this.#alive.set(ws, false);
      ws.ping();
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = parseUrl(req.url);
    const match = url && /^\/ws\/([^/]+)$/.exec(url.pathname);
    if (!url || !match) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    // Refusals happen after the upgrade so a browser can read the close code and reason
    // (a refused handshake only shows as code 1006).
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const protocol = url.searchParams.get('protocol');
      if (protocol !== null && protocol !== String(PROTOCOL_VERSION)) {
        ws.close(CloseCode.protocolMismatch, `protocol ${protocol} not supported; this server speaks ${PROTOCOL_VERSION}`);
        return;
      }
      const canvas = this.#canvases.get(decodeSegment(match[1]!));
      if (!canvas) {
        ws.close(CloseCode.unknownCanvas, 'no such canvas (it was closed, or the kernel restarted)');
        return;
      }
      if (!tokenMatches(url.searchParams.get('token'), canvas.token)) {
        ws.close(CloseCode.badToken, 'missing or wrong token');
        return;
      }
      this.#alive.set(ws, true);
      ws.on('pong', () => this.#alive.set(ws, true));
      canvas.attachChannel(websocketChannel(ws, `ws ${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`));
    });
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = parseUrl(req.url);
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    if (!url) return send(400, 'text/plain', 'malformed URL\n');
    if (req.method !== 'GET') return send(405, 'text/plain', 'only GET is allowed\n');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/widget.js') {
      try {
        return send(200, 'text/javascript; charset=utf-8', widgetScript());
      } catch {
        return send(500, 'text/plain', 'the widget bundle is missing: run `npm run build`\n');
      }
    }
    const view = /^\/view\/([^/]+)$/.exec(url.pathname);
    if (view) {
      const canvas = this.#canvases.get(decodeSegment(view[1]!));
      const token = url.searchParams.get('token');
      if (!canvas || !tokenMatches(token, canvas.token)) return send(404, 'text/plain', 'no such canvas, or wrong token\n');
      return send(200, 'text/html; charset=utf-8', viewerPage(canvas.id, canvas.token, canvas.getTitle()));
    }
    send(404, 'text/plain', 'not found\n');
  }
}

let current: Promise<FrameServer> | FrameServer | undefined;

/**
 * The process's frame server, started on first use with `options` (later calls get the running
 * server; their options are ignored while it runs).
 */
export async function getServer(options: ServerOptions = {}): Promise<FrameServer> {
  if (!current) {
    const { host, port, heartbeatMs } = resolveOptions(options);
    const starting = new Promise<FrameServer>((resolve, reject) => {
      const http = createServer();
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve(new FrameServer(http, host, heartbeatMs));
      });
    });
    current = starting;
    try {
      current = await starting;
    } catch (e) {
      current = undefined;
      throw new InvalidArgumentError(`cannot listen on ${host}:${port}: ${(e as Error).message}`, { cause: e });
    }
  }
  return current;
}
