// Cameras: a view matrix from position/target/up and a projection (perspective or orthographic).
import { InvalidArgumentError } from '../errors.js';
import { checkOptionNames, optionNames } from '../options-check.js';
import { describe } from './format.js';
import { lookAt, multiply, orthographic, perspective, type Mat4, type Vec3 } from './mat4.js';

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${name} must be a finite number > 0, got ${describe(v)}`);
  return v;
}

/** Options of both cameras. */
export interface CameraOptions {
  /** Eye position. Default [0, 0, 5]. */
  position?: Vec3;
  /** Point looked at. Default [0, 0, 0]. */
  target?: Vec3;
  /** Up direction. Default [0, 1, 0]. */
  up?: Vec3;
  /** Near plane distance. Default 0.1. */
  near?: number;
  /** Far plane distance. Default 1000. */
  far?: number;
}

const CAMERA_OPTION_NAMES = optionNames<CameraOptions>({ position: true, target: true, up: true, near: true, far: true });

/** Base of the cameras. */
export abstract class Camera {
  /** Eye position. */
  position: Vec3;
  /** Point looked at (the orbit centre). */
  target: Vec3;
  /** Up direction. */
  up: Vec3;
  /** Near plane. */
  near: number;
  /** Far plane. */
  far: number;
  constructor(o: CameraOptions) {
    this.position = o.position ?? [0, 0, 5];
    this.target = o.target ?? [0, 0, 0];
    this.up = o.up ?? [0, 1, 0];
    this.near = positive('near', o.near ?? 0.1);
    this.far = positive('far', o.far ?? 1000);
    if (this.far <= this.near) throw new InvalidArgumentError(`far (${this.far}) must be greater than near (${this.near})`);
  }
  /** The world-to-view matrix. */
  get viewMatrix(): Mat4 {
    return lookAt(this.position, this.target, this.up);
  }
  /** The projection for a viewport of this aspect ratio (width / height). */
  abstract projectionMatrix(aspect: number): Mat4;
  /** projection * view. */
  viewProjection(aspect: number): Mat4 {
    return multiply(this.projectionMatrix(aspect), this.viewMatrix);
  }
}

/** Options of {@link PerspectiveCamera}. */
export interface PerspectiveCameraOptions extends CameraOptions {
  /** Vertical field of view in degrees. Default 50. */
  fov?: number;
}

/** A perspective camera. */
export class PerspectiveCamera extends Camera {
  /** Vertical field of view in degrees (0..180). */
  fov: number;
  constructor(o: PerspectiveCameraOptions = {}) {
    checkOptionNames('PerspectiveCamera', o, [...CAMERA_OPTION_NAMES, 'fov']);
    super(o);
    const fov = o.fov ?? 50;
    if (!(fov > 0 && fov < 180)) throw new InvalidArgumentError(`fov must be in (0, 180) degrees, got ${describe(fov)}`);
    this.fov = fov;
  }
  projectionMatrix(aspect: number): Mat4 {
    return perspective(this.fov, aspect, this.near, this.far);
  }
}

/** Options of {@link OrthographicCamera}. */
export interface OrthographicCameraOptions extends CameraOptions {
  /** World units visible vertically. Default 2 (so [-1, 1] fills the height). */
  height?: number;
}

/** An orthographic camera: `height` world units tall, width following the aspect ratio. */
export class OrthographicCamera extends Camera {
  /** Visible height in world units. */
  height: number;
  constructor(o: OrthographicCameraOptions = {}) {
    checkOptionNames('OrthographicCamera', o, [...CAMERA_OPTION_NAMES, 'height']);
    super(o);
    this.height = positive('height', o.height ?? 2);
  }
  projectionMatrix(aspect: number): Mat4 {
    const h = this.height / 2;
    return orthographic(-h * aspect, h * aspect, -h, h, this.near, this.far);
  }
}
