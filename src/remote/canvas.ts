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
import { diffFrames, TILE_SIZE, type Region } from './tiles.js';
import { CloseCode, encodeFrameHeader, PROTOCOL_VERSION, socketPath, type WireEvent } from './protocol.js';
import { currentDisplayWriter, newDisplayId, outputMessage, SHOW, trackDisplay, type DisplayWriter, type ViewContent } from './notebook.js';
import { getServer, widgetScript, type FrameServer, type ServerOptions } from './server.js';
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
  /**
   * Adapt each view's frames in flight, and the quality and resolution of lossy frames, to what
   * its acknowledgements say of the link (back off while a queue builds, recover when it clears;
   * more frames in flight over a long link). The lossless refresh is always full. Default true.
   */
  adaptive?: boolean;
  /**
   * Send only the changed part of a frame (the bounding rectangle of its changed 64 px tiles)
   * when at most half of the tiles changed; views draw it onto the frame they have. Whole frames
   * still go after a resize, to a view that joins or fell behind, every 120 frames, and as the
   * lossless refresh. Default true.
   */
  dirtyTiles?: boolean;
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
  /** Frames sent as partial frames (dirty tiles). */
  framesPatched: number;
  /** Mean encode time of the last 30 frames, ms. */
  encodeMs: number;
  views: ViewStats[];
}

const CSS_SIZE = /^\d+(\.\d+)?(px|em|rem|%|vw|vh)$/;
const DEFAULT_MAX_DIMENSION = 8192;
/** A whole frame at least this often (messages), so a view never depends on a long chain of parts. */
const FULL_FRAME_EVERY = 120;

function checkOptions(o: RemoteCanvasOptions): void {
  if (o.quality !== undefined) checkQuality(o.quality);
  if (o.dirtyTiles !== undefined && typeof o.dirtyTiles !== 'boolean') throw new InvalidArgumentError(`dirtyTiles must be true or false, got ${JSON.stringify(o.dirtyTiles)}`);
  if (o.adaptive !== undefined && typeof o.adaptive !== 'boolean') throw new InvalidArgumentError(`adaptive must be true or false, got ${JSON.stringify(o.adaptive)}`);
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
  #framesPatched = 0;
  // Dirty tiles: frames are queued in order (seq); a partial frame is drawn onto the previous one.
  #seq = 0;
  #chain: { seq: number; frame: Frame; scale: number } | undefined;
  #lastDistributedSeq = 0;
  #needFull = true;
  #sinceFull = 0;
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
      adaptive: options.adaptive ?? true,
      dirtyTiles: options.dirtyTiles ?? true,
      maxEncodes: options.maxEncodes ?? Math.min(8, availableParallelism()),
      cssWidth: options.cssWidth ?? `${this.getLogicalSize()[0]}px`,
      cssHeight: options.cssHeight ?? `${this.getLogicalSize()[1]}px`,
      resizable: options.resizable ?? true,
    };
    this.#cssSize = [this.#options.cssWidth, this.#options.cssHeight];
    this.#urlTemplate = options.urlTemplate ?? process.env.DAWN_RFB_URL_TEMPLATE;
    this.#server = getServer(options.server).then((server) => {
      if (!this.isClosed()) server.register(this);
      return server;
    });
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
      framesPatched: this.#framesPatched,
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
  #queue(frame: Frame, lossless: boolean, refresh = false): void {
    this.#encodes++;
    // Lossy frames follow the most constrained visible view (one encode serves every view); the
    // lossless refresh is always full quality and size.
    let quality = this.#options.quality;
    let scale = 1;
    if (!lossless) {
      for (const view of this.#views.values()) {
        const a = view.visible ? view.adaptive?.state() : undefined;
        if (a) [quality, scale] = [Math.min(quality, a.quality), Math.min(scale, a.scale)];
      }
    }
    const base = this.#chain;
    const seq = ++this.#seq;
    this.#chain = { seq, frame, scale };
    const region = refresh ? undefined : this.#dirtyRegion(base, frame, scale);
    if (region) {
      this.#sinceFull++;
    } else {
      this.#needFull = false;
      this.#sinceFull = 0;
    }
    const patch = region && base ? { region, baseSeq: base.seq } : undefined;
    const encoding = encodeFrame(frame, {
      format: lossless ? 'png' : this.#options.lossyFormat,
      quality,
      scale,
      alpha: frame.alphaMode !== 'opaque',
      ...(region ? { region } : {}),
    }).finally(() => {
      this.#encodes--;
      this.#encodeWaiters.shift()?.();
    });
    this.#sendChain = this.#sendChain
      .then(() => encoding)
      .then((image) => this.#distribute(frame, image, seq, patch, lossless))
      .catch((e: unknown) => {
        this.#needFull = true; // the frames after a lost one cannot build on it
        reportError('frame encoding', e);
      });
  }

  /** The part of `frame` to send when it may go as a partial frame onto `base`; undefined: send it whole. */
  #dirtyRegion(base: { frame: Frame; scale: number } | undefined, frame: Frame, scale: number): Region | undefined {
    if (!this.#options.dirtyTiles || this.#needFull || this.#sinceFull >= FULL_FRAME_EVERY || !base) return undefined;
    const b = base.frame;
    if (scale !== 1 || base.scale !== 1 || b.width !== frame.width || b.height !== frame.height
      || b.pixelRatio !== frame.pixelRatio || b.alphaMode !== frame.alphaMode) return undefined;
    const change = diffFrames(b, frame);
    if (change.changedTiles * 2 > change.totalTiles) return undefined;
    // Nothing changed: one tile still goes, so the view acknowledges and pacing stays as it was.
    return change.region ?? { x: 0, y: 0, width: Math.min(TILE_SIZE, frame.width), height: Math.min(TILE_SIZE, frame.height) };
  }

  #distribute(frame: Frame, image: EncodedImage, seq: number, patch: { region: Region; baseSeq: number } | undefined, lossless: boolean): void {
    this.#framesEncoded++;
    this.#encodeTimes.push(image.encodeMs);
    if (this.#encodeTimes.length > 30) this.#encodeTimes.shift();
    if (this.isClosed()) return;
    if (patch && patch.baseSeq !== this.#lastDistributedSeq) {
      // Its base frame was never sent (its encode failed): send this frame whole instead.
      this.#needFull = true;
      if (frame === this.#lastFrame) this.#queue(frame, lossless);
      return;
    }
    this.#lastDistributedSeq = seq;
    const index = ++this.#sentIndex;
    const header = encodeFrameHeader({
      canvasId: this.id, index, timestamp: frame.timestamp, mimeType: image.mimeType,
      // A reduced image keeps the frame's CSS size: its pixel ratio shrinks with it.
      width: image.width, height: image.height, pixelRatio: frame.pixelRatio * (image.width / (patch ? patch.region.width : frame.width)),
      lossless: image.lossless, alpha: frame.alphaMode !== 'opaque',
      ...(patch ? { patch: { x: patch.region.x, y: patch.region.y, baseIndex: index - 1 } } : {}),
    });
    const message: FrameMessage = {
      index, data: Buffer.concat([header, image.data]), lossless: image.lossless, ...(patch ? { baseIndex: index - 1 } : {}),
    };
    if (patch) this.#framesPatched++;
    this.#lastMessage = message;
    let rejected = false;
    for (const view of this.#views.values()) if (view.visible && !view.offer(message)) rejected = true;
    // A view that cannot use this partial frame (it missed the base) needs a whole one.
    if (rejected) this.#wholeFrameNeeded(frame, lossless);
    if (!image.lossless && frame === this.#lastFrame) this.#armLosslessRefresh(frame);
  }

  /** The next frame goes whole; when no newer frame is on its way, `frame` is re-sent whole now. */
  #wholeFrameNeeded(frame: Frame | undefined, lossless = this.#options.quality === 100): void {
    this.#needFull = true;
    if (frame && frame === this.#lastFrame && !this.isClosed()) this.#queue(frame, lossless);
  }

  #armLosslessRefresh(frame: Frame): void {
    this.#cancelLosslessRefresh();
    const delay = this.#options.losslessDelayMs;
    if (!Number.isFinite(delay)) return;
    this.#losslessTimer = setTimeout(() => {
      this.#losslessTimer = undefined;
      // Only if no newer frame was drawn meanwhile; goes through the same ordered send path, so
      // each view gets it within its own backpressure (as its next frame when it has no room).
      if (frame === this.#lastFrame && !this.isClosed()) this.#queue(frame, true, true);
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
    }, () => this.#options.maxBufferedFrames, this.#options.adaptive ? { quality: this.#options.quality } : undefined);
    this.#views.set(view.id, view);
    view.sendJson({
      type: 'hello', protocol: PROTOCOL_VERSION, canvasId: this.id, viewId: view.id, title: this.getTitle(),
      cursor: this.getCursor(), cssSize: this.#cssSize, resizable: this.#options.resizable,
    });
    // A new view starts from the newest frame; then a fresh draw at its size follows its resize.
    // (A partial frame is no use to it: then the newest frame goes again, whole.)
    if (this.#lastMessage && !view.offer(this.#lastMessage)) this.#wholeFrameNeeded(this.#lastFrame);
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
        if (!wasVisible && view.visible && last && last.index > view.lastOffered && !view.offer(last)) this.#wholeFrameNeeded(this.#lastFrame);
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
