// The websocket to the canvas server, kept alive across drops. A notebook page may reach the
// kernel's server by several routes (direct port, jupyter-server-proxy, a forwarded port), so the
// caller passes candidate URLs and the first one that answers with a matching hello wins. Last
// comes the Jupyter path (jupyter-path.ts) when the page has one: slower, but it works wherever
// the notebook does; the direct routes then get a short time to answer.
import {
  CANVAS_CLOSED_REASON, CloseCode, MAX_CLIENT_MESSAGE_BYTES, MAX_HELD_MS, PROTOCOL_VERSION,
  type AckMessage, type CodecsMessage, type DisplayMessage, type EventMessage, type HelloMessage, type KeyframeMessage, type ServerMessage,
} from '../../src/remote/protocol.js';
import type { JupyterPath, SocketLike } from './jupyter-path.js';
import { probeRoute, routeConfirmed, type Probe } from './probe.js';

/** How a live view is connected: the canvas server's websocket, or through Jupyter. */
export type Transport = 'direct' | 'jupyter';

/** Where the connection stands; each change goes to `ConnectionEvents.state` (and the overlay). */
export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'live'; hello: HelloMessage; transport: Transport }
  /**
   * `retryAt` is a `performance.now()` time. `tried` (the socket URLs, in order) is there when
   * every URL failed in a row, none of them answering: the page may have no route to the server.
   * `lost` is there when the view was live before: then no route is missing, the kernel's server
   * went away (`kernel`: the Jupyter connection said the kernel restarted or stopped).
   */
  | { status: 'disconnected'; retryAt: number; tried?: readonly string[]; lost?: 'kernel' | 'connection' }
  | { status: 'error'; message: string }
  /** A view that was live lost its canvas for good (canvas closed, kernel restarted); the last frame stays. */
  | { status: 'ended'; message: string };

/** What a view that was live says when its canvas is gone for good. */
export const ENDED_MESSAGES = {
  canvasClosed: 'canvas closed',
  kernelRestarted: 'kernel restarted: re-run the cell',
} as const;

/** Callbacks through which a `Connection` reports to the widget. */
export interface ConnectionEvents {
  /** Every change of state, starting with 'connecting'. */
  state(state: ConnectionState): void;
  /** Every JSON message, hello included (after the state turned live). */
  message(message: ServerMessage): void;
  /**
   * A binary frame; `ack` reaches only the socket the frame came from (`skipped`: the frame was
   * dropped undrawn for a newer one).
   */
  frame(data: ArrayBuffer, ack: (index: number, skipped?: boolean) => void): void;
}

// Retrying these cannot succeed: the server will answer the same way again.
const FINAL_CODES = new Map<number, string>([
  [CloseCode.protocolMismatch, 'the server speaks another protocol version'],
  [CloseCode.unknownCanvas, 'this canvas no longer exists'],
  [CloseCode.badToken, 'the server refused the access token'],
]);
const FIRST_DELAY_MS = 500;
const OPEN = 1; // WebSocket.OPEN, also a Jupyter link's
const MAX_DELAY_MS = 10_000;
// A URL that is black-holed (firewall, wrong proxy) would otherwise hang until the TCP timeout.
const HELLO_TIMEOUT_MS = 10_000;
// With a Jupyter path to fall back on, a direct route must answer this fast to be preferred.
const QUICK_HELLO_MS = 3_000;

// Notebook front ends hand out page-relative or http(s) URLs (e.g. a server-proxy path).
function toSocketUrl(url: string): string {
  const u = new URL(url, document.baseURI);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  return u.href;
}

function triedUrl(url: string): string {
  try {
    return toSocketUrl(url);
  } catch {
    return url;
  }
}

function byteLength(text: string): number {
  return text.length * 3 <= MAX_CLIENT_MESSAGE_BYTES ? text.length : new TextEncoder().encode(text).length;
}

/**
 * The widget's websocket to the canvas server: opens at once, tries the candidate URLs in turn until
 * one sends a hello of this protocol, and reconnects with backoff after a drop until closed.
 */
export class Connection {
  private socket: SocketLike | null = null;
  private live = false;
  /** The URL to try next; after a drop it is still the one that last worked. */
  private next = 0;
  /** URLs that failed in a row; when all have, back off before the next round. */
  private failures = 0;
  private delay = FIRST_DELAY_MS;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private helloTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Whether a connection was ever live: a view that worked needs no advice on routes. */
  private everLive = false;
  /** How the last live connection was lost, while reconnecting. */
  private lost: 'kernel' | 'connection' | undefined;
  private transport: Transport = 'direct';
  /** Bad URLs are warned about once, not on every round of retries. */
  private readonly warned = new Set<string>();
  private probing: Probe | undefined;

  /**
   * `jupyter`: the page's Jupyter path, tried after every URL failed. `probe`: the URLs are
   * guesses (not a template the user gave): probe each route without the token before using it.
   */
  constructor(private readonly urls: readonly string[], private readonly on: ConnectionEvents, private readonly jupyter?: JupyterPath,
    private readonly probe = false) {
    this.open();
  }

  /** Number of routes: the URLs, then the Jupyter path if there is one. */
  private get routes(): number {
    return this.urls.length + (this.jupyter ? 1 : 0);
  }

  private isJupyter(route: number): boolean {
    return this.jupyter !== undefined && route === this.urls.length;
  }

  /** Sends a message if the connection is live; returns whether it went out. */
  send(message: EventMessage | AckMessage | DisplayMessage | CodecsMessage | KeyframeMessage): boolean {
    const socket = this.socket;
    if (!this.live || !socket || socket.readyState !== OPEN) return false;
    const text = JSON.stringify(message);
    // The server closes the connection on an oversized message; losing one event is better.
    if (byteLength(text) > MAX_CLIENT_MESSAGE_BYTES) {
      console.warn(`dawn-rfb: not sending a ${message.type} message over ${MAX_CLIENT_MESSAGE_BYTES} bytes`);
      return false;
    }
    socket.send(text);
    return true;
  }

  /** Closes for good (no reconnect). */
  close(): void {
    this.shutdown(CloseCode.normal, '');
  }

  private shutdown(code: number, reason: string): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.helloTimer);
    this.probing?.cancel();
    this.probing = undefined;
    const socket = this.socket;
    this.socket = null;
    this.live = false;
    socket?.close(code, reason);
  }

  private open(): void {
    if (this.stopped) return;
    this.on.state({ status: 'connecting' });
    let socket: SocketLike;
    const jupyter = this.isJupyter(this.next);
    if (!jupyter && this.probe && this.startProbe(this.urls[this.next]!)) return;
    try {
      if (jupyter) {
        socket = this.jupyter!.open();
      } else {
        const ws = new WebSocket(toSocketUrl(this.urls[this.next]!));
        ws.binaryType = 'arraybuffer';
        socket = ws as unknown as SocketLike;
      }
    } catch (e) {
      const url = jupyter ? this.jupyter!.label : this.urls[this.next]!;
      if (!this.warned.has(url)) console.warn(`dawn-rfb: skipping ${JSON.stringify(url)}: ${String(e)}`);
      this.warned.add(url);
      // Asynchronously, so a list of bad URLs cannot recurse.
      this.retryTimer = setTimeout(() => this.failed(), 0);
      return;
    }
    this.socket = socket;
    this.transport = jupyter ? 'jupyter' : 'direct';
    const wait = !jupyter && this.jupyter ? QUICK_HELLO_MS : HELLO_TIMEOUT_MS;
    this.helloTimer = setTimeout(() => socket.close(), wait);
    socket.onmessage = (e) => {
      if (socket === this.socket) this.receive(socket, e.data);
    };
    socket.onclose = (e) => {
      if (socket === this.socket) this.closed(e.code, e.reason);
    };
  }

  /**
   * Probes the route of `url` unless it is confirmed already; returns whether a probe started
   * (open() runs again once it succeeded, the next route is tried if it failed).
   */
  private startProbe(url: string): boolean {
    let target: string;
    try {
      target = toSocketUrl(url);
    } catch {
      return false; // open() reports the bad URL
    }
    if (routeConfirmed(target)) return false;
    const probe = probeRoute(target, this.jupyter ? QUICK_HELLO_MS : HELLO_TIMEOUT_MS);
    this.probing = probe;
    void probe.done.then((ok) => {
      if (this.probing !== probe || this.stopped) return;
      this.probing = undefined;
      if (ok) this.open();
      else this.failed();
    });
    return true;
  }

  private receive(socket: SocketLike, data: unknown): void {
    if (data instanceof ArrayBuffer) {
      // Frames before the hello would belong to a canvas not yet checked; the server sends none.
      const arrived = performance.now();
      if (this.live) this.on.frame(data, (index, skipped) => {
        // `type` first, and `skipped` only when true: the server parses short acks first.
        // `heldMs`: the time the frame spent here, which the server takes off its roundtrip.
        const heldMs = Math.min(MAX_HELD_MS, Math.round(performance.now() - arrived));
        if (socket === this.socket) this.send(skipped ? { type: 'ack', index, skipped: true, heldMs } : { type: 'ack', index, heldMs });
      });
      return;
    }
    let message: ServerMessage;
    try {
      message = JSON.parse(String(data)) as ServerMessage;
    } catch {
      console.warn('dawn-rfb: ignoring a malformed message from the server');
      return;
    }
    if (this.live) {
      this.on.message(message);
      return;
    }
    if (message?.type !== 'hello' || message.protocol !== PROTOCOL_VERSION) {
      const theirs = message?.type === 'hello' ? `protocol ${message.protocol}` : 'no hello';
      // The close code tells the server's logs why this view left.
      this.shutdown(CloseCode.protocolMismatch, 'protocol mismatch');
      this.on.state({ status: 'error', message: `incompatible server (${theirs}; this widget speaks protocol ${PROTOCOL_VERSION}): update dawn-rfb or reload the page` });
      return;
    }
    clearTimeout(this.helloTimer);
    this.live = true;
    this.everLive = true;
    this.lost = undefined;
    this.failures = 0;
    this.delay = FIRST_DELAY_MS;
    this.on.state({ status: 'live', hello: message, transport: this.transport });
    this.on.message(message);
  }

  private closed(code: number, reason: string): void {
    const wasLive = this.live;
    this.socket = null;
    this.live = false;
    clearTimeout(this.helloTimer);
    if (this.stopped) return;
    const ended = this.endedMessage(code, reason);
    const final = FINAL_CODES.get(code);
    if (ended !== undefined) {
      this.stopped = true;
      this.on.state({ status: 'ended', message: ended });
    } else if (final !== undefined) {
      this.stopped = true;
      this.on.state({ status: 'error', message: reason ? `${final} (${reason})` : final });
    } else if (wasLive) {
      // 1001: the Jupyter path saw the kernel restart or stop.
      this.lost = code === 1001 ? 'kernel' : 'connection';
      this.backoff(); // a drop of a working URL: it is the first to try again
    } else {
      this.failed();
    }
  }

  /**
   * The brief notice of a view that was live and whose canvas is gone for good: the server closed
   * it because the canvas closed, or a reconnect found no such canvas (closed, or not in this
   * kernel: the kernel restarted). Undefined otherwise.
   */
  private endedMessage(code: number, reason: string): string | undefined {
    if (code === CloseCode.normal && reason === CANVAS_CLOSED_REASON) return ENDED_MESSAGES.canvasClosed;
    if (code !== CloseCode.unknownCanvas || !this.everLive) return undefined;
    return reason === CANVAS_CLOSED_REASON ? ENDED_MESSAGES.canvasClosed : ENDED_MESSAGES.kernelRestarted;
  }

  /** The current URL failed: try the next one at once, or back off once all have failed. */
  private failed(): void {
    this.next = (this.next + 1) % this.routes;
    if (++this.failures < this.routes) {
      this.open();
    } else {
      this.failures = 0;
      this.backoff([...this.urls.map(triedUrl), ...(this.jupyter ? [this.jupyter.label] : [])]);
    }
  }

  private backoff(tried?: readonly string[]): void {
    const delay = this.delay;
    this.delay = Math.min(delay * 2, MAX_DELAY_MS);
    const retryAt = performance.now() + delay;
    this.on.state({ status: 'disconnected', retryAt, ...(tried ? { tried } : {}), ...(this.lost ? { lost: this.lost } : {}) });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }
}
