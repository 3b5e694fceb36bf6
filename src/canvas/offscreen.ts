// A canvas with no view: frames are read back and kept, for scripts, tests and snapshots.
import { CanvasStateError } from '../errors.js';
import { checkOptionNames } from '../options-check.js';
import { CANVAS_OPTION_NAMES, CanvasBase, type CanvasOptions, type Frame } from './base.js';

/** A canvas that renders offscreen; `draw()` returns the frame's RGBA pixels. */
export class OffscreenCanvas extends CanvasBase {
  #lastFrame: Frame | undefined;

  constructor(options: CanvasOptions = {}) {
    checkOptionNames('OffscreenCanvas', options, CANVAS_OPTION_NAMES);
    super(options);
  }

  /**
   * Draws a frame now and resolves to its pixels.
   * @throws the draw function's own error, {@link CanvasStateError} when the draw function did
   *   not render (never called `getCurrentTexture()`), {@link CanvasClosedError} after close.
   */
  draw(): Promise<Frame> {
    // Not async: misuse from inside a draw function throws synchronously (see _drawNow).
    return this._drawNow().then(({ frame, error }) => {
      if (error !== undefined) throw error;
      if (!frame) {
        throw new CanvasStateError('draw(): nothing was rendered; set a draw function with requestDraw(fn) (or override drawFrame) that renders to getContext().getCurrentTexture()');
      }
      return frame;
    });
  }

  /** The last presented frame, if any. */
  getLastFrame(): Frame | undefined {
    return this.#lastFrame;
  }

  /** Sets the size in physical pixels (integers >= 1); the logical size follows the pixel ratio. */
  setPhysicalSize(width: number, height: number): void {
    this._setSize(width, height, this.getPixelRatio());
  }

  /** Sets the pixel ratio (> 0); the physical size stays, the logical size follows. */
  setPixelRatio(ratio: number): void {
    const [w, h] = this.getPhysicalSize();
    this._setSize(w, h, ratio);
  }

  protected override _rfbPresentFrame(frame: Frame): void {
    this.#lastFrame = frame;
  }
}
