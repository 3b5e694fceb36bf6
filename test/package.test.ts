// The package as users load it: by name, from ESM and from CommonJS (tslab compiles cells to
// CommonJS), and its published types under TypeScript 5.0 with node10 resolution (tslab's
// compiler). Needs the build (`npm test` builds first).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'dawn-rfb'));
});

test('loads by name from CommonJS require', () => {
  const out = execFileSync(process.execPath, ['-e', `
    const m = require('dawn-rfb');
    console.log([typeof m.OffscreenCanvas, typeof m.getDefaultDevice, typeof m.computeWithBuffers].join(','));
  `], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(out.trim()).toBe('function,function,function');
});

test('loads by name from ESM import', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    import { OffscreenCanvas, InvalidArgumentError } from 'dawn-rfb';
    console.log(typeof OffscreenCanvas, new InvalidArgumentError('x') instanceof Error);
  `], { cwd: dir, encoding: 'utf8' });
  expect(out.trim()).toBe('function true');
});

test('published types type-check with the compiler options tslab 1.0.22 uses (TypeScript 5.0, node10)', () => {
  writeFileSync(join(dir, 'cell.ts'), `
    import { OffscreenCanvas, getDefaultDevice, computeWithBuffers, type PointerEvent, type Frame } from 'dawn-rfb';
    async function main(): Promise<number> {
      const device: GPUDevice = await getDefaultDevice();
      const canvas = new OffscreenCanvas({ size: [64, 48], updateMode: 'manual' });
      canvas.getContext().configure({ device });
      canvas.addEventHandler((e) => { const p: PointerEvent = e; void p.buttons; }, 'pointer_down', 'pointer_move');
      const out = await computeWithBuffers({ 0: new Float32Array(4) }, { 1: [Float32Array, 4] as const }, 'x');
      const f: Float32Array = out[1];
      const frame: Frame = await canvas.draw();
      return frame.width + f.length;
    }
    void main;
  `);
  const tsc = join(root, 'node_modules', 'ts50', 'bin', 'tsc');
  const result = (() => {
    try {
      return execFileSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' })
        + execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'esnext', '--moduleResolution', 'node',
          '--target', 'es2022', '--lib', 'es2022', '--skipLibCheck', '--esModuleInterop',
          '--typeRoots', join(root, 'node_modules', '@types'), join(dir, 'cell.ts')],
        { cwd: dir, encoding: 'utf8' });
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? e);
    }
  })();
  expect(result.trim()).toBe('Version 5.0.4');
});
