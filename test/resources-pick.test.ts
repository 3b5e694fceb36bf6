// Picking (object id and primitive index written in the same pass) and live buffer updates,
// on the software GPU, with and without MSAA.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  Buffer, Line, LineMaterial, Mesh, MeshBasicMaterial, planeGeometry, Points, PointsMaterial, setReporter,
} from '../src/index.js';
import { pixel } from './helpers/gpu.js';
import { makeScene, quad } from './helpers/resources.js';

const gpuErrors: string[] = [];
beforeEach(() => { gpuErrors.length = 0; setReporter((context, error) => { gpuErrors.push(`${context}: ${String(error)}`); }); });
afterEach(() => { expect(gpuErrors).toEqual([]); });

// World (x, y) in [-1, 1] maps to pixel ((x + 1) * 16, (1 - y) * 16) on the 32x32 canvas.
async function pickScene(sampleCount: 1 | 4) {
  const s = await makeScene(32, { sampleCount });
  const plane = new Mesh(planeGeometry(0.8, 0.8), new MeshBasicMaterial({ color: [1, 0, 0], pickWrite: true }));
  plane.position = [-0.5, 0.5, 0]; // indexed: faces 0 (lower right) and 1 (upper left)
  const tris = new Mesh(quad(-0.9, -0.9, -0.1, -0.1), new MeshBasicMaterial({ color: [0, 1, 0], pickWrite: true }));
  const positions = new Float32Array([0.3, 0.5, 0, 0.5, 0.5, 0, 0.7, 0.5, 0]);
  const points = new Points({ positions: new Buffer(positions, { nitems: 3 }) }, new PointsMaterial({ size: 3, pickWrite: true }));
  const line = new Line(
    { positions: new Buffer(new Float32Array([0.2, -0.53125, 0, 0.9, -0.53125, 0, 0.2, -0.71875, 0, 0.9, -0.71875, 0]), { nitems: 4 }) },
    new LineMaterial({ mode: 'segments', color: [1, 1, 0], pickWrite: true }),
  );
  const hidden = new Mesh(quad(0.1, 0.1, 0.9, 0.3), new MeshBasicMaterial({ color: [0, 0, 1] })); // pickWrite false
  s.scene.add(plane, tris, points, line, hidden);
  return { s, plane, tris, points, line, positions };
}

describe('picking', () => {
  for (const sampleCount of [1, 4] as const) {
    test(`pick(x, y) answers object and face, point or segment (sampleCount ${sampleCount})`, async () => {
      const { s, plane, tris, points, line } = await pickScene(sampleCount);
      await s.draw();
      const r = s.renderer;
      expect(await r.pick(11, 11)).toMatchObject({ object: plane, faceIndex: 0, vertexIndices: [0, 1, 2] });
      expect(await r.pick(4, 4)).toMatchObject({ object: plane, faceIndex: 1, vertexIndices: [0, 2, 3], vertexIndex: 3 });
      expect(await r.pick(12, 22)).toMatchObject({ object: tris, faceIndex: 0, vertexIndices: [0, 1, 2] });
      expect(await r.pick(4, 20)).toMatchObject({ object: tris, faceIndex: 1, vertexIndices: [3, 4, 5] });
      expect(await r.pick(24, 8)).toMatchObject({ object: points, pointIndex: 1 });
      expect(await r.pick(27, 8)).toMatchObject({ object: points, pointIndex: 2 });
      expect(await r.pick(25, 24)).toMatchObject({ object: line, segmentIndex: 0, vertexIndices: [0, 1] });
      expect(await r.pick(25, 27)).toMatchObject({ object: line, segmentIndex: 1, vertexIndices: [2, 3] });
      expect(await r.pick(20, 12)).toBeUndefined(); // drawn, but pickWrite is false
      expect(await r.pick(16, 2)).toBeUndefined();  // background
      expect(await r.pick(-1, 5)).toBeUndefined();  // outside
      expect(await r.pick(40, 5)).toBeUndefined();
    });
  }

  test('updating a slice of a buffer moves what is drawn and picked, uploading one chunk', async () => {
    const { s, points, positions } = await pickScene(1);
    let f = await s.draw();
    expect(pixel(f, 24, 19)).toEqual([0, 0, 0, 255]);
    positions.set([0.5, -0.2, 0], 3); // move point 1 down
    points.geometry.positions.updateRange(1, 1);
    f = await s.draw();
    expect(points.geometry.positions.lastWrites).toEqual([{ offset: 0, size: 36 }]);
    expect(pixel(f, 24, 19)).toEqual([255, 255, 255, 255]);
    expect(pixel(f, 24, 8)).toEqual([0, 0, 0, 255]);
    expect(await s.renderer.pick(24, 19)).toMatchObject({ object: points, pointIndex: 1 });
    points.geometry.positions.setDrawRange(0, 1); // only point 0 drawn now
    f = await s.draw();
    expect(pixel(f, 24, 19)).toEqual([0, 0, 0, 255]);
  });
});
