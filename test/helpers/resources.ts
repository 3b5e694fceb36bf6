// Helpers of the resources suites: a small offscreen scene with an orthographic camera where
// world x, y in [-1, 1] fill the canvas (y up), and quads made of two triangles.
import {
  Buffer, getDefaultDevice, OffscreenCanvas, OrthographicCamera, Renderer, Scene,
  type Frame, type Geometry, type RendererOptions,
} from '../../src/index.js';

export interface TestScene {
  canvas: OffscreenCanvas;
  renderer: Renderer;
  scene: Scene;
  camera: OrthographicCamera;
  draw(): Promise<Frame>;
}

/** A square canvas (rgba8unorm, so blending happens on the stored values) and a scene. */
export async function makeScene(size = 32, options: RendererOptions = {}, format: GPUTextureFormat = 'rgba8unorm'): Promise<TestScene> {
  const device = await getDefaultDevice();
  const canvas = new OffscreenCanvas({ size: [size, size], updateMode: 'manual' });
  canvas.getContext().configure({ device, format });
  const renderer = new Renderer(canvas, options);
  const scene = new Scene();
  const camera = new OrthographicCamera({ height: 2, position: [0, 0, 5] });
  canvas.requestDraw(() => renderer.render(scene, camera));
  return { canvas, renderer, scene, camera, draw: () => canvas.draw() };
}

/** Two triangles covering [x0, x1] x [y0, y1] at depth z (non-indexed: face = vertex / 3). */
export function quad(x0: number, y0: number, x1: number, y1: number, z = 0): Geometry {
  const p = [x0, y0, z, x1, y0, z, x1, y1, z, x0, y0, z, x1, y1, z, x0, y1, z];
  return { positions: new Buffer(new Float32Array(p), { nitems: 6 }) };
}

/** Mean RGBA (0..255) over a frame or a rectangle of it. */
export function meanColor(frame: Frame, x0 = 0, y0 = 0, x1 = frame.width, y1 = frame.height): number[] {
  const sum = [0, 0, 0, 0];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * frame.width + x) * 4;
      for (let c = 0; c < 4; c++) sum[c]! += frame.data[i + c]!;
    }
  }
  const n = (x1 - x0) * (y1 - y0);
  return sum.map((s) => s / n);
}

/** Asserts two colours differ by at most `tol` per channel; returns a message otherwise. */
export function near(actual: readonly number[], expected: readonly number[], tol: number): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]!) <= tol);
}
