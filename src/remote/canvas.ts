// RemoteCanvas: a canvas whose frames stream to views, and whose views send events back. This
// module ties the parts together: its views (attached by a transport through attachChannel),
// which view's size the canvas follows, and the public API. Encoding and sending frames is the
// FrameStream's job (frames/stream.ts), notebook outputs are notebook/display.ts's, recordings
// (startRecording() / record(): MP4, WebM and animated WebP clips) recording.ts's, connections are
// the View's. Frames are pulled: a draw happens only when one was requested, some view is visible,
// and some visible view has room under maxBufferedFrames; and no more often than the fastest
// visible view's display refreshes (views report their rate), since more frames than that go
// unseen.
import { randomBytes } from 'node:crypto';
import { CanvasBase, type Cursor, type Frame } from '../canvas/base.js';
import type { ReadbackOptions } from '../canvas/context.js';
import { fitSize, type SizeLimits } from '../canvas/limits.js';
import { CanvasClosedError, CanvasStateError, InvalidArgumentError } from '../errors.js';
import { reportError } from '../report.js';
import type { ViewChannel } from './transport/channel.js';
import { serveOverComms, stopServingOverComms } from './transport/comm-target.js';
import { freezeOutputs, showInOutput, type Displayable } from './notebook/display.js';
import { encodeFrame } from './frames/image-encoder.js';
import { SHOW, type ViewContent } from './notebook/output.js';
import { CANVAS_CLOSED_REASON, CloseCode, PROTOCOL_VERSION, socketPath, type VideoCodecName } from './protocol.js';
import { markCanvasClosed } from './transport/closed-canvases.js';
import { checkOptions, passChoice, resolveRemoteCanvasOptions, type RemoteCanvasOptions, type ResolvedRemoteCanvasOptions } from './options.js';
import { serveCanvas, type FrameServer } from './transport/server.js';
import { FrameStream } from './frames/stream.js';
import type { VideoBackendName } from './frames/video-backend.js';
import { STALLED_AFTER_MS, View, type ViewStats } from './transport/view.js';
import { record, RecordingSession, resolveRecordOptions, resolveStartRecordingOptions, type RecordOptions, type Recording, type ResolvedStartRecordingOptions, type StartRecordingOptions } from './recording.js';

export type { RemoteCanvasOptions } from './options.js';

/** Statistics of a RemoteCanvas; see {@link RemoteCanvas.stats}. */
export interface RemoteCanvasStats {
  /** Frame messages sent out so far (lossless refreshes included): the index of the newest one. */
  framesSent: number;
  /** Frames encoded so far (lossless refreshes included). */
  framesEncoded: number;
  /** Frames sent as partial frames (dirty tiles). */
  framesPatched: number;
  /** Frames whose changed tiles were found on the GPU during the readback (`gpuTileCompare`). */
  framesComparedOnGpu: number;
  /** Mean encode time of the last 30 frames, ms. */
  encodeMs: number;
  /** Video frames sent (`codec: 'h264'` or `'auto'`), keyframes included. */
  framesVideo: number;
  /** Video frames encoded from I420 planes made on the GPU (`gpuColorConvert`), not from RGBA. */
  framesVideoGpuConverted: number;
  /** Video keyframes sent. */
  keyframesVideo: number;
  /** The video codec in use (its encoder loaded and did not fail); undefined: stills only. */
  videoCodec: VideoCodecName | undefined;
  /**
   * What encodes the video while {@link videoCodec} is set: `'ffmpeg'` (a subprocess, x264 at
   * `veryfast`) or `'webcodecs'` (npm `@napi-rs/webcodecs`, in-process); env
   * `DAWN_RFB_VIDEO_ENCODER` picks one (default `auto`: ffmpeg first on machines of 4 cores or
   * more, the package first below; the other where the first does not load).
   */
  videoEncoder: VideoBackendName | undefined;
  /** Video encoders in use at the last frame: one per distinct bitrate among the video views. */
  videoEncoders: number;
  /** Ids of the views (as in `views`) that got the last frame as video. */
  videoViews: string[];
  /** One entry per open view, oldest first. */
  views: ViewStats[];
}

// Before a device is configured, view sizes are fitted into WebGPU's default limits.
const DEFAULT_LIMITS: SizeLimits = { maxTextureDimension2D: 8192, maxBufferSize: 268_435_456 };

/** A canvas whose frames stream to views (browser widgets), and whose views send events back. */
export class RemoteCanvas extends CanvasBase {
  /** Random id, part of the websocket path. */
  readonly id: string;
  // The secret a view must present: a private field behind a getter, so that printing the
  // canvas (console.log, util.inspect, a notebook cell's value) never shows it.
  readonly #token: string;
  /** Its options, defaults applied (options.ts); the canvas and its stream read only these. */
  readonly #options: ResolvedRemoteCanvasOptions;
  /** Bounds a view's size was already fitted into: each is reported once per canvas. */
  readonly #boundsReported = new Set<string>();
  readonly #views = new Map<string, View>();
  /** Re-picks the primary view when the one the size follows would stall (see #followPrimary). */
  #stallCheck: ReturnType<typeof setTimeout> | undefined;
  /** The newest recording (startRecording / record): one runs at a time. */
  #recording: RecordingSession | undefined;
  readonly #stream: FrameStream;
  readonly #server: Promise<FrameServer>;
  /** This canvas as notebook outputs see it (one object, so freeze() finds its outputs). */
  readonly #displayable: Displayable;
  #cssSize: [string, string];

  constructor(options: RemoteCanvasOptions = {}) {
    checkOptions(options); // before the base class reads any of them
    super(options);
    const o = resolveRemoteCanvasOptions(options, this.getLogicalSize());
    this.#options = o;
    this.id = randomBytes(6).toString('hex');
    this.#token = randomBytes(18).toString('base64url');
    this.#cssSize = [o.cssWidth, o.cssHeight];
    this.#stream = new FrameStream(this.id, o, this.#views, (frame) => this._retainFrame(frame));
    this.#displayable = {
      toString: () => this.toString(),
      getUrl: () => this.getUrl(),
      viewContent: (containerId) => this.#viewContent(containerId),
    };
    this.#server = serveCanvas(this, o.server);
    // An unhandled rejection would crash the kernel; the error resurfaces from getUrl().
    this.#server.catch((e: unknown) => reportError('remote canvas server', e));
  }

  /**
   * Secret a view must present to connect. Not an own property: inspection output (console.log,
   * util.inspect, a cell's printed value) leaves it out, since such output gets pasted into bug
   * reports.
   */
  get token(): string {
    return this.#token;
  }

  /** The server this canvas is served from (started on first use). */
  server(): Promise<FrameServer> {
    return this.#server;
  }

  /**
   * URL of a standalone page showing this canvas.
   * @throws {CanvasClosedError} after close (the page could show nothing).
   */
  async getUrl(): Promise<string> {
    if (this.isClosed()) throw new CanvasClosedError('getUrl(): the canvas is closed; create a new one');
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

  /**
   * Frame statistics, per view. Per view, `fps` counts the frames the view showed (acknowledged
   * as drawn on its canvas, not skipped for a newer one) and `drawnFps` the frames drawn for it,
   * both over the one second before this call; `displayHz` is the refresh rate its display
   * reported, which caps how often the canvas draws (the fastest visible view's).
   */
  stats(): RemoteCanvasStats {
    const stream = this.#stream.stats();
    return {
      framesSent: stream.framesSent,
      framesEncoded: stream.framesEncoded,
      framesPatched: stream.framesPatched,
      framesComparedOnGpu: stream.framesComparedOnGpu,
      encodeMs: stream.encodeMs,
      framesVideo: stream.framesVideo,
      framesVideoGpuConverted: stream.framesVideoGpuConverted,
      keyframesVideo: stream.keyframesVideo,
      videoCodec: stream.videoCodec,
      videoEncoder: stream.videoEncoder,
      videoEncoders: stream.videoEncoders,
      videoViews: stream.videoViews,
      views: [...this.#views.values()].map((v) => v.stats()),
    };
  }

  /** The last frame as PNG (draws one first if none was drawn yet). */
  async snapshot(): Promise<Buffer> {
    if (!this.#stream.lastFrame) await this.forceDraw();
    const frame = this.#stream.lastFrame;
    if (!frame) throw new InvalidArgumentError('snapshot(): the draw function rendered nothing (it must render to getContext().getCurrentTexture())');
    const lease = this.#stream.hold(frame); // newer frames may come while it encodes
    try {
      return (await encodeFrame(frame, { format: 'png', alpha: frame.alphaMode !== 'opaque' })).data;
    } finally {
      lease.release();
    }
  }

  /**
   * Starts recording what the canvas draws into a clip (MP4 with H.264 by default, WebM with VP9,
   * or an animated WebP for short clips): a frame every 1/fps s, each encoded as it comes (only
   * encoded bytes are kept; WebP excepted), until `session.stop()` (which resolves with the
   * {@link Recording}), `maxSeconds` of clip, or close(). A tick takes the newest frame drawn
   * since the last one it took (or, for the first, since the recording started); when none was
   * drawn (no view makes the canvas draw, 'ondemand' mode, a static scene) it draws one, so an
   * animation that reads the time is recorded in every update mode. Views keep getting their
   * frames meanwhile. Closing the canvas ends the recording: stop() then resolves with the frames
   * taken until then (rejects with CanvasClosedError when there were none). One recording at a
   * time per canvas.
   * MP4 and WebM need the optional peer dependency `@napi-rs/webcodecs` (`npm install
   * @napi-rs/webcodecs`); whether it loads is known at the first tick: stop() rejects with a
   * VideoEncoderError if not. An animated WebP (sharp) needs nothing more, but keeps its frames
   * raw until the end: it stops by itself at 300 frames or 256 MB of them (`endedBy: 'limit'`).
   * @param options `maxSeconds` (default and most 600), `fps` (integer 1..120, default 30),
   *   `bitrate` (bits a second, default 4_000_000), `format` ('mp4', 'webm' or 'webp'); see {@link StartRecordingOptions}.
   * @throws {InvalidArgumentError} for bad options; {@link CanvasClosedError} when the canvas is
   *   closed; {@link CanvasStateError} while another recording of this canvas runs. What ends a
   *   recording badly rejects its stop() (see {@link RecordingSession.stop}).
   */
  startRecording(options?: StartRecordingOptions): RecordingSession {
    return this.#startRecording(resolveStartRecordingOptions(options), 'startRecording');
  }

  /**
   * Records `seconds * fps` frames of what the canvas draws into a clip: startRecording() with
   * `maxSeconds: seconds`, awaited to its end (the same session, ticks and encoding).
   * @param options `seconds` (default 5, at most 600), `fps` (integer 1..120, default 30),
   *   `bitrate` (bits a second, default 4_000_000; not used by 'webp'), `format` ('mp4', 'webm' or
   *   'webp', at most 300 frames); see {@link RecordOptions}.
   * @throws {InvalidArgumentError} for bad options; {@link CanvasClosedError} when the canvas is
   *   or becomes closed before the clip is complete; {@link VideoEncoderError} when the encoder
   *   cannot load (the message says how to install it) or fails; {@link CanvasStateError} while
   *   another recording runs, or when the canvas renders nothing, changes size while recording,
   *   has a size the codec cannot take (odd sides, under 16 pixels), or its frames would not fit
   *   an animated WebP's 256 MB.
   */
  async record(options?: RecordOptions): Promise<Recording> {
    const resolved = resolveRecordOptions(options);
    const { seconds, ...rest } = resolved;
    const session = this.#startRecording({ maxSeconds: seconds, ...rest }, 'record');
    return record(session, resolved);
  }

  #startRecording(options: ResolvedStartRecordingOptions, method: string): RecordingSession {
    if (this.isClosed()) throw new CanvasClosedError(`${method}(): the canvas is closed; create a new one`);
    if (this.#recording?.active) {
      throw new CanvasStateError(`${method}(): this canvas is recording already (${String(this.#recording)}); stop() that recording first: one recording at a time per canvas`);
    }
    this.#recording = new RecordingSession({
      isClosed: () => this.isClosed(),
      newest: () => this.#stream.lastFrame,
      frameAt: async (previous) => {
        if (!this.#stream.lastFrame || this.#stream.lastFrame === previous) await this.forceDraw();
        const frame = this.#stream.lastFrame;
        if (!frame) return undefined;
        const lease = this.#stream.hold(frame);
        return { frame, release: () => lease.release() };
      },
    }, options, method);
    return this.#recording;
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
    return showInOutput(canvases.map((c) => c.#displayable));
  }

  /**
   * Replaces the snapshot of every output of this canvas with the current frame, so a saved
   * notebook shows the final state.
   * @throws {CanvasClosedError} after close.
   */
  freeze(): Promise<void> {
    if (this.isClosed()) throw new CanvasClosedError('freeze(): the canvas is closed');
    return freezeOutputs(this.#displayable);
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

  /**
   * What console.log, util.inspect and a notebook cell's printed value show: the one-line
   * summary, never the token (a getter that inspection with `getters: true` would otherwise call).
   */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `${this.toString()}${this.isClosed() ? ' (closed)' : ''}`;
  }

  async #viewContent(containerId: string): Promise<ViewContent> {
    const [server, png] = await Promise.all([this.#server, this.snapshot()]);
    const [width, height] = this.getLogicalSize();
    // Under the dawn-rfb kernel, views can also come through the notebook's own connection.
    const comm = serveOverComms(this);
    return {
      containerId, png, width, height, cssWidth: this.#cssSize[0], cssHeight: this.#cssSize[1], summary: this.toString(),
      server: {
        port: server.port, path: this.socketPath, token: this.token,
        ...(comm ? { comm } : {}),
        ...(this.#options.urlTemplate ? { template: this.#options.urlTemplate } : {}),
        ...(process.env.JUPYTERHUB_SERVICE_PREFIX ? { hubPrefix: process.env.JUPYTERHUB_SERVICE_PREFIX } : {}),
      },
    };
  }

  // ---- backend hooks -------------------------------------------------------------------------

  protected override _rfbMayDraw(): boolean {
    return this.#stream.mayDraw();
  }

  /**
   * The fastest display among the visible views: more frames a second than that no view can
   * show. No limit while a visible view has not reported its rate (it may be the fastest), nor
   * without visible views (nothing draws then anyway). A stalled view (its frames stopped coming
   * back: it shows nothing) does not count, as it does not decide the size either.
   */
  protected override _rfbMaxDrawRate(): number {
    let fastest = 0;
    const now = performance.now();
    for (const v of this.#views.values()) {
      if (!v.visible || v.stalled(now)) continue;
      if (v.displayHz === undefined) return Infinity;
      fastest = Math.max(fastest, v.displayHz);
    }
    return fastest > 0 ? fastest : Infinity;
  }

  protected override _rfbPresentFrame(frame: Frame): Promise<void> {
    return this.#stream.present(frame);
  }

  // Every use of a frame here (encodes, snapshots, the lossless refresh) drops an opaque frame's
  // alpha, so filling it with 255 would be a wasted pass over every pixel (3.5 ms at 1920x1080).
  // The tile comparison still sees the shader's alpha: a change there only sends a tile more.
  // The I420 planes only while frames go as video (the frames before the first video one are
  // encoded from their RGBA, by the encoder).
  protected override _rfbReadbackOptions(): ReadbackOptions {
    const { dirtyTiles, gpuTileCompare, gpuColorConvert } = this.#options;
    const compareTiles = dirtyTiles ? passChoice(gpuTileCompare) : 'off';
    const i420 = this.#stream.encodingVideo ? passChoice(gpuColorConvert) : 'off';
    return { fillOpaqueAlpha: false, compareTiles, i420 };
  }

  protected override _rfbOnTitle(title: string): void {
    for (const v of this.#views.values()) v.sendJson({ type: 'title', title });
  }

  protected override _rfbOnCursor(cursor: Cursor): void {
    for (const v of this.#views.values()) v.sendJson({ type: 'cursor', cursor });
  }

  protected override _rfbApplyLogicalSize(width: number, height: number): void {
    this.#cssSize = [`${width}px`, `${height}px`];
    // Views resize themselves and report their physical size back; without views apply it here.
    if (this.#views.size === 0) super._rfbApplyLogicalSize(width, height);
    for (const v of this.#views.values()) v.sendJson({ type: 'css_size', width: this.#cssSize[0], height: this.#cssSize[1] });
  }

  protected override _rfbOnClose(): void {
    clearTimeout(this.#stallCheck);
    this.#stream.close();
    markCanvasClosed(this.id);
    for (const v of [...this.#views.values()]) v.close(CloseCode.normal, CANVAS_CLOSED_REASON);
    stopServingOverComms(this);
    void this.#server.then((s) => s.unregister(this), () => {});
  }

  // ---- views ---------------------------------------------------------------------------------

  /**
   * @internal Takes over an authenticated connection as a new view: the websocket server calls
   * it after checking the token, other transports (a Jupyter comm) after their own check.
   */
  attachChannel(channel: ViewChannel): void {
    const c = channel as Partial<ViewChannel> | null | undefined;
    if (typeof c !== 'object' || c === null || !(['send', 'close', 'onMessage', 'onClose'] as const).every((m) => typeof c[m] === 'function')) {
      throw new InvalidArgumentError('attachChannel takes a ViewChannel { send, close, onMessage, onClose, bufferedAmount, description }');
    }
    if (this.isClosed()) {
      channel.close(CloseCode.unknownCanvas, CANVAS_CLOSED_REASON);
      return;
    }
    const view = new View(channel, {
      onEvent: (_view, event) => this.handleEvent(event),
      onResize: (v, becameVisible) => this.#onViewResize(v, becameVisible),
      onAck: () => this._wake(),
      onClose: (v) => this.#onViewClose(v),
      onDisplay: () => this._wake(),
      // A view that starts decoding video, or lost its decoder's state, needs a keyframe.
      onCodecs: (v) => this.#stream.keyframeNeeded(v),
      onKeyframeRequest: (v) => this.#stream.keyframeNeeded(v),
    }, this.#options.maxBufferedFrames, this.#options.adaptive ? { quality: this.#options.quality } : undefined);
    this.#views.set(view.id, view);
    view.sendJson({
      type: 'hello', protocol: PROTOCOL_VERSION, canvasId: this.id, viewId: view.id, title: this.getTitle(),
      cursor: this.getCursor(), cssSize: this.#cssSize, resizable: this.#options.resizable,
    });
    // A new view starts from the newest frame; then a fresh draw at its size follows its resize.
    this.#stream.catchUp(view);
    this.requestDraw();
    this._wake();
  }

  #onViewResize(view: View, becameVisible: boolean): void {
    // Frames drawn while it was hidden went to the other views only: catch it up.
    if (becameVisible) this.#stream.catchUp(view);
    this.#followPrimary();
    this._wake();
  }

  /**
   * The view whose size the canvas follows: the oldest visible view that reported a size and is
   * not stalled (see View.stalledAt: its frames stopped coming back); the oldest visible one
   * when all are.
   */
  #primaryView(): View | undefined {
    const now = performance.now();
    let fallback: View | undefined;
    for (const v of this.#views.values()) {
      if (!v.visible || !v.size) continue;
      if (!v.stalled(now)) return v;
      fallback ??= v;
    }
    return fallback;
  }

  /**
   * Renders at the primary view's size, fitted (keeping the aspect ratio) into maxViewPixels and
   * what the device can render and read back; the pixel ratio shrinks with it, so the logical
   * size stays the view's. Set directly, not as an event through handleEvent: a view's size is
   * this canvas's concern, not input for handlers (they get the resulting `resize` event all the same).
   * Stalling is a matter of time, not of a message: while another visible view could take over,
   * a timer looks again when the followed view would stall (the live view's resize may have come
   * and been passed over before then).
   */
  #followPrimary(): void {
    if (this.isClosed()) return;
    const view = this.#primaryView();
    clearTimeout(this.#stallCheck);
    this.#stallCheck = undefined;
    this.#watchForStall();
    const size = view?.size;
    if (!view || !size || size.pwidth < 1 || size.pheight < 1) return;
    const limits = this.getContext().getConfiguration()?.device.limits ?? DEFAULT_LIMITS;
    const fitted = fitSize(size.pwidth, size.pheight, limits, this.#options.maxViewPixels);
    if (fitted.limitedBy) this.#reportFitted(view, size, fitted.width, fitted.height, fitted.limitedBy, limits);
    const ratio = size.ratio * (fitted.width / size.pwidth);
    this._setSize(fitted.width, fitted.height, fitted.limitedBy ? ratio : size.ratio);
  }

  /**
   * While another visible view could take over, looks again when the followed view would stall
   * (View.stalledAt), or after STALLED_AFTER_MS while it has nothing unacknowledged (a frame sent
   * meanwhile may be the one it never acknowledges). A timer, not a message: a view that stopped
   * answering sends nothing that could trigger the look.
   */
  #watchForStall(): void {
    if (this.#stallCheck !== undefined || this.#views.size < 2 || this.isClosed()) return;
    const view = this.#primaryView();
    if (!view || ![...this.#views.values()].some((v) => v !== view && v.visible && v.size)) return;
    const now = performance.now();
    const at = view.stalledAt() ?? now + STALLED_AFTER_MS;
    this.#stallCheck = setTimeout(() => {
      this.#stallCheck = undefined;
      this.#followPrimary();
    }, Math.max(0, at - now) + 1);
    this.#stallCheck.unref?.();
  }

  /** Says once per canvas and bound that a view asked for more than it renders. */
  #reportFitted(view: View, size: { pwidth: number; pheight: number }, w: number, h: number, bound: string, limits: SizeLimits): void {
    if (this.#boundsReported.has(bound)) return;
    this.#boundsReported.add(bound);
    const value = bound === 'maxPixels' ? `the canvas's maxViewPixels (${this.#options.maxViewPixels})`
      : `the device's ${bound} (${limits[bound as keyof SizeLimits]})`;
    reportError(`remote canvas ${this.id}`, new InvalidArgumentError(
      `view ${view.id} asked for ${size.pwidth}x${size.pheight} pixels, beyond ${value}: rendering at ${w}x${h} (same aspect ratio; the view scales frames up). Reported once per canvas; later sizes are fitted the same way`), this);
  }

  #onViewClose(view: View): void {
    this.#views.delete(view.id);
    this.#followPrimary();
    this._wake();
  }
}
