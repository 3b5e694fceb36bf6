// The package as users get it: the tarball `npm pack` makes, unpacked into a fresh consumer project
// that has only dawn-rfb's runtime dependencies (and @types/node, as any Node project in
// TypeScript does; not @types/ws, a development dependency of ours). It loads by name from ESM and
// from CommonJS (tslab compiles cells to CommonJS); its published types compile under TypeScript
// 5.0 (tslab's compiler), 5.9 and 7, strict, with and without skipLibCheck, with the default DOM
// lib and without it; its source maps name only sources they carry; it ships no docs. Needs the
// build (`npm test` builds first).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
let dir: string;
let files: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-consumer-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' })) as [{ filename: string; files: { path: string }[] }];
  files = packed[0].files.map((f) => f.path);
  const unpacked = join(dir, 'node_modules', 'dawn-rfb');
  mkdirSync(unpacked, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, packed[0].filename), '-C', unpacked, '--strip-components=1']);
  // The runtime dependencies, as `npm install dawn-rfb` would put them next to it.
  for (const name of [...Object.keys(pkg.dependencies), '@types/node']) {
    mkdirSync(join(dir, 'node_modules', name, '..'), { recursive: true });
    symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
}, 120_000);

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

test('ships what a user runs: no docs, no tests; the widget, the kernel extension and the maps', () => {
  expect(files.filter((f) => /^(docs|test|src|notebooks)\//.test(f))).toEqual([]);
  expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'widget/dist/widget.js', 'README.md']));
  expect(files.some((f) => f.startsWith('kernel-ext/'))).toBe(true);
});

test('source maps carry the sources they name (a stack trace names code the user has)', () => {
  const maps = files.filter((f) => f.endsWith('.js.map'));
  expect(maps.length).toBeGreaterThan(10);
  const bad: string[] = [];
  for (const m of maps) {
    const map = JSON.parse(readFileSync(join(dir, 'node_modules', 'dawn-rfb', m), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
    if (map.sources.some((_, i) => typeof map.sourcesContent?.[i] !== 'string' || map.sourcesContent[i]!.length === 0)) bad.push(m);
  }
  expect(bad).toEqual([]);
});

// A consumer's file using the main entry's types as a user would.
const CONSUMER = `
  import { OffscreenCanvas, getDefaultDevice, computeWithBuffers, encodePng, websocketChannel, RemoteCanvas,
    type PointerEvent, type Frame, type ViewChannel } from 'dawn-rfb';
  export async function main(): Promise<number> {
    const device: GPUDevice = await getDefaultDevice();
    const canvas = new OffscreenCanvas({ size: [64, 48], updateMode: 'manual' });
    canvas.getContext().configure({ device });
    canvas.addEventHandler((e) => { const p: PointerEvent = e; void p.buttons; }, 'pointer_down', 'pointer_move');
    const out = await computeWithBuffers({ 0: new Float32Array(4) }, { 1: [Float32Array, 4] as const }, 'x');
    const f: Float32Array = out[1];
    const frame: Frame = await canvas.draw();
    const png: Uint8Array = await encodePng(frame);
    const remote = new RemoteCanvas({ size: [32, 32] });
    const channel: (s: Parameters<typeof websocketChannel>[0]) => ViewChannel = websocketChannel;
    void remote; void channel;
    return frame.width + f.length + png.length;
  }
`;

// noDom: what a project without the DOM lib adds. TypeScript >= 6 includes no @types by default
// and its WebGPU comes from the DOM lib, so without it the project names @webgpu/types (README,
// "TypeScript"); @webgpu/types itself names DOM types, hence skipLibCheck there.
const COMPILERS = [
  { name: 'TypeScript 5.0 (tslab)', tsc: join(root, 'node_modules', 'ts50', 'bin', 'tsc'), version: /^Version 5\.0\./, noDom: [] as string[] },
  { name: 'TypeScript 5.9', tsc: join(root, 'node_modules', 'typescript', 'bin', 'tsc'), version: /^Version 5\.9\./, noDom: [] as string[] },
  { name: 'TypeScript 7', tsc: join(root, 'node_modules', 'ts7', 'bin', 'tsc'), version: /^Version 7\./, noDom: ['--types', 'node,@webgpu/types'] },
];

/** tsc's output for the consumer file under `options` (empty when it compiles). */
function compile(tsc: string, file: string, options: string[]): string {
  try {
    return execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', ...options, file], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

const NODENEXT = ['--module', 'nodenext', '--moduleResolution', 'nodenext'];
describe.each(COMPILERS)('published types under $name', ({ tsc, version, noDom }) => {
  test('is the compiler it names', () => {
    expect(execFileSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' })).toMatch(version);
  });
  test.each([
    ['nodenext, default libs (DOM), skipLibCheck false', NODENEXT],
    ['nodenext, default libs (DOM), skipLibCheck true', [...NODENEXT, '--skipLibCheck']],
    ['bundler, default libs (DOM), skipLibCheck false', ['--module', 'esnext', '--moduleResolution', 'bundler']],
    ['nodenext, lib es2022 (no DOM), skipLibCheck true', [...NODENEXT, '--lib', 'es2022', '--skipLibCheck', ...noDom]],
  ])('%s', (_, options) => {
    const file = join(dir, 'consumer.ts');
    writeFileSync(file, CONSUMER);
    expect(compile(tsc, file, options).trim()).toBe('');
  });
});

test('published types type-check with the compiler options tslab 1.0.22 uses (TypeScript 5.0, node10, CommonJS)', () => {
  const cell = join(dir, 'cell.ts');
  writeFileSync(cell, CONSUMER);
  const tsc = COMPILERS[0]!.tsc;
  expect(compile(tsc, cell, ['--module', 'commonjs', '--moduleResolution', 'node', '--lib', 'es2022', '--skipLibCheck', '--esModuleInterop']).trim()).toBe('');
  expect(readdirSync(join(dir, 'node_modules', '@types'))).toEqual(['node']); // no @types/ws here
});
