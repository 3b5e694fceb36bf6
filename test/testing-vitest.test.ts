// The vitest matcher from `dawn-rfb/vitest`, as a user's project uses it: a consumer project
// (dawn-rfb and vitest linked into its node_modules) whose test draws an OffscreenCanvas on the
// software GPU, run by vitest in a child process under each update mode, -u and CI=true.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { currentAdapterClass } from '../src/index.js';

const root = resolve(import.meta.dirname, '..');
let dir: string;
let adapterClass: string;

const FIXTURE = `
import { expect, test } from 'vitest';
import 'dawn-rfb/vitest';
import { OffscreenCanvas, RemoteCanvas, getDefaultDevice } from 'dawn-rfb';

test('draws a square', async () => {
  const device = await getDefaultDevice();
  const canvas = new OffscreenCanvas({ size: [40, 30], updateMode: 'manual' });
  const context = canvas.getContext();
  context.configure({ device, format: 'rgba8unorm' });
  const colour = JSON.parse(process.env.FIXTURE_COLOUR ?? '[0, 0.5, 1, 1]');
  canvas.requestDraw(() => {
    const encoder = device.createCommandEncoder();
    encoder.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(),
      loadOp: 'clear', storeOp: 'store', clearValue: colour }] }).end();
    device.queue.submit([encoder.finish()]);
  });
  await expect(canvas).toMatchImageSnapshot();
  await expect(await canvas.draw()).toMatchImageSnapshot({ name: 'raw pixels', threshold: 0.2 });
  canvas.close();
});

test('a remote canvas', async () => {
  const device = await getDefaultDevice();
  const canvas = new RemoteCanvas({ size: [40, 30] });
  const context = canvas.getContext();
  context.configure({ device });
  canvas.requestDraw(() => {
    const encoder = device.createCommandEncoder();
    encoder.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(),
      loadOp: 'clear', storeOp: 'store', clearValue: [1, 1, 0, 1] }] }).end();
    device.queue.submit([encoder.finish()]);
  });
  await expect(canvas).toMatchImageSnapshot({ name: 'remote' });
  canvas.close();
});
`;

interface Run { code: number; output: string }

function vitest(env: Record<string, string>, args: string[] = []): Promise<Run> {
  const clean = { ...process.env };
  for (const k of ['CI', 'DAWN_RFB_UPDATE_SNAPSHOTS', 'DAWN_RFB_RESULTS_DIR', 'DAWN_RFB_ADAPTER_CLASS']) delete clean[k];
  return new Promise((done) => {
    execFile(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir, '--reporter', 'verbose', ...args],
      { cwd: dir, env: { ...clean, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }));
  });
}

const baselineDir = (): string => join(dir, '__image_snapshots__', adapterClass, 'image.test.ts');
const baseline = (name: string): string => join(baselineDir(), `${name}.png`);
const SQUARE = 'draws-a-square-1';

async function colourOf(file: string): Promise<number[]> {
  const { data } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return [...data.subarray(0, 3)];
}

beforeAll(async () => {
  adapterClass = await currentAdapterClass();
  dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-vitest-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'dawn-rfb'));
  symlinkSync(join(root, 'node_modules', 'vitest'), join(dir, 'node_modules', 'vitest'));
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
  writeFileSync(join(dir, 'image.test.ts'), FIXTURE);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('toMatchImageSnapshot', { timeout: 180_000 }, () => {
  test('the adapter class names the software adapter', () => {
    expect(adapterClass).toMatch(/^software-[a-z0-9-]+-(vulkan|opengles)$/);
  });

  test('writes missing baselines by default, in a folder per adapter class beside the test file', async () => {
    const run = await vitest({});
    expect(run.output).toMatch(/✓ image.test.ts > draws a square/);
    expect(run.code).toBe(0);
    expect(readdirSync(baselineDir()).sort()).toEqual([`${SQUARE}.png`, 'raw-pixels.png', 'remote.png']);
    expect(await colourOf(baseline(SQUARE))).toEqual([0, 128, 255]);
    expect(await colourOf(baseline('remote'))).toEqual([255, 255, 0]); // a RemoteCanvas: drawn, its snapshot compared
    // Not only a tick: each written baseline is named, for a reviewer to look at.
    for (const name of [SQUARE, 'raw-pixels', 'remote']) expect(run.output).toContain(`toMatchImageSnapshot: baseline written: ${baseline(name)}`);
  });

  test('a changed drawing fails with one message naming counts, thresholds and artifacts that exist; the baseline is kept', async () => {
    const before = readFileSync(baseline(SQUARE));
    const run = await vitest({ FIXTURE_COLOUR: '[1, 0, 0, 1]' });
    expect(run.code).toBe(1);
    expect(run.output).toContain(`expected image to match baseline ${baseline(SQUARE)} (adapter class ${adapterClass})`);
    expect(run.output).toContain('1200 of 1200 pixels differ (100.000%; 0 allowed) [threshold 0.1, anti-aliasing ignored, maxDiffPixels -, maxDiffPixelRatio -]');
    expect(run.output).toContain('to accept the new image: run vitest -u, or set DAWN_RFB_UPDATE_SNAPSHOTS=changed');
    const results = join(dir, 'test-results', 'image-snapshots', adapterClass, 'image.test.ts');
    for (const kind of ['expected', 'actual', 'diff', 'sideBySide']) {
      const path = new RegExp(`${kind} +(\\S+\\.png)`).exec(run.output)?.[1];
      expect(path, `${kind} path in:\n${run.output}`).toBe(join(results, `${SQUARE}-${kind === 'sideBySide' ? 'side-by-side' : kind}.png`));
      expect(existsSync(path!)).toBe(true);
    }
    expect(await colourOf(join(results, `${SQUARE}-actual.png`))).toEqual([255, 0, 0]);
    expect(readFileSync(baseline(SQUARE)).equals(before)).toBe(true);
  });

  test('vitest -u rewrites the changed baselines, says so, and removes the artifacts of the earlier failure', async () => {
    const results = join(dir, 'test-results', 'image-snapshots', adapterClass, 'image.test.ts');
    expect(readdirSync(results).filter((f) => f.startsWith(SQUARE)).sort()).toEqual(['actual', 'diff', 'expected', 'side-by-side'].map((k) => `${SQUARE}-${k}.png`));
    writeFileSync(join(results, 'notes.txt'), 'not an artifact');
    const run = await vitest({ FIXTURE_COLOUR: '[1, 0, 0, 1]' }, ['-u']);
    expect(run.code, run.output).toBe(0);
    expect(await colourOf(baseline(SQUARE))).toEqual([255, 0, 0]);
    expect(run.output).toContain(`toMatchImageSnapshot: baseline updated: ${baseline(SQUARE)}`);
    expect(readdirSync(results).filter((f) => f.startsWith(SQUARE))).toEqual([]);
    expect(readFileSync(join(results, 'notes.txt'), 'utf8')).toBe('not an artifact');
  });

  test('DAWN_RFB_UPDATE_SNAPSHOTS=all rewrites matching baselines too; changed leaves matching ones alone', async () => {
    const t0 = statSync(baseline(SQUARE)).mtimeMs;
    expect((await vitest({ FIXTURE_COLOUR: '[1, 0, 0, 1]', DAWN_RFB_UPDATE_SNAPSHOTS: 'changed' })).code).toBe(0);
    expect(statSync(baseline(SQUARE)).mtimeMs).toBe(t0);
    expect((await vitest({ FIXTURE_COLOUR: '[1, 0, 0, 1]', DAWN_RFB_UPDATE_SNAPSHOTS: 'all' })).code).toBe(0);
    expect(statSync(baseline(SQUARE)).mtimeMs).toBeGreaterThan(t0);
  });

  test('under CI=true a missing baseline fails and is not written; so does mode none', async () => {
    rmSync(baseline(SQUARE));
    const red = { FIXTURE_COLOUR: '[1, 0, 0, 1]' };
    for (const env of [{ CI: 'true' }, { DAWN_RFB_UPDATE_SNAPSHOTS: 'none' }] as Record<string, string>[]) {
      const run = await vitest({ ...red, ...env });
      expect(run.code).toBe(1);
      expect(run.output).toContain(`expected a baseline image at ${baseline(SQUARE)} (adapter class ${adapterClass}), but there is none`);
      expect(run.output).toMatch(/actual +\S+draws-a-square-1-actual\.png/);
      expect(existsSync(baseline(SQUARE))).toBe(false);
    }
    // An explicit mode wins over CI: the lead's `--update missing` after a merge.
    expect((await vitest({ ...red, CI: 'true', DAWN_RFB_UPDATE_SNAPSHOTS: 'missing' })).code).toBe(0);
    expect(existsSync(baseline(SQUARE))).toBe(true);
  });

  test('an unknown update mode is a clear error', async () => {
    const run = await vitest({ DAWN_RFB_UPDATE_SNAPSHOTS: 'sometimes' });
    expect(run.code).toBe(1);
    expect(run.output).toContain('unknown DAWN_RFB_UPDATE_SNAPSHOTS "sometimes"; allowed: all, changed, missing, none');
  });

  test('two test names that map to one file are an error naming both; an unreadable baseline fails, and -u replaces it saying so', async () => {
    writeFileSync(join(dir, 'collide.test.ts'), `
import { expect, test } from 'vitest';
import 'dawn-rfb/vitest';
const image = (v: number) => ({ width: 2, height: 2, data: new Uint8Array(16).fill(v) });
test('square/red', async () => { await expect(image(255)).toMatchImageSnapshot(); });
test('square red', async () => { await expect(image(0)).toMatchImageSnapshot(); });
test('corrupt', async () => { await expect(image(255)).toMatchImageSnapshot({ name: 'corrupt' }); });
`);
    const folder = join(dir, '__image_snapshots__', adapterClass, 'collide.test.ts');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'corrupt.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from('<<<<<<< HEAD')]));
    try {
      for (const args of [[], ['-u']]) {
        const run = await vitest({}, ['collide.test.ts', ...args]);
        expect(run.code, run.output).toBe(1);
        expect(run.output).toContain(`toMatchImageSnapshot: unnamed snapshot 1 in test "square red" and unnamed snapshot 1 in test "square/red" map to the same baseline file ${join(folder, 'square-red-1.png')}; give one of them a distinct { name }`);
        expect(await colourOf(join(folder, 'square-red-1.png'))).toEqual([255, 255, 255]); // never the other test's image
        if (args.length === 0) {
          expect(run.output).toMatch(new RegExp(`the baseline image ${join(folder, 'corrupt.png')} \\(adapter class ${adapterClass}\\) is unreadable: unreadable PNG data`));
          expect(readFileSync(join(folder, 'corrupt.png'), 'latin1')).toContain('<<<<<<< HEAD');
        } else {
          expect(run.output).toMatch(/toMatchImageSnapshot: baseline updated \(it was unreadable: unreadable PNG data .*\): \S+corrupt\.png/);
          expect(await colourOf(join(folder, 'corrupt.png'))).toEqual([255, 255, 255]);
        }
      }
    } finally {
      rmSync(join(dir, 'collide.test.ts'));
    }
  });
});
