// The renderer on the software GPU: exact colours, blend formulas, clipping, depth, alpha test,
// weighted and stochastic transparency, render-queue order, cached pipelines and MSAA.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  InvalidArgumentError, Material, setReporter, Mesh, MeshBasicMaterial, OffscreenCanvas, Renderer, type AlphaMode, type Frame,
} from '../src/index.js';
import { pixel, thrown } from './helpers/gpu.js';
import { makeScene, meanColor, near, quad } from './helpers/resources.js';

// Any uncaptured GPU error (an invalid shader, a bad pipeline) fails the test that caused it.
const gpuErrors: string[] = [];
beforeEach(() => { gpuErrors.length = 0; setReporter((context, error) => { gpuErrors.push(`${context}: ${String(error)}`); }); });
afterEach(() => { expect(gpuErrors).toEqual([]); });

const RED = [255, 0, 0, 255];
const GREEN = [0, 255, 0, 255];
const BLUE = [0, 0, 255, 255];

function mesh(geometry = quad(-1, -1, 1, 1), options: ConstructorParameters<typeof MeshBasicMaterial>[0] = {}): Mesh {
  return new Mesh(geometry, new MeshBasicMaterial(options));
}

// Pixel centres of the four quadrants of a 32x32 canvas (image y grows downwards, world y up).
const TL = [8, 8] as const, TR = [24, 8] as const, BL = [8, 24] as const, BR = [24, 24] as const;
const at = (f: Frame, p: readonly [number, number]) => pixel(f, p[0], p[1]);

describe('renderer: opaque, blending, clipping', () => {
  test('an opaque red quad over blue gives exact colours', async () => {
    const s = await makeScene();
    s.scene.background = [0, 0, 1, 1];
    s.scene.add(mesh(quad(-1, -1, 0, 1), { color: [1, 0, 0], alphaMode: 'solid' }));
    const f = await s.draw();
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) expect(pixel(f, x, y), `${x},${y}`).toEqual(x < 16 ? RED : BLUE);
    }
  });

  test('each blended preset matches its formula on known inputs', async () => {
    const B = [0.2, 0.4, 0.6];
    const C = [0.8, 0.6, 0.2];
    const a = 0.5;
    const formulas: Record<string, (c: number, b: number) => number> = {
      solid: (c) => c,
      solid_premul: (c) => c * a,
      auto: (c, b) => c * a + b * (1 - a),
      blend: (c, b) => c * a + b * (1 - a),
      add: (c, b) => c * a + b,
      subtract: (c, b) => b * (1 - c),
      multiply: (c, b) => b * c,
    };
    const s = await makeScene(8);
    s.scene.background = [B[0]!, B[1]!, B[2]!, 1];
    const m = mesh(undefined, { color: [C[0]!, C[1]!, C[2]!, a] });
    s.scene.add(m);
    for (const [mode, f] of Object.entries(formulas)) {
      m.material.alphaMode = mode as AlphaMode;
      const got = pixel(await s.draw(), 4, 4).slice(0, 3);
      const want = C.map((c, i) => Math.round(255 * Math.min(1, Math.max(0, f(c, B[i]!)))));
      expect(near(got, want, 1), `${mode}: got ${got}, want ${want}`).toBe(true);
    }
  });

  test('a clipping plane removes half a quad; ANY vs ALL with two planes', async () => {
    const s = await makeScene();
    const m = mesh(undefined, { color: [1, 0, 0], alphaMode: 'solid', clippingPlanes: [[1, 0, 0, 0]] });
    s.scene.add(m);
    let f = await s.draw();
    expect([at(f, TL), at(f, BL), at(f, TR), at(f, BR)]).toEqual([BLACK(), BLACK(), RED, RED]);
    m.material.clippingPlanes = [[1, 0, 0, 0], [0, 1, 0, 0]]; // clip x < 0, clip y < 0
    f = await s.draw();
    expect([at(f, TL), at(f, BL), at(f, TR), at(f, BR)]).toEqual([BLACK(), BLACK(), RED, BLACK()]);
    m.material.clippingMode = 'ALL'; // only where both clip: bottom-left
    f = await s.draw();
    expect([at(f, TL), at(f, BL), at(f, TR), at(f, BR)]).toEqual([RED, BLACK(), RED, RED]);
  });
});

function BLACK(): number[] {
  return [0, 0, 0, 255];
}

describe('renderer: depth and alpha test', () => {
  test('depth compare and depth write decide which of two quads shows', async () => {
    const s = await makeScene(8);
    const near_ = mesh(quad(-1, -1, 1, 1, 0), { color: [1, 0, 0], alphaMode: 'solid' });
    const far = mesh(quad(-1, -1, 1, 1, -1), { color: [0, 1, 0], alphaMode: 'solid' });
    near_.renderOrder = 0; // drawn first
    far.renderOrder = 1;
    s.scene.add(far, near_);
    expect(pixel(await s.draw(), 4, 4)).toEqual(RED); // far fails "<"
    near_.material.depthWrite = false;
    expect(pixel(await s.draw(), 4, 4)).toEqual(GREEN); // nothing stopped it
    near_.material.depthWrite = undefined; // automatic: solid writes depth
    far.material.depthCompare = '>';
    expect(pixel(await s.draw(), 4, 4)).toEqual(GREEN); // farther passes ">"
    far.material.depthTest = false;
    far.material.depthCompare = '<';
    expect(pixel(await s.draw(), 4, 4)).toEqual(GREEN); // no test at all
  });

  test('alpha test discards fragments by alphaCompare', async () => {
    const s = await makeScene(8);
    s.scene.background = [0, 0, 1, 1];
    const m = mesh(undefined, { color: [1, 0, 0, 0.3], alphaMode: 'solid', alphaTest: 0.5 });
    s.scene.add(m);
    expect(m.material.renderQueue).toBe(2400);
    expect(pixel(await s.draw(), 4, 4)).toEqual(BLUE); // 0.3 < 0.5: discarded
    m.material.alphaTest = 0.2;
    expect(pixel(await s.draw(), 4, 4)).toEqual(RED);
    m.material.alphaCompare = '>';
    expect(pixel(await s.draw(), 4, 4)).toEqual(BLUE); // 0.3 > 0.2: discarded
  });
});

describe('renderer: order-independent and stochastic transparency', () => {
  test('weighted_blend gives the weighted mean in either order; weighted_solid is opaque', async () => {
    const s = await makeScene(8);
    const r = mesh(quad(-1, -1, 1, 1, 0), { color: [1, 0, 0, 0.5], alphaMode: 'weighted_blend' });
    const g = mesh(quad(-1, -1, 1, 1, -0.5), { color: [0, 1, 0, 0.5], alphaMode: 'weighted_blend' });
    s.scene.add(r, g);
    // accum = (0.25, 0.25, 0, 0.5), reveal = 0.25: colour (0.5, 0.5, 0) with coverage 0.75 over black.
    const expected = [0.375 * 255, 0.375 * 255, 0];
    const first = meanColor(await s.draw());
    expect(near(first.slice(0, 3), expected, 3), `got ${first}`).toBe(true);
    r.position = [0, 0, -1]; // now behind the green one: the same mean
    const second = meanColor(await s.draw());
    expect(near(second, first, 1), `got ${second} then ${first}`).toBe(true);
    expect(s.renderer.stats().drawOrder.length).toBe(2);
    s.scene.remove(g);
    s.scene.background = [0, 0, 1, 1];
    r.material.alphaMode = 'weighted_solid';
    expect(near(meanColor(await s.draw()), RED, 1)).toBe(true);
  });

  test('weighted transparency with MSAA resolves to the same mean', async () => {
    const s = await makeScene(8, { sampleCount: 4 });
    s.scene.add(
      mesh(quad(-1, -1, 1, 1, 0), { color: [1, 0, 0, 0.5], alphaMode: 'weighted_blend' }),
      mesh(quad(-1, -1, 1, 1, -0.5), { color: [0, 1, 0, 0.5], alphaMode: 'weighted_blend' }),
    );
    const mean = meanColor(await s.draw());
    expect(near(mean.slice(0, 3), [0.375 * 255, 0.375 * 255, 0], 3), `got ${mean}`).toBe(true);
  });

  test('alphaConfig gives full control; a config equal to a preset reports its name', async () => {
    const s = await makeScene(8);
    s.scene.background = [0.5, 0.5, 0.5, 1];
    const m = mesh(undefined, { color: [1, 0, 0, 1], alphaConfig: { method: 'blended', colorSrc: 'one', colorDst: 'one' } });
    s.scene.add(m);
    expect(m.material.alphaMode).toBe('custom');
    expect(m.material.alphaMethod).toBe('blended');
    expect(m.material.depthWrite).toBe(false);
    expect(m.material.renderQueue).toBe(3000);
    const got = pixel(await s.draw(), 4, 4);
    expect(near(got, [255, 128, 128, 255], 1), `got ${got}`).toBe(true); // src + dst, clamped
    m.material.alphaConfig = { method: 'blended', colorSrc: 'src-alpha', colorDst: 'one' };
    expect(m.material.alphaMode).toBe('add');
    m.material.alphaConfig = { method: 'stochastic', pattern: 'bayer' }; // seed defaults to "object": the preset
    expect(m.material.alphaConfig).toMatchObject({ mode: 'bayer', seed: 'object' });
    m.material.alphaConfig = { method: 'stochastic', pattern: 'bayer', seed: 'screen' };
    expect(m.material.alphaMode).toBe('custom');
    // The setter takes the getter's type (TypeScript 5.0 needs that), but "custom" names no preset.
    const config = m.material.alphaConfig;
    expect(thrown(() => { m.material.alphaMode = m.material.alphaMode; })).toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/alphaMode "custom" cannot be set.*set alphaConfig instead/) });
    expect(m.material.alphaConfig).toEqual(config);
  });

  test('bayer and dither cover the expected fraction of pixels', async () => {
    const s = await makeScene(64);
    s.scene.background = [0, 0, 1, 1];
    const m = mesh(undefined, { color: [1, 0, 0, 0.25], alphaMode: 'bayer' });
    s.scene.add(m);
    let mean = meanColor(await s.draw());
    expect(mean[0]).toBeCloseTo(0.25 * 255, 5); // exactly 16 of every 64 pixels
    expect(mean[2]).toBeCloseTo(0.75 * 255, 5);
    m.material.alphaMode = 'dither';
    m.material.opacity = 0.6; // alpha 0.15
    mean = meanColor(await s.draw());
    expect(Math.abs(mean[0]! / 255 - 0.15), `dither red ${mean[0]}`).toBeLessThan(0.03);
    expect(m.material.depthWrite).toBe(true);
    expect(m.material.renderQueue).toBe(2400);
  });
});

describe('renderer: queues, pipelines, MSAA, errors', () => {
  test('objects draw in render-queue order, then back to front for transparent queues', async () => {
    const s = await makeScene(8);
    const overlay = mesh(undefined, { color: [1, 0, 0], alphaMode: 'solid', depthTest: false, renderQueue: 4000 });
    const opaque = mesh(undefined, { color: [0, 1, 0], alphaMode: 'solid', depthTest: false });
    s.scene.add(overlay, opaque); // added first, drawn last
    expect(pixel(await s.draw(), 4, 4)).toEqual(RED);
    expect(s.renderer.stats().drawOrder).toEqual([opaque, overlay]);
    overlay.material.renderQueue = 1000; // background queue: drawn first, covered
    expect(pixel(await s.draw(), 4, 4)).toEqual(GREEN);
    // Queue 3000 (blend) sorts back to front: the nearer quad is drawn last, whatever the scene order.
    const nearQ = mesh(quad(-1, -1, 1, 1, 0.5), { alphaMode: 'blend' });
    const farQ = mesh(quad(-1, -1, 1, 1, -0.5), { alphaMode: 'blend' });
    s.scene.add(nearQ, farQ);
    await s.draw();
    expect(s.renderer.stats().drawOrder.slice(-2)).toEqual([farQ, nearQ]);
    // Queue 2000 sorts front to back.
    const o1 = mesh(quad(-1, -1, 1, 1, -0.5), { alphaMode: 'solid' });
    const o2 = mesh(quad(-1, -1, 1, 1, 0.5), { alphaMode: 'solid' });
    s.scene.add(o1, o2);
    await s.draw();
    const order = s.renderer.stats().drawOrder;
    expect(order.indexOf(o2)).toBeLessThan(order.indexOf(o1));
  });

  test('cheap properties change without new pipelines; pipeline state adds one', async () => {
    const s = await makeScene(8);
    const m = mesh(undefined, { color: [1, 0, 0], alphaMode: 'solid' });
    s.scene.add(m);
    await s.draw();
    const created = s.renderer.stats().pipelinesCreated;
    m.material.color = [0, 1, 0];
    m.material.opacity = 0.5;
    m.material.clippingPlanes = [[0, 1, 0, 2]];
    m.material.alphaTest = 0.1;
    expect(pixel(await s.draw(), 4, 4)).toEqual(GREEN);
    expect(s.renderer.stats().pipelinesCreated).toBe(created);
    expect(m.material.uniformBuffer.lastWrites).toEqual([{ offset: 0, size: 176 }]); // one write: the whole struct is one chunk
    m.material.alphaMode = 'blend';
    await s.draw();
    expect(s.renderer.stats().pipelinesCreated).toBe(created + 1);
    m.material.alphaMode = 'solid'; // back to a cached state
    await s.draw();
    expect(s.renderer.stats().pipelinesCreated).toBe(created + 1);
  });

  test('MSAA keeps interior colours exact and blends the edge', async () => {
    const s = await makeScene(16, { sampleCount: 4 });
    s.scene.background = [0, 0, 1, 1];
    s.scene.add(new Mesh(
      { positions: quad(-1, -1, 1, 1).positions },
      new MeshBasicMaterial({ color: [1, 0, 0], alphaMode: 'solid' }),
    ));
    // A triangle whose diagonal edge crosses pixel centres: some edge pixel is a mix.
    s.scene.add(mesh({ positions: new (await import('../src/index.js')).Buffer(new Float32Array([-1, -1, 0.1, 1, -1, 0.1, -1, 1, 0.1]), { nitems: 3 }) }, { color: [0, 1, 0], alphaMode: 'solid' }));
    const f = await s.draw();
    expect(pixel(f, 2, 13)).toEqual(GREEN);
    expect(pixel(f, 13, 2)).toEqual(RED);
    // Pixel centres (x, x) lie on the edge x + y = 0 (world): half their samples are green.
    const mixed = Array.from({ length: 16 }, (_, x) => pixel(f, x, x)).filter((p) => p[0]! > 0 && p[1]! > 0);
    expect(mixed.length).toBeGreaterThan(0);
  });

  test('the renderer follows a canvas reconfigured to another format (sRGB here)', async () => {
    const s = await makeScene(8);
    s.scene.background = [0.5, 0.5, 0.5, 1];
    s.scene.add(mesh(quad(-1, -1, 0, 1), { color: [0.5, 0, 0], alphaMode: 'solid' }));
    expect(pixel(await s.draw(), 2, 2)).toEqual([128, 0, 0, 255]);
    s.canvas.getContext().configure({ device: s.renderer.device, format: 'rgba8unorm-srgb' });
    const f = await s.draw();
    // Linear 0.5 is sRGB 187.5: the GPU rounds either way.
    expect(near(pixel(f, 2, 2), [188, 0, 0, 255], 1), `got ${pixel(f, 2, 2)}`).toBe(true);
    expect(near(pixel(f, 6, 2), [188, 188, 188, 255], 1), `got ${pixel(f, 6, 2)}`).toBe(true);
  });

  test('bad input gives clear errors', async () => {
    expect(thrown(() => new MeshBasicMaterial({ alphaMode: 'glass' as AlphaMode }))).toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/unknown alphaMode "glass"; allowed: solid, solid_premul, auto/) });
    expect(thrown(() => new MeshBasicMaterial({ renderQueue: 5000 }))).toMatchObject({ message: expect.stringMatching(/renderQueue must be an integer in 1..4999/) });
    expect(thrown(() => new MeshBasicMaterial({ renderQueue: 0 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => new MeshBasicMaterial({ opacity: 2 }))).toMatchObject({ message: expect.stringMatching(/opacity must be a number in 0..1/) });
    expect(thrown(() => new MeshBasicMaterial({ depthCompare: '=<' as '<' }))).toMatchObject({ message: expect.stringMatching(/depthCompare must be one of < <= == != >= >/) });
    expect(thrown(() => new MeshBasicMaterial({ clippingPlanes: [[1, 0, 0]] as never }))).toMatchObject({ message: expect.stringMatching(/\[a, b, c, d\]/) });
    expect(thrown(() => new MeshBasicMaterial({ alphaConfig: { method: 'blended' } }))).toMatchObject({ message: expect.stringMatching(/needs colorSrc and colorDst/) });
    expect(thrown(() => new Renderer(new OffscreenCanvas({ size: [4, 4] })))).toMatchObject({ message: expect.stringMatching(/configure the canvas first/) });
    expect(thrown(() => new Mesh({ positions: quad(0, 0, 1, 1).positions, indices: quad(0, 0, 1, 1).positions }))).toMatchObject({ message: expect.stringMatching(/indices must be a Buffer of Uint16Array or Uint32Array/) });
    expect(Material).toBeTypeOf('function');
  });
});
