// Reading the pick texture: one texel (object pick id, primitive index) read by a tiny compute
// shader (it also works on multisampled textures, which cannot be copied), then turned into an
// answer: which object, and which point, face, segment or vertex.
import { readBuffer } from '../gpu/buffers.js';
import { InvalidArgumentError } from '../errors.js';
import { bytesOf } from './format.js';
import { invert, multiply, sub, cross, dot, transformPoint, type Mat4, type Vec3 } from './mat4.js';
import type { DrawableObject } from './objects.js';
import { pickReadWgsl } from './wgsl.js';
import { BufferUsage, ShaderStage } from './usage.js';

/** What is under a pixel. */
export interface PickInfo {
  /** The object drawn there (one with `material.pickWrite`). */
  object: DrawableObject;
  /** Points: the point's index. */
  pointIndex?: number;
  /** Meshes: the triangle's index (for indexed meshes when it can be resolved from the index data). */
  faceIndex?: number;
  /** Meshes: the triangle's vertex indices. Lines: the segment's vertex indices. */
  vertexIndices?: number[];
  /** Lines: the segment's index. */
  segmentIndex?: number;
  /** The vertex nearest to the pointer among those of the picked primitive (the point itself for points). */
  vertexIndex: number;
}

const readers = new WeakMap<GPUDevice, Map<boolean, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>>();

function reader(device: GPUDevice, multisampled: boolean): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
  let byKind = readers.get(device);
  if (!byKind) readers.set(device, (byKind = new Map()));
  let r = byKind.get(multisampled);
  if (!r) {
    const layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: ShaderStage.COMPUTE, texture: { sampleType: 'uint', multisampled } },
        { binding: 1, visibility: ShaderStage.COMPUTE, buffer: { type: 'storage' } },
        { binding: 2, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform' } },
      ],
    });
    const module = device.createShaderModule({ label: 'dawn-rfb pick read', code: pickReadWgsl(multisampled) });
    const pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main' } });
    byKind.set(multisampled, (r = { pipeline, layout }));
  }
  return r;
}

/** Reads the texel at physical (px, py) and resolves it against the drawn items. */
export async function pickAt(device: GPUDevice, texture: GPUTexture, multisampled: boolean, px: number, py: number,
  items: { object: DrawableObject; world: Mat4 }[], viewProj: Mat4): Promise<PickInfo | undefined> {
  if (typeof px !== 'number' || typeof py !== 'number' || !Number.isFinite(px) || !Number.isFinite(py)) {
    throw new InvalidArgumentError(`pick: x and y must be finite numbers (logical pixels), got ${px}, ${py}`);
  }
  const x = Math.floor(px);
  const y = Math.floor(py);
  if (x < 0 || y < 0 || x >= texture.width || y >= texture.height) return undefined;
  const { pipeline, layout } = reader(device, multisampled);
  const result = device.createBuffer({ size: 16, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
  const at = device.createBuffer({ size: 16, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  device.queue.writeBuffer(at, 0, new Uint32Array([x, y, 0, 0]));
  const encoder = device.createCommandEncoder({ label: 'dawn-rfb pick' });
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({
    layout,
    entries: [{ binding: 0, resource: texture.createView() }, { binding: 1, resource: { buffer: result } }, { binding: 2, resource: { buffer: at } }],
  }));
  pass.dispatchWorkgroups(1);
  pass.end();
  device.queue.submit([encoder.finish()]);
  const texel = new Uint32Array((await readBuffer(result)).buffer, 0, 4);
  result.destroy();
  at.destroy();
  if (texel[3] === 0 || texel[0] === 0) return undefined;
  const item = items[texel[0]! - 1];
  if (!item) return undefined;
  const index = texel[1]! | (texel[2]! << 16);
  return describePick(item.object, item.world, index >>> 0, x, y, texture.width, texture.height, viewProj);
}

function describePick(object: DrawableObject, world: Mat4, index: number, x: number, y: number, w: number, h: number, viewProj: Mat4): PickInfo {
  const g = object.geometry;
  const kind = object.material.kind;
  const indices = g.indices?.data ? indexArray(g.indices.data) : undefined;
  const pd = g.positions.data;
  const positions = pd instanceof Float32Array ? pd : pd ? new Float32Array(bytesOf(pd).slice().buffer) : undefined;
  const ray = pixelRay(multiply(viewProj, world), x, y, w, h);
  if (kind === 'points') return { object, pointIndex: index, vertexIndex: index };
  if (kind === 'line') {
    const mode = (object.material as unknown as { mode: string }).mode;
    // Non-indexed: `index` is the segment; indexed: the provoking (first) vertex of the segment.
    if (!g.indices) {
      const v0 = mode === 'segments' ? index * 2 : index;
      return { object, segmentIndex: index, vertexIndices: [v0, v0 + 1], vertexIndex: nearest([v0, v0 + 1], positions, ray) };
    }
    return { object, vertexIndex: index };
  }
  let face: number | undefined;
  if (!g.indices) face = index;
  else if (indices && positions) face = resolveFace(index, indices, positions, ray);
  if (face === undefined) return { object, vertexIndex: index };
  const verts = indices ? [indices[face * 3]!, indices[face * 3 + 1]!, indices[face * 3 + 2]!] : [face * 3, face * 3 + 1, face * 3 + 2];
  return { object, faceIndex: face, vertexIndices: verts, vertexIndex: nearest(verts, positions, ray) };
}

function indexArray(data: ArrayBufferView | ArrayBuffer): Uint16Array | Uint32Array {
  if (data instanceof Uint16Array || data instanceof Uint32Array) return data;
  const b = bytesOf(data);
  return new Uint32Array(b.slice().buffer);
}

interface Ray { origin: Vec3; dir: Vec3 }

/** The ray through a pixel centre, in the object's local space. */
function pixelRay(mvp: Mat4, x: number, y: number, w: number, h: number): Ray {
  const inv = invert(mvp);
  const nx = ((x + 0.5) / w) * 2 - 1;
  const ny = 1 - ((y + 0.5) / h) * 2;
  const a = transformPoint(inv, [nx, ny, 0]);
  const b = transformPoint(inv, [nx, ny, 1]);
  return { origin: a, dir: sub(b, a) };
}

function vertex(p: Float32Array, i: number): Vec3 {
  return [p[i * 3]!, p[i * 3 + 1]!, p[i * 3 + 2]!];
}

/** Among the faces whose first (provoking) vertex is `v`, the nearest one the ray hits. */
function resolveFace(v: number, indices: Uint16Array | Uint32Array, p: Float32Array, ray: Ray): number | undefined {
  let best: number | undefined;
  let bestT = Infinity;
  let fallback: number | undefined;
  for (let f = 0; f * 3 + 2 < indices.length; f++) {
    if (indices[f * 3] !== v) continue;
    fallback ??= f;
    const t = intersect(ray, vertex(p, v), vertex(p, indices[f * 3 + 1]!), vertex(p, indices[f * 3 + 2]!));
    if (t !== undefined && t < bestT) {
      bestT = t;
      best = f;
    }
  }
  return best ?? fallback;
}

/** Möller-Trumbore ray/triangle intersection with a small tolerance at the edges. */
function intersect(ray: Ray, a: Vec3, b: Vec3, c: Vec3): number | undefined {
  const e1 = sub(b, a);
  const e2 = sub(c, a);
  const pv = cross(ray.dir, e2);
  const det = dot(e1, pv);
  if (Math.abs(det) < 1e-12) return undefined;
  const tv = sub(ray.origin, a);
  const u = dot(tv, pv) / det;
  const qv = cross(tv, e1);
  const v = dot(ray.dir, qv) / det;
  const eps = 1e-3;
  if (u < -eps || v < -eps || u + v > 1 + eps) return undefined;
  return dot(e2, qv) / det;
}

/** The vertex nearest to the ray, of the given ones. */
function nearest(verts: number[], p: Float32Array | undefined, ray: Ray): number {
  if (!p) return verts[0]!;
  let best = verts[0]!;
  let bestD = Infinity;
  const len = Math.hypot(...ray.dir) || 1;
  for (const i of verts) {
    const d = Math.hypot(...cross(sub(vertex(p, i), ray.origin), ray.dir)) / len;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}
