// Entry point of the browser bundle (widget/dist/widget.js): `DawnRfb.mount(element, options)`
// turns an element of a notebook output or page into a live view of a remote canvas.
import type { ServerMessage } from '../../src/remote/protocol.js';
import { Connection } from './connection.js';
import { checkCommRoute, jupyterPath, type JupyterPath } from './jupyter-path.js';
import { watchDisplayRate } from './display-rate.js';
import { createDom } from './dom.js';
import { decodableCodecs, FrameDrawer, type FrameStats } from './frames.js';
import { now } from './input.js';
import { attachKeyboard } from './keyboard.js';
import { attachPointer } from './pointer.js';
import { watchSize } from './resize.js';
import { StatusOverlay } from './status.js';
import { EventQueue } from './throttle.js';
import { candidateUrls, checkServerOptions, pageBaseUrl, TEMPLATE_HINT, type ServerOptions } from './urls.js';

// Replaced by the build (scripts/build-widget.mjs) with the package version.
declare const __DAWN_RFB_VERSION__: string | undefined;
/** The widget's package version ('dev' in an unbundled build). */
export const version: string = typeof __DAWN_RFB_VERSION__ === 'string' ? __DAWN_RFB_VERSION__ : 'dev';

export type { ServerOptions } from './urls.js';

/** Name of the DOM event the view's root element fires after each frame is drawn on its canvas. */
export const FRAME_DRAWN_EVENT = 'dawn-rfb-frame';

/** `detail` of the {@link FRAME_DRAWN_EVENT} event. */
export interface FrameDrawnDetail {
  /** The frame's index on its canvas. */
  index: number;
  /** Server clock, seconds: when the frame's drawing started (events handled before it are in it). */
  timestamp: number;
  /** The frame's size in pixels (the canvas's backing store). */
  width: number;
  height: number;
  /** Whether it came as a partial frame (dirty tiles) drawn onto the previous one. */
  partial: boolean;
  lossless: boolean;
  /** Milliseconds from the start of decoding to the frame being drawn. */
  decodeMs: number;
  /** Encoded image size, bytes. */
  bytes: number;
  /** Page clock (`performance.now()`, ms) when the frame was drawn. */
  paintedAt: number;
}

/** Exactly one of `urls` and `server` says where the canvas server is. */
export type MountOptions = MountCommon & (
  | {
    /** Websocket URLs (ws:, wss:, http:, https: or page-relative), tried in this order. */
    urls: string[];
    server?: undefined;
  }
  | {
    /**
     * The kernel's server by port and socket path; the widget derives the URLs from the page
     * (jupyter-server-proxy under JupyterHub or the page's base URL, loopback, the page's host),
     * or takes the one `template` names.
     */
    server: ServerOptions;
    urls?: undefined;
  }
);

/** The options of `mount` besides where the server is. */
export interface MountCommon {
  /**
   * Pointer moves and wheels go out at most every this many ms, merged (default 4: the server
   * merges moves again before each draw, and 20 ms cost ~3 ms of latency at 640x480 in the benchmark).
   */
  throttleMs?: number;
  /** CSS size of the view; defaults to the size the server's hello asks for. */
  cssWidth?: string | number;
  cssHeight?: string | number;
  /** A static image of the canvas, shown until the first live frame replaces it. */
  snapshot?: HTMLImageElement;
}

/** What `mount` returns: control over one mounted view. */
export interface WidgetHandle {
  /** Sends a close event, disconnects and stops listening; the last frame stays visible. */
  close(): void;
  /**
   * 'connecting', 'live', 'disconnected', 'error', 'ended' (a view that was live lost its canvas
   * for good: canvas closed, kernel restarted) or 'closed' (also the root's data-status).
   */
  readonly status: string;
  /** A copy of the view's frame counters, and the display rate it measured and reported (Hz). */
  stats(): FrameStats & { displayHz?: number };
}

function setCssSize(root: HTMLElement, width: string | number | undefined, height: string | number | undefined): void {
  const css = (v: string | number) => (typeof v === 'number' ? `${v}px` : v);
  if (width !== undefined) root.style.width = css(width);
  if (height !== undefined) root.style.height = css(height);
}

/** The page's Jupyter path to the canvas, when the kernel offers comms and the page is Jupyter's. */
function resolveJupyterPath(options: MountOptions, doc: Document): JupyterPath | undefined {
  const server = options.server;
  if (server?.comm === undefined) return undefined;
  checkCommRoute(server.comm);
  if (typeof server.token !== 'string') throw new TypeError('dawn-rfb: options.server.token (the canvas token) is needed with options.server.comm');
  return jupyterPath(server.comm, server.token, doc, pageBaseUrl(doc));
}

/**
 * Whether the URLs are guessed routes (from `server`, without a template) that are probed before
 * the token goes there: explicit URLs and a template are routes the caller knows exist.
 */
function probesRoutes(options: MountOptions): boolean {
  return options.server !== undefined && options.server.template === undefined;
}

/** The URLs to try, from `urls` or `server`; throws a TypeError unless exactly one is valid. */
function resolveUrls(options: MountOptions, doc: Document): string[] {
  if (typeof options !== 'object' || options === null) throw new TypeError('dawn-rfb: mount needs an options object with urls or server');
  const { urls, server } = options;
  if (urls !== undefined && server !== undefined) {
    throw new TypeError('dawn-rfb: give either options.urls or options.server, not both');
  }
  if (server !== undefined) {
    checkServerOptions(server);
    return candidateUrls(server, doc.location ?? window.location, pageBaseUrl(doc));
  }
  if (urls === undefined) throw new TypeError('dawn-rfb: options.urls (websocket URLs) or options.server ({ port, path }) is required');
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string')) {
    throw new TypeError('dawn-rfb: options.urls must be a non-empty list of websocket URLs');
  }
  return urls;
}

// Views whose element left the page must not keep their websocket: an output re-rendered by
// update_display_data (canvas.freeze()) gets a new element with the same id, and a cleared
// output loses its element. JupyterLab detaches cells scrolled far away and re-attaches them
// later, so a view is closed only after its element has been gone for a while, or at once when
// a new view takes over its element's id.
const DETACHED_GRACE_MS = 10_000;
const views = new Map<HTMLElement, { close: () => void; detachedSince?: number }>();
let sweeper: ReturnType<typeof setInterval> | undefined;

/** Registers a mounted view; returns its close function, which also unregisters it. */
function track(root: HTMLElement, close: () => void): () => void {
  for (const [other, view] of views) {
    if (root.id && other.id === root.id && other !== root) view.close();
  }
  const tracked = (): void => {
    views.delete(root);
    close();
  };
  views.set(root, { close: tracked });
  sweeper ??= setInterval(() => {
    const t = Date.now();
    for (const [el, view] of views) {
      if (el.isConnected) view.detachedSince = undefined;
      else if (view.detachedSince === undefined) view.detachedSince = t;
      else if (t - view.detachedSince >= DETACHED_GRACE_MS) view.close();
    }
    if (views.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }, DETACHED_GRACE_MS / 2);
  return tracked;
}

/**
 * Turns `element` into a live view of a remote canvas and returns its handle. Options: `urls` or
 * `server` (exactly one: where the server is); `throttleMs` (default 4); `cssWidth`/`cssHeight`
 * (default: the size the server's hello asks for); `snapshot` (an image shown until the first frame).
 */
export function mount(element: HTMLElement, options: MountOptions): WidgetHandle {
  const urls = resolveUrls(options, element?.ownerDocument ?? document);
  const jupyter = resolveJupyterPath(options, element?.ownerDocument ?? document);
  const throttleMs = options.throttleMs ?? 4;
  if (typeof throttleMs !== 'number' || !(throttleMs >= 0)) throw new TypeError('dawn-rfb: options.throttleMs must be a number >= 0');
  const snapshot = options.snapshot ?? null;

  const abort = new AbortController();
  const { signal } = abort;
  const dom = createDom(element, snapshot !== null);
  const { root, canvas, textarea } = dom;
  // The hint names the kernel's setting that derives URLs; with explicit urls, the caller chose.
  const status = new StatusOverlay(root, dom.status, options.server !== undefined ? TEMPLATE_HINT : undefined);
  let showingSnapshot = snapshot !== null;
  let resizable = false;
  // Once the caller or the server chose a size, a reconnect's hello must not undo it (nor the
  // user's drag of the resize handle).
  let sized = options.cssWidth !== undefined || options.cssHeight !== undefined;
  setCssSize(root, options.cssWidth, options.cssHeight);

  const frames = new FrameDrawer(canvas, (header, drawn) => {
    root.dataset.frameIndex = String(header.index);
    // Whether the picture is the exact frame (the lossless refresh) or a lossy one.
    root.dataset.frameLossless = String(header.lossless);
    // A partial frame's image is only a part: the frame keeps the canvas's size.
    root.dataset.frameSize = `${canvas.width}x${canvas.height}`;
    // What is live: a video codec, or the still format (the lossless refresh is png).
    status.codec(header.video ? header.video.codec : header.mimeType.replace(/^image\//, ''), header.video !== undefined);
    // The decoder's codec string, from the stream's own parameters (profile, level).
    if (header.video) root.dataset.videoConfig = frames.videoConfig;
    // For benchmarks and pages that want to know when a frame is on screen (see FrameDrawnDetail).
    const detail: FrameDrawnDetail = {
      index: header.index, timestamp: header.timestamp, width: canvas.width, height: canvas.height, partial: header.patch !== undefined,
      lossless: header.lossless, decodeMs: drawn.decodeMs, bytes: drawn.bytes, paintedAt: performance.now(),
    };
    root.dispatchEvent(new CustomEvent(FRAME_DRAWN_EVENT, { detail }));
    if (showingSnapshot) {
      showingSnapshot = false;
      canvas.style.display = '';
      if (snapshot) snapshot.style.display = 'none';
    }
  }, () => connection?.send({ type: 'keyframe' }));

  let connection: Connection | null = null;
  // Which video codecs this page decodes, asked once (WebCodecs answers asynchronously).
  const win = root.ownerDocument.defaultView ?? window;
  const codecs = decodableCodecs(win);
  // Events while disconnected are dropped: stale input replayed later would surprise the user.
  const queue = new EventQueue((event) => connection?.send({ type: 'event', event }), throttleMs);
  const push = queue.push.bind(queue);
  const size = watchSize(root, push, signal);
  // The canvas draws no more often than the fastest visible view's display refreshes.
  const display = watchDisplayRate(root.ownerDocument.defaultView ?? window, (hz) => connection?.send({ type: 'display', hz }), signal);
  attachPointer({
    root, textarea,
    reference: () => (showingSnapshot && snapshot ? snapshot : canvas),
    resizable: () => resizable,
  }, push, signal);
  attachKeyboard(textarea, push, signal);

  const apply = (message: ServerMessage) => {
    switch (message.type) {
      case 'hello':
        if (!sized && Array.isArray(message.cssSize)) {
          sized = true;
          setCssSize(root, message.cssSize[0], message.cssSize[1]);
        }
        resizable = message.resizable === true;
        root.style.resize = resizable ? 'both' : 'none';
        if (typeof message.title === 'string') root.title = message.title;
        if (typeof message.cursor === 'string') root.style.cursor = canvas.style.cursor = message.cursor;
        // A new connection knows nothing of this view yet.
        size.resend();
        display.resend();
        // Until a view announces codecs it gets stills; it announces after each hello.
        void codecs.then((decode) => connection?.send({ type: 'codecs', decode }));
        if (root.ownerDocument.activeElement === textarea) push({ type: 'focus_in', timestamp: now() });
        break;
      case 'title':
        if (typeof message.title === 'string') root.title = message.title;
        break;
      case 'cursor':
        if (typeof message.cursor === 'string') root.style.cursor = canvas.style.cursor = message.cursor;
        break;
      case 'css_size':
        sized = true;
        setCssSize(root, message.width, message.height);
        break;
    }
  };

  connection = new Connection(urls, {
    state: (state) => status.show(state),
    message: apply,
    frame: (data, ack) => frames.push(data, ack),
  }, jupyter, probesRoutes(options));

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    push({ type: 'close', timestamp: now() }); // also flushes a pending move, in order
    queue.dispose();
    connection?.close();
    abort.abort();
    frames.close();
    dom.remove();
    status.show({ status: 'closed' });
  };
  const closeTracked = track(root, close);
  // Best effort: the page may be gone before the close event leaves.
  window.addEventListener('pagehide', closeTracked, { signal });

  return {
    close: closeTracked,
    get status() {
      return status.status;
    },
    stats: () => ({ ...frames.stats, ...(display.hz !== undefined ? { displayHz: display.hz } : {}) }),
  };
}

(globalThis as { DawnRfb?: unknown }).DawnRfb = { mount, version };
