// One HTTP + websocket server per process, shared by every RemoteCanvas. It starts on first use,
// binds loopback on an ephemeral port unless told otherwise, refuses requests whose Host header
// is not a name it is known by (DNS rebinding), routes `/ws/<canvasId>` to the canvas (once
// admission.ts admits the view: protocol, canvas, token), serves a standalone view page and the
// widget bundle, and closes when the last canvas closes so the process can exit; a canvas created
// meanwhile gets a new server.
// Authenticated connections go to the canvas as view channels, kept alive with heartbeats.
import { createServer, Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { InvalidArgumentError, ServerClosedError } from '../../errors.js';
import { checkOptionNames, optionNames } from '../../options-check.js';
import { admitView } from './admission.js';
import { websocketChannel, type ViewChannel } from './channel.js';
import { CloseCode, MAX_CLIENT_MESSAGE_BYTES, PROBE_PARAM, PROTOCOL_VERSION, type ProbeMessage } from '../protocol.js';
import { standalonePage } from './standalone-page.js';
import { widgetScript } from '../widget-bundle.js';

/** Where the server listens. */
export interface ServerOptions {
  /** Interface to bind. Default: env `DAWN_RFB_HOST`, else `127.0.0.1` (loopback only). */
  host?: string;
  /** Port. Default: env `DAWN_RFB_PORT`, else 0 (an ephemeral port). */
  port?: number;
  /**
   * Milliseconds between heartbeat pings; a peer that missed the previous pong is dropped, but
   * not by a heartbeat that came over half an interval late (this process was stalled, and the
   * pongs that came meanwhile are unread). Default 15000.
   */
  heartbeatMs?: number;
  /**
   * Host names (the Host header, without port) requests may carry besides the always-allowed
   * loopback names (`localhost`, `*.localhost`, 127.0.0.0/8, `::1`), the bound host, and, when
   * bound to a non-loopback address, any IP address. `'*'` allows every name (no DNS-rebinding
   * check). Default: env `DAWN_RFB_ALLOWED_HOSTS` (comma-separated, or `*`); else `'*'` under
   * JupyterHub (env `JUPYTERHUB_SERVICE_PREFIX`: its proxy forwards the hub's public name), else
   * none.
   */
  allowedHosts?: readonly string[] | '*';
  /**
   * Milliseconds a client may take to send a request's headers (websocket handshakes included)
   * before its connection is dropped: bounds half-open "slowloris" connections. Default 10000.
   */
  headersTimeoutMs?: number;
}

interface ResolvedOptions {
  host: string;
  port: number;
  heartbeatMs: number;
  allowedHosts: ReadonlySet<string> | '*';
  headersTimeoutMs: number;
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

const OPTION_KEYS = optionNames<ServerOptions>({ host: true, port: true, heartbeatMs: true, allowedHosts: true, headersTimeoutMs: true });

function resolveAllowedHosts(o: ServerOptions): ReadonlySet<string> | '*' {
  const given = o.allowedHosts ?? process.env.DAWN_RFB_ALLOWED_HOSTS?.split(',').map((h) => h.trim()).filter((h) => h !== '');
  const list = given ?? (process.env.JUPYTERHUB_SERVICE_PREFIX ? '*' : []);
  if (list === '*' || (Array.isArray(list) && list.length === 1 && list[0] === '*')) return '*';
  if (!Array.isArray(list) || !list.every((h) => typeof h === 'string' && h !== '' && !/[\s/:]/.test(h))) {
    throw new InvalidArgumentError(`allowedHosts must be '*' or a list of host names without port (e.g. ["notebooks.example.org"]), got ${JSON.stringify(o.allowedHosts ?? process.env.DAWN_RFB_ALLOWED_HOSTS)}`);
  }
  return new Set(list.map((h) => h.toLowerCase()));
}

function resolveOptions(o: ServerOptions): ResolvedOptions {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new InvalidArgumentError(`server options must be an object like { host, port }, got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}`);
  }
  checkOptionNames('server', o, OPTION_KEYS);
  const host = o.host ?? process.env.DAWN_RFB_HOST ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new InvalidArgumentError(`host must be a non-empty string such as "127.0.0.1" or "0.0.0.0", got ${JSON.stringify(host)}`);
  const portValue = o.port ?? (process.env.DAWN_RFB_PORT ? Number(process.env.DAWN_RFB_PORT) : 0);
  if (!Number.isInteger(portValue) || portValue < 0 || portValue > 65535) {
    throw new InvalidArgumentError(`port must be an integer from 0 to 65535 (0 = any free port), got ${String(o.port ?? process.env.DAWN_RFB_PORT)}`);
  }
  const heartbeatMs = o.heartbeatMs ?? 15_000;
  if (typeof heartbeatMs !== 'number' || !Number.isFinite(heartbeatMs) || heartbeatMs < 10) throw new InvalidArgumentError(`heartbeatMs must be a number >= 10, got ${String(heartbeatMs)}`);
  const headersTimeoutMs = o.headersTimeoutMs ?? 10_000;
  if (typeof headersTimeoutMs !== 'number' || !Number.isFinite(headersTimeoutMs) || headersTimeoutMs < 100) {
    throw new InvalidArgumentError(`headersTimeoutMs must be a number >= 100, got ${String(headersTimeoutMs)}`);
  }
  return { host, port: portValue, heartbeatMs, allowedHosts: resolveAllowedHosts(o), headersTimeoutMs };
}

/**
 * Checks server options without starting anything (for constructors that start the server
 * later). @throws {InvalidArgumentError} saying which option is wrong and what is allowed.
 */
export function checkServerOptions(options: ServerOptions): void {
  resolveOptions(options);
}

/** The host name of a Host header (lower case, no port, no brackets); undefined if malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
  if (bracketed) return bracketed[1];
  const plain = /^([a-z0-9._-]+?)\.?(?::\d{1,5})?$/.exec(h);
  return plain?.[1];
}

function isLoopbackAddress(ip: string): boolean {
  return ip === '::1' || /^127\.\d+\.\d+\.\d+$/.test(ip) || /^::ffff:127\./.test(ip);
}

/** Whether a request with this Host header may be served (see ServerOptions.allowedHosts). */
function hostAllowed(header: string | undefined, options: ResolvedOptions): boolean {
  if (options.allowedHosts === '*') return true;
  const name = hostName(header);
  if (name === undefined) return false;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) !== 0) return isLoopbackAddress(name) || !isLoopbackAddress(options.host) && !(options.host === 'localhost');
  return name === options.host.toLowerCase() || options.allowedHosts.has(name);
}

/** Parses a request target; undefined for anything malformed (never throws: requests are untrusted). */
function parseUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** A query parameter given exactly once; null when missing or repeated (never guess which one counts). */
function single(params: URLSearchParams, name: string): string | null {
  const values = params.getAll(name);
  return values.length === 1 ? values[0]! : null;
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
  readonly #options: ResolvedOptions;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #canvases = new Map<string, ServedCanvas>();
  readonly #alive = new WeakMap<WebSocket, boolean>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #heartbeatMs: number;
  #lastBeat: number;
  #closed = false;
  #done: Promise<void> | undefined;

  /**
   * Not for users: use {@link getServer} (this throws for anything but its listening server).
   * Not `@internal`: stripped from the published types, it would leave them offering `new FrameServer()`.
   */
  constructor(http: Server, options: ResolvedOptions) {
    if (!(http instanceof Server) || !http.listening) throw new InvalidArgumentError('FrameServer is not created directly: call getServer()');
    this.#http = http;
    this.#options = options;
    this.host = options.host;
    this.port = (http.address() as AddressInfo).port;
    // Half-open requests (slowloris) are dropped after headersTimeoutMs; Node checks every
    // connectionsCheckingInterval, set when the server was created.
    http.headersTimeout = options.headersTimeoutMs;
    http.requestTimeout = options.headersTimeoutMs * 2;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });
    http.on('request', (req, res) => this.#onRequest(req, res));
    http.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.#heartbeatMs = options.heartbeatMs;
    this.#lastBeat = performance.now();
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs);
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

  /** Whether this server has closed (or is closing): its last canvas closed, or close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Serves a canvas until {@link unregister}.
   * @throws {ServerClosedError} if this server has closed (get the running one from {@link getServer}).
   */
  register(canvas: ServedCanvas): void {
    if (this.#closed) throw new ServerClosedError('the frame server is closed (its last canvas closed); getServer() starts a new one');
    if (typeof canvas !== 'object' || canvas === null || typeof canvas.id !== 'string' || typeof canvas.token !== 'string' || typeof canvas.attachChannel !== 'function') {
      throw new InvalidArgumentError('register() takes a served canvas (a RemoteCanvas)');
    }
    this.#canvases.set(canvas.id, canvas);
  }

  /** Stops serving a canvas; the server closes when none is left. */
  unregister(canvas: ServedCanvas): void {
    if (this.#canvases.get(canvas?.id) === canvas) this.#canvases.delete(canvas.id);
    if (this.#canvases.size === 0) void this.close();
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    if (this.#done) return this.#done;
    this.#closed = true;
    if (current === this) current = undefined;
    // A server started meanwhile on the same fixed port waits for this one to let go of it.
    const done = this.#shutdown();
    this.#done = done;
    closing = done;
    void done.finally(() => { if (closing === done) closing = undefined; });
    return done;
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.close(CloseCode.normal, 'server closed');
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    // Peers that don't complete the close handshake must not keep the process alive.
    for (const ws of this.#wss.clients) ws.terminate();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #beat(): void {
    // A beat that comes late says this process was stalled (a long synchronous cell in a kernel,
    // say): pongs that arrived meanwhile are still unread, since timers run before sockets are
    // read. Judging then would drop every peer, so a late beat only pings; the next one judges.
    const now = performance.now();
    const late = now - this.#lastBeat > 1.5 * this.#heartbeatMs;
    this.#lastBeat = now;
    for (const ws of this.#wss.clients) {
      if (this.#alive.get(ws) === false && !late) {
        ws.terminate(); // missed the last pong: dead peer
        continue;
      }
      this.#alive.set(ws, false);
      ws.ping();
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {}); // a peer resetting mid-handshake is not our error
    if (!hostAllowed(req.headers.host, this.#options)) {
      // Refused before the upgrade: a page that reached us through DNS rebinding learns nothing.
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n'
        + 'Host not allowed; see the allowedHosts server option (env DAWN_RFB_ALLOWED_HOSTS)\n');
      return;
    }
    const url = parseUrl(req.url);
    const match = url && /^\/ws\/([^/]+)$/.exec(url.pathname);
    if (!url || !match) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    // Refusals happen after the upgrade so a browser can read the close code and reason
    // (a refused handshake only shows as code 1006).
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (url.searchParams.has(PROBE_PARAM)) {
        // Says only that this route leads here (as a missing token's close code would).
        const answer: ProbeMessage = { type: 'probe', protocol: PROTOCOL_VERSION };
        ws.send(JSON.stringify(answer));
        ws.close(CloseCode.normal, 'probe answered');
        return;
      }
      const versions = url.searchParams.getAll('protocol');
      const admission = admitView({
        canvasId: decodeSegment(match[1]!),
        token: single(url.searchParams, 'token'),
        protocol: versions.length === 0 ? undefined : versions.join(','),
      }, this.#canvases, 'server');
      if (!admission.admitted) {
        ws.close(admission.code, admission.reason);
        return;
      }
      const canvas = admission.canvas;
      this.#alive.set(ws, true);
      ws.on('pong', () => this.#alive.set(ws, true));
      canvas.attachChannel(websocketChannel(ws, `ws ${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`));
    });
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = parseUrl(req.url);
    const send = (status: number, type: string, body: string): void => {
      // The view page's URL carries the token: never send it on as a Referer; and no framing
      // of the page by other sites.
      res.writeHead(status, {
        'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY',
      });
      res.end(body);
    };
    if (!hostAllowed(req.headers.host, this.#options)) {
      return send(403, 'text/plain', `Host ${JSON.stringify(hostName(req.headers.host) ?? req.headers.host ?? '')} not allowed: this server answers to loopback names and its bound host; add a name with the allowedHosts server option (env DAWN_RFB_ALLOWED_HOSTS)\n`);
    }
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
      // The page itself is admitted as a view is (it carries the token to its socket).
      const admission = admitView({ canvasId: decodeSegment(view[1]!), token: single(url.searchParams, 'token'), protocol: undefined }, this.#canvases, 'server');
      if (!admission.admitted) return send(404, 'text/plain', 'no such canvas, or wrong token\n');
      const canvas = admission.canvas;
      return send(200, 'text/html; charset=utf-8', standalonePage(canvas.id, canvas.token, canvas.getTitle()));
    }
    send(404, 'text/plain', 'not found\n');
  }
}

let current: Promise<FrameServer> | FrameServer | undefined;
// The close of the previous server, until it let go of its port.
let closing: Promise<void> | undefined;

/**
 * The process's frame server, started on first use with `options` (later calls get the running
 * server; their options are ignored while it runs).
 */
export async function getServer(options: ServerOptions = {}): Promise<FrameServer> {
  // Checked even while a server runs (whose options then win), so a mistake shows at once.
  const resolved = resolveOptions(options);
  if (!current) {
    const { host, port } = resolved;
    const previous = closing;
    const starting = (async () => {
      if (previous) await previous;
      return new Promise<FrameServer>((resolve, reject) => {
        const http = createServer({ connectionsCheckingInterval: Math.min(1000, resolved.headersTimeoutMs / 2) });
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          resolve(new FrameServer(http, resolved));
        });
      });
    })();
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

/**
 * @internal The running server with `canvas` registered on it. A server whose last canvas just
 * closed (`old.close(); new RemoteCanvas()` in one cell) may close between getServer() and
 * register(): then a new one is started, so a canvas created at any moment gets a working server.
 */
export async function serveCanvas(canvas: ServedCanvas & { isClosed(): boolean }, options?: ServerOptions): Promise<FrameServer> {
  for (;;) {
    const server = await getServer(options);
    if (canvas.isClosed() || server.closed) {
      if (canvas.isClosed()) return server;
      continue; // closed under us: the next getServer() starts a fresh one
    }
    server.register(canvas);
    return server;
  }
}
