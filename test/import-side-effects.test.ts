// Importing dawn-rfb changes nothing global (rendercanvas's test_meta.py checks the same of its
// imports): no WebGPU globals defined, no prototype patched, no environment variable written.
// Defining the globals is an explicit step (installWebGpuGlobals, also taken by requestAdapter).
// Runs the built package (dist/) in a fresh Node process, as a user's script would.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';

const entry = resolve(import.meta.dirname, '..', 'dist', 'index.js');

/** Runs an ES module body in a fresh process and returns what it printed, parsed as JSON. */
function runModule(body: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', env: { ...process.env } });
  return JSON.parse(out) as Record<string, unknown>;
}

// Dependencies are loaded first: what they do on import (sharp sets VIPSHOME) is theirs.
const PROBE = `
  import { globals } from 'webgpu';
  import 'sharp';
  import 'ws';
  const TRACKS = Symbol.for('dawn-rfb.tracksOwners');
  const probe = () => ({
    globals: Object.getOwnPropertyNames(globalThis).sort(),
    patched: globals.GPUDevice.prototype[TRACKS] === true,
    createBuffer: globals.GPUDevice.prototype.createBuffer.toString().length,
    env: { ...process.env },
  });
`;

test('importing the package defines no globals, patches no prototype and writes no environment', () => {
  const r = runModule(`${PROBE}
    const before = probe();
    const m = await import(${JSON.stringify(entry)});
    const after = probe();
    console.log(JSON.stringify({ before, after, exports: Object.keys(m).length }));
  `);
  const { before, after } = r as { before: Record<string, unknown>; after: Record<string, unknown> };
  expect(r.exports).toBeGreaterThan(50);
  expect(before.globals).not.toContain('GPUBufferUsage');
  expect(after).toEqual(before);
});

test('installWebGpuGlobals defines the missing WebGPU globals and tracks buffer owners, once', () => {
  const r = runModule(`${PROBE}
    const m = await import(${JSON.stringify(entry)});
    globalThis.GPUMapMode = 'mine'; // an existing global is never replaced
    const before = probe();
    m.installWebGpuGlobals();
    m.installWebGpuGlobals();
    const after = probe();
    console.log(JSON.stringify({
      added: after.globals.filter((g) => !before.globals.includes(g)),
      patched: after.patched,
      mapMode: globalThis.GPUMapMode,
      copyDst: globalThis.GPUBufferUsage.COPY_DST,
    }));
  `);
  expect(r.added).toEqual(expect.arrayContaining(['GPUBufferUsage', 'GPUTextureUsage', 'GPUShaderStage', 'GPUDevice']));
  expect(r.added).not.toContain('GPUMapMode');
  expect(r.mapMode).toBe('mine');
  expect(r.copyDst).toBe(8);
  expect(r.patched).toBe(true);
});
