// An orbit controller driven by a canvas's events: left drag orbits the camera around its
// target, right drag (or Shift + left drag) pans, the wheel zooms. Each change asks the canvas
// for a draw.
import type { CanvasBase } from '../canvas/base.js';
import type { PointerEvent, WheelEvent } from '../canvas/events.js';
import { InvalidArgumentError } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import type { Camera } from './camera.js';
import { describe } from './format.js';
import { cross, normalize, sub, type Vec3 } from './mat4.js';

/** Options of {@link OrbitController}. All optional. */
export interface OrbitOptions {
  /** Radians per logical pixel of drag. Default 0.01. */
  rotateSpeed?: number;
  /** Zoom factor per 100 px of wheel delta. Default 1.2 (20 % per notch). */
  zoomFactor?: number;
  /** Closest distance to the target. Default 0.05. */
  minDistance?: number;
  /** Farthest distance to the target. Default 1000. */
  maxDistance?: number;
}

/** Moves a camera around its target in response to a canvas's pointer and wheel events. */
export class OrbitController {
  readonly camera: Camera;
  readonly #canvas: CanvasBase;
  readonly #o: Required<OrbitOptions>;
  #drag: { x: number; y: number; pan: boolean } | undefined;
  readonly #onDown = (e: PointerEvent) => this.#down(e);
  readonly #onMove = (e: PointerEvent) => this.#move(e);
  readonly #onUp = () => { this.#drag = undefined; };
  readonly #onWheel = (e: WheelEvent) => this.#wheel(e);

  constructor(camera: Camera, canvas: CanvasBase, options: OrbitOptions = {}) {
    checkOptionNames('OrbitController', options, optionNames<OrbitOptions>({ rotateSpeed: true, zoomFactor: true, minDistance: true, maxDistance: true }));
    this.camera = camera;
    this.#canvas = canvas;
    this.#o = {
      rotateSpeed: options.rotateSpeed ?? 0.01,
      zoomFactor: options.zoomFactor ?? 1.2,
      minDistance: options.minDistance ?? 0.05,
      maxDistance: options.maxDistance ?? 1000,
    };
    for (const [k, v] of Object.entries(this.#o)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`OrbitController: ${k} must be a finite number > 0, got ${describe(v)}`);
    }
    canvas.addEventHandler(this.#onDown, 'pointer_down');
    canvas.addEventHandler(this.#onMove, 'pointer_move');
    canvas.addEventHandler(this.#onUp, 'pointer_up', 'pointer_leave');
    canvas.addEventHandler(this.#onWheel, 'wheel');
  }

  /** Rotates around the target: `dAzimuth` around the up axis, `dElevation` towards it (radians). */
  orbit(dAzimuth: number, dElevation: number): void {
    const c = this.camera;
    const offset = sub(c.position, c.target);
    const r = Math.hypot(...offset);
    let az = Math.atan2(offset[0], offset[2]);
    let el = Math.asin(Math.max(-1, Math.min(1, offset[1] / r)));
    az -= dAzimuth;
    el = Math.max(-1.55, Math.min(1.55, el + dElevation)); // stay off the poles
    c.position = [
      c.target[0] + r * Math.cos(el) * Math.sin(az),
      c.target[1] + r * Math.sin(el),
      c.target[2] + r * Math.cos(el) * Math.cos(az),
    ];
    this.#canvas.requestDraw();
  }

  /** Moves camera and target sideways by (dx, dy) logical pixels. */
  pan(dx: number, dy: number): void {
    const c = this.camera;
    const forward = normalize(sub(c.target, c.position));
    const right = normalize(cross(forward, c.up));
    const up = cross(right, forward);
    const dist = Math.hypot(...sub(c.position, c.target));
    const [, h] = this.#canvas.getLogicalSize();
    const s = (dist * 1.0) / h; // about one world unit per canvas height at distance 1
    const move: Vec3 = [
      (-dx * right[0] + dy * up[0]) * s, (-dx * right[1] + dy * up[1]) * s, (-dx * right[2] + dy * up[2]) * s,
    ];
    c.position = [c.position[0] + move[0], c.position[1] + move[1], c.position[2] + move[2]];
    c.target = [c.target[0] + move[0], c.target[1] + move[1], c.target[2] + move[2]];
    this.#canvas.requestDraw();
  }

  /** Multiplies the distance to the target by `factor` (within min/maxDistance). */
  zoom(factor: number): void {
    const c = this.camera;
    const offset = sub(c.position, c.target);
    const r = Math.hypot(...offset);
    const nr = Math.max(this.#o.minDistance, Math.min(this.#o.maxDistance, r * factor));
    c.position = [c.target[0] + (offset[0] * nr) / r, c.target[1] + (offset[1] * nr) / r, c.target[2] + (offset[2] * nr) / r];
    if ('height' in c && typeof (c as { height: unknown }).height === 'number') (c as unknown as { height: number }).height *= nr / r;
    this.#canvas.requestDraw();
  }

  /** Stops listening to the canvas. */
  dispose(): void {
    this.#canvas.removeEventHandler(this.#onDown, 'pointer_down');
    this.#canvas.removeEventHandler(this.#onMove, 'pointer_move');
    this.#canvas.removeEventHandler(this.#onUp, 'pointer_up', 'pointer_leave');
    this.#canvas.removeEventHandler(this.#onWheel, 'wheel');
  }

  #down(e: PointerEvent): void {
    if (e.button !== 1 && e.button !== 2) return;
    this.#drag = { x: e.x, y: e.y, pan: e.button === 2 || e.modifiers.includes('Shift') };
  }

  #move(e: PointerEvent): void {
    const d = this.#drag;
    if (!d) return;
    if (!e.buttons.includes(1) && !e.buttons.includes(2)) {
      this.#drag = undefined;
      return;
    }
    const dx = e.x - d.x;
    const dy = e.y - d.y;
    d.x = e.x;
    d.y = e.y;
    if (d.pan) this.pan(dx, dy);
    else this.orbit(dx * this.#o.rotateSpeed, dy * this.#o.rotateSpeed);
  }

  #wheel(e: WheelEvent): void {
    this.zoom(Math.pow(this.#o.zoomFactor, e.dy / 100));
  }
}
