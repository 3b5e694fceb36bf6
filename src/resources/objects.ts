// The scene graph: objects with a local transform (position, rotation, scale) and children;
// Mesh, Points and Line pair a Geometry of Buffers with a Material.
import { InvalidArgumentError } from '../errors.js';
import { Buffer } from './buffer.js';
import { describe } from './format.js';
import { compose, multiply, quatFromAxisAngle, type Mat4, type Quat, type Vec3 } from './mat4.js';
import { LineMaterial, Material, MeshBasicMaterial, MeshPhongMaterial, PointsMaterial } from './material.js';

let nextId = 1;

/** A node of the scene graph. */
export class WorldObject {
  /** Unique id (> 0), written to the pick texture. */
  readonly id = nextId++;
  /** Position relative to the parent. Default [0, 0, 0]. */
  position: Vec3 = [0, 0, 0];
  /** Rotation quaternion [x, y, z, w]. Default identity. */
  rotation: Quat = [0, 0, 0, 1];
  /** Scale. Default [1, 1, 1]. */
  scale: Vec3 = [1, 1, 1];
  /** Drawn (with its children) only when true. Default true. */
  visible = true;
  /** Draw order inside a render queue, before depth sorting (lower first). Default 0. */
  renderOrder = 0;
  /** Optional name, for pick results and debugging. */
  name = '';
  readonly #children: WorldObject[] = [];
  #parent: WorldObject | undefined;

  /** The parent, if any. */
  get parent(): WorldObject | undefined {
    return this.#parent;
  }
  /** The children, in order. */
  get children(): readonly WorldObject[] {
    return this.#children;
  }

  /** Adds children (moving them from a previous parent). Returns this. */
  add(...objects: WorldObject[]): this {
    for (const o of objects) {
      if (!(o instanceof WorldObject)) throw new InvalidArgumentError(`add: expected a WorldObject (Mesh, Points, Line, Group), got ${describe(o)}`);
      for (let p: WorldObject | undefined = this; p; p = p.#parent) {
        if (p === o) throw new InvalidArgumentError('add: an object cannot be its own ancestor');
      }
      o.#parent?.remove(o);
      o.#parent = this;
      this.#children.push(o);
    }
    return this;
  }

  /** Removes children. Returns this. */
  remove(...objects: WorldObject[]): this {
    for (const o of objects) {
      const i = this.#children.indexOf(o);
      if (i >= 0) {
        this.#children.splice(i, 1);
        o.#parent = undefined;
      }
    }
    return this;
  }

  /** Rotates by `angle` radians around `axis` (after the current rotation). */
  rotate(axis: Vec3, angle: number): this {
    const [ax, ay, az, aw] = quatFromAxisAngle(axis, angle);
    const [bx, by, bz, bw] = this.rotation;
    this.rotation = [
      aw * bx + ax * bw + ay * bz - az * by,
      aw * by - ax * bz + ay * bw + az * bx,
      aw * bz + ax * by - ay * bx + az * bw,
      aw * bw - ax * bx - ay * by - az * bz,
    ];
    return this;
  }

  /** The local matrix (T * R * S). */
  get matrix(): Mat4 {
    return compose(this.position, this.rotation, this.scale);
  }
  /** The matrix from local to world space. */
  get worldMatrix(): Mat4 {
    return this.#parent ? multiply(this.#parent.worldMatrix, this.matrix) : this.matrix;
  }

  /** Calls fn for this object and all descendants that are visible (depth first). */
  traverseVisible(fn: (o: WorldObject, world: Mat4) => void, parentWorld?: Mat4): void {
    if (!this.visible) return;
    const world = parentWorld ? multiply(parentWorld, this.matrix) : this.worldMatrix;
    fn(this, world);
    for (const c of this.#children) c.traverseVisible(fn, world);
  }
}

/** A node without drawing of its own: groups children under one transform. */
export class Group extends WorldObject {}

/** The root of what a renderer draws. */
export class Scene extends Group {
  /** Clear colour (linear RGBA). Default [0, 0, 0, 1]. */
  background: readonly [number, number, number, number] = [0, 0, 0, 1];
}

/** Geometry: vertex attributes as Buffers. */
export interface Geometry {
  /** Positions ("3xf4"). Required. */
  positions: Buffer;
  /** Normals ("3xf4"), for lit meshes. Default none (lit meshes then use flat normals from screen derivatives). */
  normals?: Buffer;
  /** Per-vertex colours ("3xf4" or "4xf4", linear), multiplied with the material colour. Default none. */
  colors?: Buffer;
  /** Triangle (mesh) or vertex (line) indices ("u2"/"u4"). Default none: drawn in order. */
  indices?: Buffer;
}

function checkGeometry(what: string, g: Geometry): Geometry {
  if (!g || !(g.positions instanceof Buffer)) throw new InvalidArgumentError(`${what}: geometry.positions must be a Buffer of "3xf4" positions, got ${describe(g?.positions)}`);
  if (g.positions.format !== '3xf4' && g.positions.format !== 'float32x3') {
    throw new InvalidArgumentError(`${what}: geometry.positions must have format "3xf4" (Float32Array, nitems = length / 3), got ${JSON.stringify(g.positions.format)}`);
  }
  for (const k of ['normals', 'colors'] as const) {
    const b = g[k];
    if (b === undefined) continue;
    if (!(b instanceof Buffer)) throw new InvalidArgumentError(`${what}: geometry.${k} must be a Buffer, got ${describe(b)}`);
    const ok = k === 'normals' ? ['3xf4', 'float32x3'] : ['3xf4', '4xf4', 'float32x3', 'float32x4'];
    if (!ok.includes(b.format ?? '')) throw new InvalidArgumentError(`${what}: geometry.${k} must have format ${ok.join(' or ')}, got ${JSON.stringify(b.format)}`);
    if (b.nitems !== g.positions.nitems) throw new InvalidArgumentError(`${what}: geometry.${k} has ${b.nitems} items but positions has ${g.positions.nitems}`);
  }
  if (g.indices !== undefined) {
    if (!(g.indices instanceof Buffer) || !g.indices.indexFormat) {
      throw new InvalidArgumentError(`${what}: geometry.indices must be a Buffer of Uint16Array or Uint32Array indices, got ${describe(g.indices)}`);
    }
  }
  return g;
}

/** An object drawn from geometry with a material. */
export abstract class DrawableObject<M extends Material = Material> extends WorldObject {
  /** The vertex data. */
  geometry: Geometry;
  /** How it looks. */
  material: M;
  constructor(geometry: Geometry, material: M) {
    super();
    this.geometry = checkGeometry(new.target.name, geometry);
    if (!(material instanceof Material)) throw new InvalidArgumentError(`${new.target.name}: material must be a Material, got ${describe(material)}`);
    this.material = material;
  }
}

/** Triangles. Material: MeshBasicMaterial or MeshPhongMaterial. */
export class Mesh extends DrawableObject<MeshBasicMaterial | MeshPhongMaterial> {
  constructor(geometry: Geometry, material: MeshBasicMaterial | MeshPhongMaterial = new MeshBasicMaterial()) {
    super(geometry, material);
    if (material.kind !== 'basic' && material.kind !== 'phong') throw new InvalidArgumentError(`Mesh needs a MeshBasicMaterial or MeshPhongMaterial, got ${(material as Material).constructor.name}`);
  }
}

/** One screen-space point per vertex. Material: PointsMaterial. */
export class Points extends DrawableObject<PointsMaterial> {
  constructor(geometry: Geometry, material: PointsMaterial = new PointsMaterial()) {
    super(geometry, material);
    if (material.kind !== 'points') throw new InvalidArgumentError(`Points needs a PointsMaterial, got ${material.constructor.name}`);
  }
}

/** A polyline or line segments. Material: LineMaterial. */
export class Line extends DrawableObject<LineMaterial> {
  constructor(geometry: Geometry, material: LineMaterial = new LineMaterial()) {
    super(geometry, material);
    if (material.kind !== 'line') throw new InvalidArgumentError(`Line needs a LineMaterial, got ${material.constructor.name}`);
  }
}
