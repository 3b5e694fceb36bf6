// A canvas whose frames stream to browser views. Frames are pulled: a draw happens only when one
// was requested, some view is visible, and some visible view has room under maxBufferedFrames.
// Each frame is encoded on sharp's thread pool (several at once) and sent in order; after the
// scene goes idle the last frame is sent again losslessly.
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { CanvasBase, type CanvasOptions, type Cursor, type Frame } from '../canvas/base.js';
import { CanvasClosedError, InvalidArgumentError } from '../errors.js';
import { reportError } from '../report.js';
import { checkQuality, composeSideBySide, encodeFrame, type EncodedImage } from './encoder.js';
import { CloseCode, encodeFrameHeader, PROTOCOL_VERSION, socketPath, type WireEvent } from './protocol.js';
import { currentDisplayWriter, newDisplayId, outputMessage, SHOW, trackDisplay, type DisplayWriter, type ViewContent } from './notebook.js';
import { checkServerOptions, serveCanvas, widgetScript, type FrameServer, type ServerOptions } from './server.js';
import { View, type FrameMessage, type ViewStats } from './view.js';
import { now, type CanvasEvent } from '../canvas/events.js';

/** Options of a RemoteCanvas (and those of every canvas). All optional. */
export interface RemoteCanvasOptions extends CanvasOptions {
  /** JPEG/WebP quality 1..100 while frames change; 100 sends every frame lossless (PNG). Default 80. */
  quality?: number;
  /** Lossy format while frames change: `jpeg` (default) or `webp`. */
  lossyFormat?: 'jpeg' | 'webp';
  /** After this many ms without a new frame, the last one is re-sent lossless (PNG). Default 300; `Infinity` disables. */
  losslessDelayMs?: number;
  /** Frames a view may have unacknowledged before drawing waits for it. Default 2 (minimum 1). */
  maxBufferedFrames?: number;
  /** Encodes in flight at once. Default: the number of CPU cores (at most 8). */
  maxEncodes?: number;
  /** CSS width of views. Default: the logical width in px. */
  cssWidth?: string;
  /** CSS height of views. Default: the logical height in px. */
  cssHeight?: string;
  /** Whether views show a resize handle. Default true. */
  resizable?: boolean;
  /** Where the shared server listens (used by the first canvas only). */
  server?: ServerOptions;
  /**
   * Where notebook pages reach the server: a URL prefix with {proto} {host} {base} {port}
   * {token}, e.g. `{proto}://{host}{base}proxy/{port}`. Default: env `DAWN_RFB_URL_TEMPLATE`,
   * else the widget tries the JupyterHub prefix, jupyter-server-proxy, then the port directly.
   */
  urlTemplate?: string;
}

/** Statistics of a RemoteCanvas; see {@link RemoteCanvas.stats}. */
export interface RemoteCanvasStats {
  /** Frames sent out so far (lossless refreshes included): the index of the newest frame message. */
  framesDrawn: number;
  framesEncoded: number;
  /** Mean encode time of the last 30 frames, ms. */
  encodeMs: number;
  views: ViewStats[];
}

const CSS_SIZE = /^\d+(\.\d+)?(px|em|rem|%|vw|vh)$/;
const DEFAULT_MAX_DIMENSION = 8192;

function checkOptions(o: RemoteCanvasOptions): void {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new InvalidArgumentError(`RemoteCanvas options must be an object like { size: [640, 480] }, got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}`);
  }
  if (o.quality !== undefined) checkQuality(o.quality);
  if (o.server !== undefined) checkServerOptions(o.server);
  if (o.urlTemplate !== undefined && (typeof o.urlTemplate !== 'string' || o.urlTemplate === '')) {
    throw new InvalidArgumentError(`urlTemplate must be a URL prefix string such as "{proto}://{host}{base}proxy/{port}", got ${JSON.stringify(o.urlTemplate)}`);
  }
  if (o.lossyFormat !== undefined && o.lossyFormat !== 'jpeg' && o.lossyFormat !== 'webp') {
    throw new InvalidArgumentError(`lossyFormat must be "jpeg" or "webp", got ${JSON.stringify(o.lossyFormat)}`);
  }
  if (o.losslessDelayMs !== undefined && !(o.losslessDelayMs >= 0)) {
    throw new InvalidArgumentError(`losslessDelayMs must be >= 0 (Infinity disables), got ${o.losslessDelayMs}`);
  }
  for (const key of ['maxBufferedFrames', 'maxEncodes'] as const) {
    const v = o[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new InvalidArgumentError(`${key} must be an integer >= 1, got ${v}`);
  }
  for (const key of ['cssWidth', 'cssHeight'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || !CSS_SIZE.test(v))) {
      throw new InvalidArgumentError(`${key} must be a CSS length like "640px" or "100%", got ${JSON.stringify(v)}`);
    }
  }
}

/** A canvas whose frames stream to browser views over a websocket, and whose views send events back. */
export class RemoteCanvas extends CanvasBase {
  /** Random id, part of the websocket path. */
  readonly id: string;
  /** Secret a view must present to connect. */
  readonly token: string;
  readonly #options: Required<Omit<RemoteCanvasOptions, keyof CanvasOptions | 'server' | 'urlTemplate'>>;
  readonly #urlTemplate: string | undefined;
  /** Outputs showing this canvas: their display ids, and every canvas each one shows. */
  readonly #displays: { id: string; canvases: RemoteCanvas[] }[] = [];
  readonly #views = new Map<string, View>();
  readonly #server: Promise<FrameServer>;
  #cssSize: [string, string];
  #encodes = 0;
  #encodeWaiters: (() => void)[] = [];
  #sendChain: Promise<void> = Promise.resolve();
  #sentIndex = 0;
  #lastFrame: Frame | undefined;
  #lastMessage: FrameMessage | undefined;
  #losslessTimer: NodeJS.Timeout | undefined;
  #framesEncoded = 0;
  readonly #encodeTimes: number[] = [];

  constructor(options: RemoteCanvasOptions = {}) {
    checkOptions(options);
    super(options);
    this.id = randomBytes(6).toString('hex');
    this.token = randomBytes(18).toString('base64url');
    this.#options = {
      quality: options.quality ?? 80,
      lossyFormat: options.lossyFormat ?? 'jpeg',
      losslessDelayMs: options.losslessDelayMs ?? 300,
      maxBufferedFrames: options.maxBufferedFrames ?? 2,
      maxEncodes: options.maxEncodes ?? Math.min(8, availableParallelism()),
      cssWidth: options.cssWidth ?? `${this.getLogicalSize()[0]}px`,
      cssHeight: options.cssHeight ?? `${this.getLogicalSize()[1]}px`,
      resizable: options.resizable ?? true,
    };
    this.#cssSize = [this.#options.cssWidth, this.#options.cssHeight];
    this.#urlTemplate = options.urlTemplate ?? process.env.DAWN_RFB_URL_TEMPLATE;
    this.#server = serveCanvas(this, options.server);
    // An unhandled rejection would crash the kernel; the error resurfaces from getUrl().
    this.#server.catch((e: unknown) => reportError('remote canvas server', e));
  }

  /** The server this canvas is served from (started on first use). */
  server(): Promise<FrameServer> {
    return this.#server;
  }

  /** URL of a standalone page showing this canvas. */
  async getUrl(): Promise<string> {
    const server = await this.#server;
    return `${server.url}/view/${this.id}?token=${encodeURIComponent(this.token)}`;
  }

  /** Path (with token and protocol version) of this canvas's websocket on the server. */
  get socketPath(): string {
    return socketPath(this.id, this.token);
  }

  /** Open views of this canvas. */
  get viewCount(): number {
    return this.#views.size;
  }

  /** Frame statistics, per view. */
  stats(): RemoteCanvasStats {
    const t = this.#encodeTimes;
    return {
      framesDrawn: this.#sentIndex,
      framesEncoded: this.#framesEncoded,
      encodeMs: t.length > 0 ? t.reduce((a, b) => a + b, 0) / t.length : 0,
      views: [...this.#views.values()].map((v) => v.stats()),
    };
  }

  /** The last frame as PNG (draws one first if none was drawn yet). */
  async snapshot(): Promise<Buffer> {
    if (!this.#lastFrame) await this.forceDraw();
    const frame = this.#lastFrame;
    if (!frame) throw new InvalidArgumentError('snapshot(): the draw function rendered nothing (it must render to getContext().getCurrentTexture())');
    return (await encodeFrame(frame, { format: 'png', alpha: frame.alphaMode !== 'opaque' })).data;
  }

  // ---- notebook output -----------------------------------------------------------------------

  /**
   * Shows a live view as the output of the running notebook cell (a new output per call; several
   * views of one canvas work). The output also carries a snapshot for front ends that run no
   * scripts. Resolves once the output is sent; under the dawn-rfb kernel the cell waits for it
   * by itself, on stock tslab write `await canvas.show()`. Outside a notebook it prints the URL
   * of a standalone page instead.
   * @throws {CanvasClosedError} after close.
   */
  show(): Promise<void> {
    return RemoteCanvas.showSideBySide(this);
  }

  /**
   * Shows live views of several canvases side by side in one output of the running cell (what
   * ipywidgets' HBox does for jupyter_rfb): its snapshot is the canvases' snapshots in a row.
   * Otherwise as {@link show}.
   * @throws {CanvasClosedError} if one of them is closed; {@link InvalidArgumentError} for no canvases.
   */
  static showSideBySide(...canvases: RemoteCanvas[]): Promise<void> {
    if (canvases.length === 0 || !canvases.every((c) => c instanceof RemoteCanvas)) {
      throw new InvalidArgumentError('showSideBySide: give one or more RemoteCanvas objects');
    }
    const closed = canvases.find((c) => c.isClosed());
    if (closed) throw new CanvasClosedError(`show(): the canvas is closed (${closed.id}); create a new one`);
    // The writer must be read now: it belongs to the cell running now.
    const writer = currentDisplayWriter();
    const work = writer
      ? RemoteCanvas.#render(writer, newDisplayId(), canvases, false)
      : Promise.all(canvases.map(async (c) => console.log(`${c.toString()}: open ${await c.getUrl()}`)));
    const done = work.then(() => undefined, (e: unknown) => { reportError('show()', e); });
    trackDisplay(done);
    return done;
  }

  /**
   * Replaces the snapshot of every output of this canvas with the current frame, so a saved
   * notebook shows the final state.
   */
  freeze(): Promise<void> {
    if (this.isClosed()) throw new CanvasClosedError('freeze(): the canvas is closed');
    const writer = currentDisplayWriter();
    if (!writer) return Promise.resolve();
    const done = Promise.all(this.#displays.map((d) => RemoteCanvas.#render(writer, d.id, d.canvases, true)))
      .then(() => undefined, (e: unknown) => { reportError('freeze()', e); });
    trackDisplay(done);
    return done;
  }

  /** Called by the dawn-rfb kernel for a cell whose last expression is this canvas. */
  [SHOW](): void {
    void this.show();
  }

  /** One line: id, size, views. */
  override toString(): string {
    const [w, h] = this.getPhysicalSize();
    return `RemoteCanvas ${this.id} ${w}x${h}, ${this.#views.size} view(s)`;
  }

  static async #render(writer: DisplayWriter, displayId: string, canvases: RemoteCanvas[], update: boolean): Promise<void> {
    // One view keeps the display id as its container id; a row numbers its containers.
    const views = await Promise.all(canvases.map((c, i) => c.#viewContent(canvases.length === 1 ? displayId : `${displayId}-${i}`)));
    const png = views.length === 1 ? views[0]!.png : await composeSideBySide(views.map((v) => v.png));
    writer(outputMessage({ displayId, views, png, widgetScript: widgetScript() }), update);
    if (!update) for (const c of canvases) c.#displays.push({ id: displayId, canvases });
  }

  async #viewContent(containerId: string): Promise<ViewContent> {
    const [server, png] = await Promise.all([this.#server, this.snapshot()]);
    const [width, height] = this.getLogicalSize();
    return {
      containerId, png, width, height, cssWidth: this.#cssSize[0], cssHeight: this.#cssSize[1], summary: this.toString(),
      server: {
        port: server.port, path: this.socketPath, token: this.token,
        ...(this.#urlTemplate ? { template: this.#urlTemplate } : {}),
        ...(process.env.JUPYTERHUB_SERVICE_PREFIX ? { hubPrefix: process.env.JUPYTERHUB_SERVICE_PREFIX } : {}),
      },
    };
  }

  // ---- backend hooks -------------------------------------------------------------------------

  protected override _mayDraw(): boolean {
    for (const view of this.#views.values()) if (view.hasRoom(this.#encodes)) return true;
    return false;
  }

  protected override async _presentFrame(frame: Frame): Promise<void> {
    this.#lastFrame = frame;
    this.#cancelLosslessRefresh();
    if (this.#views.size === 0) return;
    // Waiting for an encode slot is the backpressure on drawing when encoding is the bottleneck.
    while (this.#encodes >= this.#options.maxEncodes) await new Promise<void>((r) => this.#encodeWaiters.push(r));
    const lossless = this.#options.quality === 100;
    this.#queue(frame, lossless);
  }

  /** Encodes a frame (counted against maxEncodes) and sends it to every view once all earlier frames went out. */
  #queue(frame: Frame, lossless: boolean): void {
    this.#encodes++;
    const encoding = encodeFrame(frame, {
      format: lossless ? 'png' : this.#options.lossyFormat,
      quality: this.#options.quality,
      alpha: frame.alphaMode !== 'opaque',
    }).finally(() => {
      this.#encodes--;
      this.#encodeWaiters.shift()?.();
    });
    this.#sendChain = this.#sendChain
      .then(() => encoding)
      .then((image) => this.#distribute(frame, image))
      .catch((e: unknown) => { reportError('frame encoding', e); });
  }

  #distribute(frame: Frame, image: EncodedImage): void {
    this.#framesEncoded++;
    this.#encodeTimes.push(image.encodeMs);
    if (this.#encodeTimes.length > 30) this.#encodeTimes.shift();
    if (this.isClosed()) return;
    const index = ++this.#sentIndex;
    const header = encodeFrameHeader({
      canvasId: this.id, index, timestamp: frame.timestamp, mimeType: image.mimeType,
      width: frame.width, height: frame.height, pixelRatio: frame.pixelRatio,
      lossless: image.lossless, alpha: frame.alphaMode !== 'opaque',
    });
    const message: FrameMessage = { index, data: Buffer.concat([header, image.data]), lossless: image.lossless };
    this.#lastMessage = message;
    for (const view of this.#views.values()) if (view.visible) view.offer(message);
    if (!image.lossless && frame === this.#lastFrame) this.#armLosslessRefresh(frame);
  }

  #armLosslessRefresh(frame: Frame): void {
    this.#cancelLosslessRefresh();
    const delay = this.#options.losslessDelayMs;
    if (!Number.isFinite(delay)) return;
    this.#losslessTimer = setTimeout(() => {
      this.#losslessTimer = undefined;
      // Only if no newer frame was drawn meanwhile; goes through the same ordered send path, so
      // each view gets it within its own backpressure (as its next frame when it has no room).
      if (frame === this.#lastFrame && !this.isClosed()) this.#queue(frame, true);
    }, delay);
  }

  #cancelLosslessRefresh(): void {
    if (this.#losslessTimer) clearTimeout(this.#losslessTimer);
    this.#losslessTimer = undefined;
  }

  protected override _onTitle(title: string): void {
    for (const v of this.#views.values()) v.sendJson({ type: 'title', title });
  }

  protected override _onCursor(cursor: Cursor): void {
    for (const v of this.#views.values()) v.sendJson({ type: 'cursor', cursor });
  }

  protected override _applyLogicalSize(width: number, height: number): void {
    this.#cssSize = [`${width}px`, `${height}px`];
    // Views resize themselves and report their physical size back; without views apply it here.
    if (this.#views.size === 0) super._applyLogicalSize(width, height);
    for (const v of this.#views.values()) v.sendJson({ type: 'css_size', width: this.#cssSize[0], height: this.#cssSize[1] });
  }

  protected override _onClose(): void {
    this.#cancelLosslessRefresh();
    for (const v of [...this.#views.values()]) v.close(CloseCode.normal, 'canvas closed');
    void this.#server.then((s) => s.unregister(this), () => {});
  }

  // ---- views ---------------------------------------------------------------------------------

  /** @internal Called by the server with an authenticated websocket. */
  _attachView(socket: WebSocket): void {
    if (this.isClosed()) {
      socket.close(CloseCode.unknownCanvas, 'canvas closed');
      return;
    }
    const view = new View(socket, {
      onEvent: (v, e) => this.#onViewEvent(v, e),
      onAck: () => this._wake(),
      onClose: (v) => this.#onViewClose(v),
    }, () => this.#options.maxBufferedFrames);
    this.#views.set(view.id, view);
    view.sendJson({
      type: 'hello', protocol: PROTOCOL_VERSION, canvasId: this.id, viewId: view.id, title: this.getTitle(),
      cursor: this.getCursor(), cssSize: this.#cssSize, resizable: this.#options.resizable,
    });
    // A new view starts from the newest frame; then a fresh draw at its size follows its resize.
    if (this.#lastMessage) view.offer(this.#lastMessage);
    this.requestDraw();
    this._wake();
  }

  /** The view whose size the canvas follows: the oldest visible view that reported a size. */
  #primaryView(): View | undefined {
    for (const v of this.#views.values()) if (v.visible && v.size) return v;
    return undefined;
  }

  #onViewEvent(view: View, event: WireEvent): void {
    try {
      if (event.type === 'resize') {
        const e = event as unknown as { width: number; height: number; pwidth: number; pheight: number; ratio: number };
        const wasVisible = view.visible;
        view.size = { width: e.width, height: e.height, pwidth: e.pwidth, pheight: e.pheight, ratio: e.ratio };
        // Frames drawn while it was hidden went to the other views only: catch it up.
        const last = this.#lastMessage;
        if (!wasVisible && view.visible && last && last.index > view.lastOffered) view.offer(last);
        this.#followPrimary();
        this._wake();
        return;
      }
      if (event.type === 'close') {
        // One view leaving is not the canvas closing.
        view.close(CloseCode.normal, 'view closed');
        return;
      }
      this.handleEvent(event as unknown as CanvasEvent);
    } catch (e) {
      reportError(`view ${view.id} event`, e);
    }
  }

  /** Applies the primary view's size (clamped to what the device can render). */
  #followPrimary(): void {
    if (this.isClosed()) return;
    const primary = this.#primaryView();
    if (!primary?.size) return;
    const max = this.getContext().getConfiguration()?.device.limits.maxTextureDimension2D ?? DEFAULT_MAX_DIMENSION;
    const { width, height, ratio } = primary.size;
    const pwidth = Math.min(max, primary.size.pwidth);
    const pheight = Math.min(max, primary.size.pheight);
    if (pwidth < 1 || pheight < 1) return;
    const [w, h] = this.getPhysicalSize();
    if (w === pwidth && h === pheight && ratio === this.getPixelRatio()) return;
    this.handleEvent({ type: 'resize', timestamp: now(), width, height, pwidth, pheight, ratio });
  }

  #onViewClose(view: View): void {
    this.#views.delete(view.id);
    this.#followPrimary();
    this._wake();
  }
}
