// Every options object of the public API rejects an option it does not know, through the one
// shared check (src/options-check.ts), naming the closest valid option and the allowed names:
// a typo such as `{ sise: [320, 200] }` must not silently give the default.
import { describe, expect, it } from 'vitest';
import {
  Buffer, checkBaseline, compareImages, computeWithBuffers, DataBuffer, encodeFrame, encodeFrameParts, enumerateAdapters,
  IndexBuffer, InvalidArgumentError, LineMaterial, MeshBasicMaterial, MeshPhongMaterial, OffscreenCanvas, OrbitController,
  OrthographicCamera, PerspectiveCamera, PointsMaterial, RemoteCanvas, Renderer, requestAdapter, requestDevice, testNotebooks,
  VertexBuffer, getServer,
} from '../src/index.js';
import { closestName } from '../src/options-check.js';
import { toMatchImageSnapshot } from '../src/testing/vitest.js';

/** Calls fn (awaiting a promise) and returns what it threw. */
async function thrown(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** Expects fn to throw the unknown-option error for `what`, suggesting `near`, listing `allowed`. */
async function expectUnknown(fn: () => unknown, what: string, typo: string, near: string | undefined, allowed: string[]): Promise<void> {
  const e = await thrown(fn);
  expect(e).toBeInstanceOf(InvalidArgumentError);
  const suggestion = near === undefined ? '; ' : `; did you mean '${near}'? `;
  expect(e.message).toContain(`unknown ${what} option '${typo}'${suggestion}allowed: `);
  for (const name of allowed) expect(e.message).toMatch(new RegExp(`allowed: .*\\b${name}\\b`));
}

const pixels = { width: 2, height: 2, data: new Uint8Array(16) };

describe('the shared unknown-option check', () => {
  it('suggests the closest name for plausible typos only', () => {
    const names = ['size', 'pixelRatio', 'title', 'updateMode', 'minFps', 'maxFps'];
    expect(closestName('sise', names)).toBe('size');
    expect(closestName('pixelratio', names)).toBe('pixelRatio');
    expect(closestName('maxfps', names)).toBe('maxFps');
    expect(closestName('updatemod', names)).toBe('updateMode');
    expect(closestName('colour', names)).toBeUndefined();
    expect(closestName('backends', ['backend', 'powerPreference'])).toBe('backend');
    expect(closestName('treshold', ['threshold', 'mask'])).toBe('threshold');
  });

  it('lists several unknown options at once', async () => {
    const e = await thrown(() => new OffscreenCanvas({ sise: [1, 1], colour: 1 } as never));
    expect(e.message).toBe("unknown OffscreenCanvas options 'sise' (did you mean 'size'?), 'colour'; allowed: size, pixelRatio, title, updateMode, minFps, maxFps");
  });

  it('counts a key set to undefined (a typo is a typo) and accepts every valid name', async () => {
    await expectUnknown(() => new OffscreenCanvas({ sise: undefined } as never), 'OffscreenCanvas', 'sise', 'size', ['size']);
    const c = new OffscreenCanvas({ size: [2, 2], pixelRatio: 1, title: 't', updateMode: 'manual', minFps: 0, maxFps: 30 });
    c.close();
  });
});

describe('every public options object', () => {
  it('gpu: requestAdapter, requestDevice, enumerateAdapters, computeWithBuffers', async () => {
    await expectUnknown(() => requestAdapter({ backends: 'vulkan' } as never), 'requestAdapter', 'backends', 'backend', ['backend', 'featureLevel']);
    await expectUnknown(() => requestDevice({ backends: 'vulkan' } as never), 'requestDevice', 'backends', 'backend', ['backend', 'requiredLimits']);
    await expectUnknown(() => requestDevice({ lable: 'x' } as never), 'requestDevice', 'lable', 'label', ['label']);
    await expectUnknown(() => enumerateAdapters({ backends: 'vulkan' } as never), 'enumerateAdapters', 'backends', 'backend', ['backend']);
    await expectUnknown(() => computeWithBuffers({}, { 0: 4 }, '@compute @workgroup_size(1) fn main() {}', 1, { entrypoint: 'main' } as never),
      'computeWithBuffers', 'entrypoint', 'entryPoint', ['device', 'entryPoint']);
  });

  it('canvas: OffscreenCanvas, RemoteCanvas (and its server), setUpdateMode', async () => {
    await expectUnknown(() => new OffscreenCanvas({ sise: [320, 200] } as never), 'OffscreenCanvas', 'sise', 'size', ['size', 'maxFps']);
    await expectUnknown(() => new RemoteCanvas({ qualty: 80 } as never), 'RemoteCanvas', 'qualty', 'quality', ['quality', 'size', 'server']);
    await expectUnknown(() => new RemoteCanvas({ server: { prot: 1 } } as never), 'server', 'prot', 'port', ['host', 'port']);
    await expectUnknown(() => getServer({ hots: 'x' } as never), 'server', 'hots', 'host', ['host', 'port']);
    const c = new OffscreenCanvas({ size: [2, 2] });
    await expectUnknown(() => c.setUpdateMode('ondemand', { maxfps: 10 } as never), 'setUpdateMode rate', 'maxfps', 'maxFps', ['minFps', 'maxFps']);
    c.close();
  });

  it('remote: encodeFrame, encodeFrameParts', async () => {
    await expectUnknown(() => encodeFrame(pixels, { qualty: 80 } as never), 'encodeFrame', 'qualty', 'quality', ['format', 'scale']);
    await expectUnknown(() => encodeFrameParts(pixels, { part: 2 } as never), 'encodeFrameParts', 'part', 'parts', ['parts', 'format']);
  });

  it('resources: Renderer, Buffer, gloo buffers, materials, cameras, OrbitController', async () => {
    const c = new OffscreenCanvas({ size: [2, 2] });
    await expectUnknown(() => new Renderer(c, { samples: 4 } as never), 'Renderer', 'samples', undefined, ['sampleCount', 'picking']);
    await expectUnknown(() => new Renderer(c, { sampleCont: 4 } as never), 'Renderer', 'sampleCont', 'sampleCount', ['sampleCount']);
    await expectUnknown(() => new Buffer(new Float32Array(4), { lable: 'x' } as never), 'Buffer', 'lable', 'label', ['nbytes', 'label']);
    await expectUnknown(() => new DataBuffer(new Float32Array(4), { fromat: 'f4' } as never), 'DataBuffer', 'fromat', 'format', ['format', 'usage']);
    await expectUnknown(() => new VertexBuffer(new Float32Array(4), { divsor: 1 } as never), 'VertexBuffer', 'divsor', 'divisor', ['divisor', 'format']);
    await expectUnknown(() => new IndexBuffer(new Uint16Array(4), { usgae: 0 } as never), 'IndexBuffer', 'usgae', 'usage', ['usage']);
    const gloo = new DataBuffer(new Float32Array(4));
    await expectUnknown(() => gloo.setData(new Float32Array(4), { cpy: true } as never), 'setData', 'cpy', 'copy', ['copy']);
    await expectUnknown(() => gloo.setSubdata(new Float32Array(1), { ofset: 1 } as never), 'setSubdata', 'ofset', 'offset', ['copy', 'offset']);
    await expectUnknown(() => new MeshBasicMaterial({ colour: [1, 0, 0, 1] } as never), 'MeshBasicMaterial', 'colour', 'color', ['color', 'opacity']);
    await expectUnknown(() => new MeshPhongMaterial({ shinyness: 3 } as never), 'MeshPhongMaterial', 'shinyness', 'shininess', ['shininess', 'color']);
    await expectUnknown(() => new PointsMaterial({ sise: 3 } as never), 'PointsMaterial', 'sise', 'size', ['size', 'round']);
    await expectUnknown(() => new LineMaterial({ mod: 'strip' } as never), 'LineMaterial', 'mod', 'mode', ['mode']);
    await expectUnknown(() => new PerspectiveCamera({ fovy: 40 } as never), 'PerspectiveCamera', 'fovy', 'fov', ['fov', 'near']);
    await expectUnknown(() => new OrthographicCamera({ heigth: 2 } as never), 'OrthographicCamera', 'heigth', 'height', ['height', 'far']);
    await expectUnknown(() => new OrbitController(new PerspectiveCamera(), c, { zoomfactor: 2 } as never), 'OrbitController', 'zoomfactor', 'zoomFactor', ['rotateSpeed']);
    c.close();
  });

  it('testing: compareImages, checkBaseline, toMatchImageSnapshot, testNotebooks', async () => {
    await expectUnknown(() => compareImages(pixels, pixels, { treshold: 0.5 } as never), 'compare', 'treshold', 'threshold', ['threshold', 'mask']);
    await expectUnknown(() => checkBaseline(pixels, { baselinePath: 'x', resultsDir: 'y', artifactName: 'z', mode: 'none', comapre: {} } as never),
      'checkBaseline', 'comapre', 'compare', ['compare', 'mode']);
    await expectUnknown(() => toMatchImageSnapshot.call({ isNot: false, testPath: '/tmp/x.test.ts' }, pixels, { treshold: 0.5 } as never),
      'toMatchImageSnapshot', 'treshold', 'threshold', ['threshold', 'name', 'baselineDir']);
    await expectUnknown(() => testNotebooks(['x.ipynb'], { updat: 'all' } as never), 'testNotebooks', 'updat', 'update', ['update', 'jobs']);
  });
});
