// The canvas core: size, draw function, scheduling, events and the WebGPU context, over a few
// backend hooks that the offscreen and remote canvases fill in.
// Naming of the protected members (as rendercanvas's base.py states `_rc_` = backend hook):
// - `_rfb*` are backend hooks: a backend (subclass) overrides them, only this class calls them:
//   _rfbPresentFrame (the one it must implement), _rfbReadbackOptions, _rfbMayDraw,
//   _rfbMaxDrawRate, _rfbApplyLogicalSize, _rfbOnTitle, _rfbOnCursor, _rfbOnClose.
// - other `_*` are helpers: this class implements them, a backend calls them and never
//   overrides them: _drawNow, _setSize, _wake, _retainFrame.
// - `#*` is private to this class.
import { CanvasClosedError, CanvasStateError, InvalidArgumentError } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { endReportScope, isThenable, reportError, reportRejection } from '../report.js';
import { CanvasContext, checkSize, type ReadbackOptions } from './context.js';
import { EventEmitter, type HandlerFor } from './emitter.js';
import { checkEvent, now, type CanvasEvent, type EventType } from './events.js';
import { PixelLease } from './pixel-pool.js';
import type { Pixels } from './readback.js';
import { Scheduler, type ScheduleOptions, type UpdateMode } from './scheduler.js';

/** Options of every canvas. All optional. */
export interface CanvasOptions extends ScheduleOptions {
  /** Logical size [width, height]. Default [640, 480]. */
  size?: readonly [number, number];
  /** Physical pixels per logical pixel. Default 1. */
  pixelRatio?: number;
  /** Title (shown by views that have one). Default "dawn-rfb". */
  title?: string;
}

/** The names of {@link CanvasOptions}, for the unknown-option check of every canvas class. */
export const CANVAS_OPTION_NAMES = optionNames<CanvasOptions>({ size: true, pixelRatio: true, title: true, updateMode: true, minFps: true, maxFps: true });

/** A presented frame: RGBA pixels plus what a view needs to show them right. */
export interface Frame extends Pixels {
  /** 1 for the canvas's first frame, counting up. */
  index: number;
  /** When drawing started, in seconds (performance.now() / 1000). */
  timestamp: number;
  /** Pixel ratio the frame was drawn at. */
  pixelRatio: number;
  /**
   * Whether the frame's alpha is meaningful (`premultiplied`) or to be ignored (`opaque`: 255 in
   * an offscreen canvas's frames; a remote canvas leaves what the shader wrote, as its encodes drop it).
   */
  alphaMode: GPUCanvasAlphaMode;
}

/** CSS cursor names a canvas accepts in setCursor(). */
export const CURSORS = [
  'default', 'none', 'auto', 'context-menu', 'help', 'pointer', 'progress', 'wait', 'cell',
  'crosshair', 'text', 'vertical-text', 'alias', 'copy', 'move', 'no-drop', 'not-allowed', 'grab',
  'grabbing', 'all-scroll', 'col-resize', 'row-resize', 'n-resize', 'e-resize', 's-resize',
  'w-resize', 'ne-resize', 'nw-resize', 'se-resize', 'sw-resize', 'ew-resize', 'ns-resize',
  'nesw-resize', 'nwse-resize', 'zoom-in', 'zoom-out',
] as const;
/** A CSS cursor name. */
export type Cursor = (typeof CURSORS)[number];

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InvalidArgumentError(`${name} must be a finite number > 0, got ${String(v)}`);
  }
  return v;
}

/** Validates a physical size: positive integers. */
export function checkPhysicalSize(w: unknown, h: unknown): [number, number] {
  for (const [name, v] of [['width', w], ['height', h]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new InvalidArgumentError(`physical ${name} must be an integer >= 1, got ${String(v)}`);
    }
  }
  return [w as number, h as number];
}

/** What {@link CanvasBase._rfbReadbackOptions} returns unless a backend says otherwise. */
const DEFAULT_READBACK: ReadbackOptions = Object.freeze({ fillOpaqueAlpha: true, compareTiles: 'off' });

/** Outcome of one draw. */
interface DrawResult {
  frame?: Frame;
  error?: unknown;
  /** A draw function ran without error but never asked for the texture: nothing was presented. */
  empty?: boolean;
}

/** What a draw function that rendered nothing is told (once per draw function, through the reporter). */
const RENDERED_NOTHING = 'the draw function rendered nothing, so no frame was shown: render into '
  + 'canvas.getContext().getCurrentTexture() (after getContext().configure({ device })), e.g. with a render pass '
  + 'whose colour attachment is getCurrentTexture().createView(). Reported once for this draw function.';

/**
 * Base of all canvases. Set a draw function with `requestDraw(fn)`; it renders into
 * `getContext().getCurrentTexture()`; the canvas presents each frame through its backend.
 */
export abstract class CanvasBase {
  readonly #events = new EventEmitter(this);
  readonly #scheduler: Scheduler;
  #drawFunction: (() => void) | undefined;
  #context: CanvasContext | undefined;
  #physical: [number, number];
  #ratio: number;
  #title: string;
  #cursor: Cursor = 'default';
  #closed = false;
  #inDrawFunction = false;
  /** Whether "rendered nothing" was reported for the current draw function. */
  #reportedEmpty = false;
  #emptyScope: object = {};
  #frameIndex = 0;

  constructor(options: CanvasOptions = {}) {
    // The hooks were renamed to _rfb* (0.1 -> this release): a JavaScript backend written against
    // the old names would otherwise never present a frame, without a word.
    if (typeof (this as unknown as { _rfbPresentFrame?: unknown })._rfbPresentFrame !== 'function') {
      const old = typeof (this as unknown as { _presentFrame?: unknown })._presentFrame === 'function';
      throw new CanvasStateError(`${new.target.name} implements no _rfbPresentFrame(frame), the hook every canvas backend must implement${old ? ' (it has _presentFrame: the backend hooks are now named _rfb*, see the header of src/canvas/base.ts)' : ''}`);
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`canvas options must be an object, got ${options === null ? 'null' : typeof options}`);
    }
    const size = options.size ?? [640, 480];
    if (!Array.isArray(size) || size.length !== 2) {
      throw new InvalidArgumentError(`size must be [width, height] in logical pixels, got ${JSON.stringify(size)}`);
    }
    const [lw, lh] = size;
    this.#ratio = positive('pixelRatio', options.pixelRatio ?? 1);
    positive('size[0]', lw);
    positive('size[1]', lh);
    this.#physical = [Math.max(1, Math.round(lw * this.#ratio)), Math.max(1, Math.round(lh * this.#ratio))];
    this.#title = String(options.title ?? 'dawn-rfb');
    this.#scheduler = new Scheduler({
      draw: async () => this.#reportDrawResult(await this.#drawOnce()),
      flushEvents: () => this.#events.flush(),
      mayDraw: () => !this.#closed && this._rfbMayDraw(),
      maxDrawRate: () => this._rfbMaxDrawRate(),
    }, options);
  }

  // ---- drawing ---------------------------------------------------------------------------------

  /**
   * Schedules a draw (merged with other requests; ignored in manual mode and after close).
   * @param fn if given, becomes the draw function used from now on.
   */
  requestDraw(fn?: () => void): void {
    if (fn !== undefined) {
      if (typeof fn !== 'function') throw new InvalidArgumentError('requestDraw: the draw function must be a function');
      if (!this.#closed && fn !== this.#drawFunction) {
        this.#drawFunction = fn;
        this.#reportedEmpty = false;
        this.#emptyScope = {};
      }
    }
    if (this.#closed) return;
    this.#scheduler.requestDraw();
  }

  /**
   * Draws and presents a frame now (after a draw in flight), in every update mode. Errors of the
   * draw function are reported, as for scheduled draws.
   * @throws {CanvasClosedError} after close; {@link CanvasStateError} from inside a draw function.
   */
  forceDraw(): Promise<void> {
    return this._drawNow().then((r) => this.#reportDrawResult(r));
  }

  /**
   * Reports what a scheduled or forced draw cannot throw: the draw function's error, or, once per
   * draw function, that it rendered nothing (the README's `requestDraw(() => { ... })` template
   * run as is): without this the view just stays empty.
   */
  #reportDrawResult(r: DrawResult): void {
    if (r.error !== undefined) reportError('draw function', r.error, this);
    else if (r.empty && !this.#reportedEmpty) {
      this.#reportedEmpty = true;
      // A scope of its own per draw function, so a new one that renders nothing is reported again.
      reportError('draw function', new CanvasStateError(RENDERED_NOTHING), this.#emptyScope);
    }
  }

  /**
   * @internal Helper for backends: a forced draw whose outcome (frame or error) is returned. Misuse
   * throws synchronously, so a draw function that calls forceDraw fails at once, with the stack.
   */
  protected _drawNow(): Promise<DrawResult> {
    if (this.#closed) return Promise.reject(new CanvasClosedError('cannot draw: the canvas is closed'));
    if (this.#inDrawFunction) throw new CanvasStateError('forceDraw cannot be called from inside the draw function');
    let result: DrawResult = {};
    return this.#scheduler.drawNow(async () => { result = await this.#drawOnce(); }).then(() => result);
  }

  /**
   * Renders one frame. Default: calls the function given to `requestDraw(fn)`. Override it to
   * draw without passing a function. Render into `this.getContext().getCurrentTexture()`; a
   * frame that never asks for the texture is not presented.
   */
  drawFrame(): void {
    const result: unknown = this.#drawFunction?.();
    if (isThenable(result)) {
      // The frame is presented when the function returns: what an async one renders after its
      // first await is lost, and a promise that never settles must not hold anything up.
      reportError('draw function', new InvalidArgumentError('the draw function returned a promise; draw functions run synchronously (the frame is presented when it returns), so render before returning, without await'), this);
      reportRejection('draw function', result, this);
    }
  }

  async #drawOnce(): Promise<DrawResult> {
    if (this.#closed) return {};
    const timestamp = now();
    this.#events.flush();
    this.#events.emit({ type: 'before_draw', timestamp });
    this.#inDrawFunction = true;
    try {
      this.drawFrame();
    } catch (error) {
      this.#context?._discard();
      return { error };
    } finally {
      this.#inDrawFunction = false;
    }
    const pending = this.#context?._present(this._rfbReadbackOptions());
    // No draw function and no drawFrame override is a canvas not drawn yet (a view can make it
    // draw before the next cell sets the function): not a mistake to report.
    if (!pending) return { empty: this.#drawFunction !== undefined || this.drawFrame !== CanvasBase.prototype.drawFrame };
    const config = this.#context!.getConfiguration()!;
    let pixels: Pixels;
    try {
      pixels = await pending;
    } catch (error) {
      return { error };
    }
    const frame: Frame = { ...pixels, index: ++this.#frameIndex, timestamp, pixelRatio: this.#ratio, alphaMode: config.alphaMode };
    try {
      await this._rfbPresentFrame(frame);
    } catch (error) {
      return { frame, error };
    }
    return { frame };
  }

  /** Backend hook: a frame was rendered and read back. The next draw waits for this to settle. */
  protected abstract _rfbPresentFrame(frame: Frame): void | Promise<void>;

  /**
   * Backend hook: how each frame is read back, asked once per frame; one hook for every saving
   * that only some backends' uses of a frame allow. Default: alpha filled (`fillOpaqueAlpha`
   * true: an opaque frame's alpha is 255) and no tile comparison (`compareTiles` 'off'). The
   * remote canvas, whose encodes drop an opaque frame's alpha, skips the fill (a pass over every
   * pixel) and has the GPU find the changed tiles for its partial frames.
   */
  protected _rfbReadbackOptions(): ReadbackOptions {
    return DEFAULT_READBACK;
  }

  /**
   * Helper for backends: counts one use of the pixels of `frame` (presented by this canvas) until
   * the lease is released. Once every lease of a frame is released, a later frame may be read
   * back into its pixels, so retain only frames whose every use holds a lease: never frames
   * handed to user code.
   */
  protected _retainFrame(frame: Frame): PixelLease {
    return this.#context?._retain(frame.data) ?? new PixelLease(() => {});
  }

  /** Backend hook: false while drawing would be wasted (no view, backpressure). Default true. */
  protected _rfbMayDraw(): boolean {
    return true;
  }

  /**
   * Backend hook: most draws a second worth making in any scheduled mode (what the displays it is
   * shown on can show); Infinity (the default) for no limit. Call `_wake()` when it changes.
   */
  protected _rfbMaxDrawRate(): number {
    return Infinity;
  }

  /** Helper for backends: call when `_rfbMayDraw()` may have turned true, or `_rfbMaxDrawRate()` changed. */
  protected _wake(): void {
    this.#scheduler.wake();
  }

  /** Changes the update mode and rates; fields not given keep their values. */
  setUpdateMode(updateMode: UpdateMode, rates: Omit<ScheduleOptions, 'updateMode'> = {}): void {
    checkOptionNames('setUpdateMode rate', rates, ['minFps', 'maxFps']);
    this.#scheduler.setOptions({ ...rates, updateMode });
  }

  /** The update mode and rates in force. */
  getUpdateMode(): Readonly<Required<ScheduleOptions>> {
    return this.#scheduler.options;
  }

  /** Draws completed so far, counting cancelled and failed ones. */
  get drawCount(): number {
    return this.#scheduler.drawCount;
  }

  // ---- context -------------------------------------------------------------------------------

  /** The canvas's WebGPU context (one per canvas, created on first call). */
  getContext(kind: 'webgpu' = 'webgpu'): CanvasContext {
    if (kind !== 'webgpu') throw new InvalidArgumentError(`getContext: only "webgpu" contexts exist, got ${JSON.stringify(kind)}`);
    if (this.#closed) throw new CanvasClosedError('getContext: the canvas is closed');
    this.#context ??= new CanvasContext(this);
    return this.#context;
  }

  // ---- size ----------------------------------------------------------------------------------

  /** Size in physical pixels (the size of the texture), integers. */
  getPhysicalSize(): [number, number] {
    return [this.#physical[0], this.#physical[1]];
  }

  /** Size in logical pixels: physical / pixel ratio (floats). */
  getLogicalSize(): [number, number] {
    return [this.#physical[0] / this.#ratio, this.#physical[1] / this.#ratio];
  }

  /** Physical pixels per logical pixel. */
  getPixelRatio(): number {
    return this.#ratio;
  }

  /** Asks for a logical size (the backend decides; an offscreen canvas applies it at once). */
  setLogicalSize(width: number, height: number): void {
    positive('width', width);
    positive('height', height);
    if (this.#closed) return;
    this._rfbApplyLogicalSize(width, height);
  }

  /** Backend hook for setLogicalSize: default renders at that size times the pixel ratio. */
  protected _rfbApplyLogicalSize(width: number, height: number): void {
    this._setSize(Math.max(1, Math.round(width * this.#ratio)), Math.max(1, Math.round(height * this.#ratio)), this.#ratio);
  }

  /**
   * Helper for backends: sets the physical size and pixel ratio. A change queues a `resize` event
   * and causes a draw (in every update mode).
   * @throws {InvalidArgumentError} for non-integer or < 1 sizes, sizes above the device's
   *   maxTextureDimension2D, and ratios that are not finite numbers > 0.
   */
  protected _setSize(pwidth: number, pheight: number, ratio: number): void {
    checkPhysicalSize(pwidth, pheight);
    positive('pixel ratio', ratio);
    const device = this.#context?.getConfiguration()?.device;
    if (device) checkSize([pwidth, pheight], device);
    if (this.#closed) return;
    const [w, h] = this.#physical;
    if (w === pwidth && h === pheight && ratio === this.#ratio) return;
    this.#physical = [pwidth, pheight];
    this.#ratio = ratio;
    this.#events.submit({
      type: 'resize', timestamp: now(), width: pwidth / ratio, height: pheight / ratio,
      pwidth, pheight, ratio,
    });
    this.#scheduler.sizeChanged();
  }

  // ---- title and cursor -------------------------------------------------------------------------

  /** Sets the title. */
  setTitle(title: string): void {
    if (typeof title !== 'string') throw new InvalidArgumentError(`setTitle: title must be a string, got ${typeof title}`);
    this.#title = title;
    this._rfbOnTitle(title);
  }

  /** The title. */
  getTitle(): string {
    return this.#title;
  }

  /** Sets the mouse cursor shown over the canvas's views (a CSS cursor name). */
  setCursor(cursor: Cursor): void {
    if (!(CURSORS as readonly string[]).includes(cursor)) {
      throw new InvalidArgumentError(`setCursor: unknown cursor ${JSON.stringify(cursor)}; allowed: ${CURSORS.join(', ')}`);
    }
    this.#cursor = cursor;
    this._rfbOnCursor(cursor);
  }

  /** The cursor set with setCursor (default "default"). */
  getCursor(): Cursor {
    return this.#cursor;
  }

  /** Backend hook: the title changed. */
  protected _rfbOnTitle(_title: string): void {}
  /** Backend hook: the cursor changed. */
  protected _rfbOnCursor(_cursor: Cursor): void {}

  // ---- events --------------------------------------------------------------------------------

  /**
   * Calls `fn` for events of the given types ("*" for all, after the typed handlers). Adding the
   * same function again replaces its registration.
   * @throws {UnknownEventTypeError} listing the valid types.
   */
  addEventHandler<T extends EventType | '*'>(fn: HandlerFor<T>, ...types: T[]): void {
    this.#events.add(fn, types);
  }

  /** Like addEventHandler, with an order: lower runs first (default 0). */
  addEventHandlerWithOrder<T extends EventType | '*'>(fn: HandlerFor<T>, order: number, ...types: T[]): void {
    this.#events.add(fn, types, order);
  }

  /** Stops calling `fn` for the given types, or for all types when none are given. */
  removeEventHandler<T extends EventType | '*'>(fn: HandlerFor<T>, ...types: T[]): void {
    this.#events.remove(fn, types);
  }

  /**
   * Entry point for events from views (the remote widget calls it). Events are queued, merged and
   * dispatched before the next draw or when idle. A `resize` event resizes the canvas (and is
   * dispatched as a `resize` event); one with a zero size means hidden and changes nothing. A
   * `close` event closes the canvas, as {@link close} does (as jupyter_rfb and rendercanvas
   * do when their view goes away). Ignored after close.
   * @throws {UnknownEventTypeError} listing the valid types; {@link InvalidArgumentError} naming
   *   each missing or malformed field of the event.
   */
  handleEvent(event: CanvasEvent): void {
    checkEvent(event);
    if (this.#closed) return;
    if (event.type === 'resize') {
      // A zero size means the view is hidden, not that the canvas should become empty.
      if (event.pwidth !== 0 && event.pheight !== 0) this._setSize(event.pwidth, event.pheight, event.ratio);
      return;
    }
    if (event.type === 'close') {
      this.close();
      return;
    }
    this.#events.submit(event);
    this.#scheduler.wake();
  }

  // ---- lifetime ------------------------------------------------------------------------------

  /**
   * Closes the canvas: delivers the events still queued (they happened before the close), then
   * emits `close` exactly once, stops drawing, and releases the draw function and the context.
   * Events that arrive later are ignored. Idempotent (also when a handler calls it again).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.flush();
    this.#events.emit({ type: 'close', timestamp: now() });
    this.#events.close();
    endReportScope(this);
    this.#drawFunction = undefined;
    const context = this.#context;
    void this.#scheduler.stop().then(() => context?._close());
    this._rfbOnClose();
  }

  /** Whether close() was called. */
  isClosed(): boolean {
    return this.#closed;
  }

  /** Backend hook: the canvas was closed. */
  protected _rfbOnClose(): void {}
}
