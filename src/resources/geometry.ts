// Ready-made geometries (positions, normals, indices as Buffers) for examples and tests.
import { InvalidArgumentError } from '../errors.js';
import { Buffer } from './buffer.js';
import type { Geometry } from './objects.js';

function size(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${name} must be a finite number > 0, got ${String(v)}`);
  return v;
}
function segments(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min || v > 1024) throw new InvalidArgumentError(`${name} must be an integer in ${min}..1024, got ${String(v)}`);
  return v;
}

/** A width x height rectangle in the z = 0 plane, centred on the origin, facing +z (2 triangles, indexed). */
export function planeGeometry(width = 1, height = 1): Geometry {
  const w = size('width', width) / 2;
  const h = size('height', height) / 2;
  return {
    positions: new Buffer(new Float32Array([-w, -h, 0, w, -h, 0, w, h, 0, -w, h, 0]), { nitems: 4 }),
    normals: new Buffer(new Float32Array([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]), { nitems: 4 }),
    indices: new Buffer(new Uint16Array([0, 1, 2, 0, 2, 3])),
  };
}

/** An axis-aligned box centred on the origin, with flat normals (24 vertices, 12 triangles). */
export function boxGeometry(width = 1, height = 1, depth = 1): Geometry {
  const s = [size('width', width) / 2, size('height', height) / 2, size('depth', depth) / 2];
  const pos: number[] = [];
  const nor: number[] = [];
  const idx: number[] = [];
  for (let axis = 0; axis < 3; axis++) {
    for (const sign of [1, -1]) {
      const u = (axis + 1) % 3;
      const v = (axis + 2) % 3;
      const base = pos.length / 3;
      for (const [a, b] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
        const p = [0, 0, 0];
        p[axis] = sign * s[axis]!;
        p[u] = a! * s[u]! * sign;
        p[v] = b! * s[v]!;
        pos.push(...p);
        const n = [0, 0, 0];
        n[axis] = sign;
        nor.push(...n);
      }
      idx.push(base, base + 1, base + 2, base, base + 2, base + 3);
    }
  }
  return {
    positions: new Buffer(new Float32Array(pos), { nitems: pos.length / 3 }),
    normals: new Buffer(new Float32Array(nor), { nitems: nor.length / 3 }),
    indices: new Buffer(new Uint16Array(idx)),
  };
}

/** A UV sphere of `radius` with smooth normals. */
export function sphereGeometry(radius = 1, widthSegments = 32, heightSegments = 16): Geometry {
  const r = size('radius', radius);
  const ws = segments('widthSegments', widthSegments, 3);
  const hs = segments('heightSegments', heightSegments, 2);
  const pos: number[] = [];
  const nor: number[] = [];
  for (let j = 0; j <= hs; j++) {
    const theta = (j / hs) * Math.PI;
    for (let i = 0; i <= ws; i++) {
      const phi = (i / ws) * 2 * Math.PI;
      const n = [Math.sin(theta) * Math.cos(phi), Math.cos(theta), Math.sin(theta) * Math.sin(phi)];
      nor.push(...n);
      pos.push(n[0]! * r, n[1]! * r, n[2]! * r);
    }
  }
  const idx: number[] = [];
  for (let j = 0; j < hs; j++) {
    for (let i = 0; i < ws; i++) {
      const a = j * (ws + 1) + i;
      const b = a + ws + 1;
      if (j > 0) idx.push(a, a + 1, b);
      if (j < hs - 1) idx.push(a + 1, b + 1, b);
    }
  }
  const n = pos.length / 3;
  return {
    positions: new Buffer(new Float32Array(pos), { nitems: n }),
    normals: new Buffer(new Float32Array(nor), { nitems: n }),
    indices: n > 65535 ? new Buffer(new Uint32Array(idx)) : new Buffer(new Uint16Array(idx)),
  };
}
