// The kernel side of the Jupyter integration, through real kernels run by nbclient: errors in
// draw functions and event handlers reach the cell's stderr once and the canvas keeps working;
// show() after close is a clear error; stock tslab (no kernelspec of ours) displays with
// `await canvas.show()`; and the kernelspec CLI refuses bad input clearly.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const runner = join(root, 'test', 'helpers', 'run_notebook.py');
const PYTHON = '/usr/bin/python3';

let prefix: string;
let env: NodeJS.ProcessEnv;
const written: string[] = [];

beforeAll(() => {
  prefix = mkdtempSync(join(tmpdir(), 'dawn-rfb-kernels-'));
  execFileSync(process.execPath, [cli, 'kernel', 'install', '--prefix', prefix]);
  // Stock tslab, the way `tslab install` sets it up (but with absolute paths).
  const stock = join(prefix, 'share', 'jupyter', 'kernels', 'tslab-stock');
  execFileSync('mkdir', ['-p', stock]);
  writeFileSync(join(stock, 'kernel.json'), JSON.stringify({
    argv: [process.execPath, join(root, 'node_modules', 'tslab', 'bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (stock tslab)', language: 'typescript',
  }));
  env = {
    ...process.env,
    JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
    JUPYTER_DATA_DIR: join(prefix, 'data'),
    JUPYTER_RUNTIME_DIR: join(prefix, 'runtime'),
  };
});

afterAll(() => {
  for (const f of written) rmSync(f, { recursive: true, force: true });
  rmSync(prefix, { recursive: true, force: true });
});

interface Output {
  output_type: string; name?: string; text?: string | string[]; data?: Record<string, string | string[]>;
  ename?: string; evalue?: string; traceback?: string[];
}
const text = (t: string | string[] | undefined): string => (Array.isArray(t) ? t.join('') : t ?? '');

/**
 * Runs cells in a notebook below notebooks/ (so `dawn-rfb` resolves through its node_modules; a
 * subfolder, so notebooks.test.ts, which lists the examples, never sees it) and returns each
 * cell's outputs.
 */
async function runCells(kernel: string, cells: string[]): Promise<Output[][]> {
  return (await runCellsIn(join(root, 'notebooks', `test-tmp-${process.pid}`), kernel, cells)).map((c) => c.outputs);
}

interface RanCell { outputs: Output[]; metadata: { dawn_rfb_test?: { status: string; ename: string; evalue: string } } }

/** Runs cells in a notebook in `dir` and returns each cell's outputs and metadata (see run_notebook.py). */
async function runCellsIn(dir: string, kernel: string, cells: string[]): Promise<RanCell[]> {
  const name = `${kernel}-${written.length}.ipynb`;
  mkdirSync(dir, { recursive: true });
  if (!written.includes(dir)) written.push(dir);
  const path = join(dir, name);
  const out = join(prefix, `${name}.out.json`);
  writeFileSync(path, JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: kernel, display_name: kernel, language: 'typescript' } },
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  }));
  await run(PYTHON, [runner, path, out, kernel], { env, timeout: 120_000 }).catch((e: { code?: number; stderr?: string }) => {
    if (e.code !== 1) throw new Error(`notebook did not run: ${e.stderr}`);
  });
  const nb = JSON.parse(readFileSync(out, 'utf8')) as { cells: RanCell[] };
  return nb.cells;
}

const stream = (outputs: Output[], name: string): string => outputs.filter((o) => o.output_type === 'stream' && o.name === name).map((o) => text(o.text)).join('');

const SETUP = `
import { RemoteCanvas, getDefaultDevice } from 'dawn-rfb';
const device = await getDefaultDevice();
const canvas = new RemoteCanvas({ size: [32, 24] });
const context = canvas.getContext();
context.configure({ device: device, format: 'rgba8unorm' });
// State shared across cells lives in an object: tslab gives each cell its own bindings.
const state = { broken: false };
function clear(): void {
  const encoder = device.createCommandEncoder();
  encoder.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0.5, 1, 1] }] }).end();
  device.queue.submit([encoder.finish()]);
}
canvas.requestDraw(() => {
  if (state.broken) throw new Error('boom in the draw function');
  clear();
});
canvas.addEventHandler(() => { throw new Error('boom in a key handler'); }, 'key_down');
`;

describe('errors of callbacks appear in the notebook, once, and the canvas keeps working', () => {
  test('draw function and event handler errors go to the running cell\'s stderr', async () => {
    const cells = await runCells('dawn-rfb', [
      SETUP,
      `state.broken = true;
await canvas.forceDraw();
await canvas.forceDraw();
await canvas.forceDraw();`,
      `const key = { type: 'key_down' as const, timestamp: 1, key: 'a', modifiers: [] };
canvas.handleEvent(key);
canvas.handleEvent({ ...key, timestamp: 2 });
await new Promise((r) => setTimeout(r, 100));`,
      `state.broken = false;
await canvas.forceDraw();
const png = await canvas.snapshot();
console.log('snapshot bytes', png.length > 0);`,
      `canvas.close();
try { canvas.show(); } catch (e) { console.log((e as Error).name, (e as Error).message); }`,
      // The README's template as is: it renders nothing, which the cell is told once.
      `const empty = new RemoteCanvas({ size: [8, 8] });
empty.getContext().configure({ device: device });
empty.requestDraw(() => { /* render into context.getCurrentTexture() */ });
await empty.forceDraw();
await empty.forceDraw();
empty.close();`,
    ]);
    const drawErrors = stream(cells[1]!, 'stderr');
    expect(drawErrors).toContain('boom in the draw function');
    expect(drawErrors.split('boom in the draw function').length - 1).toBe(1);
    const handlerErrors = stream(cells[2]!, 'stderr');
    expect(handlerErrors).toContain('event handler for "key_down"');
    expect(handlerErrors.split('boom in a key handler').length - 1).toBe(1);
    expect(stream(cells[3]!, 'stdout')).toContain('snapshot bytes true');
    expect(stream(cells[4]!, 'stdout')).toMatch(/CanvasClosedError show\(\): the canvas is closed/);
    const empty = stream(cells[5]!, 'stderr');
    expect(empty).toContain('[dawn-rfb] draw function: CanvasStateError: the draw function rendered nothing, so no frame was shown');
    expect(empty.split('rendered nothing').length - 1).toBe(1);
  });
});

describe('a failed cell says why, in its reply and as an error output (headless runners show it)', () => {
  test('dawn-rfb not installed in the notebook\'s folder; a type error; a thrown error', async () => {
    // A folder with no node_modules up the tree (tmpdir), so `dawn-rfb` cannot resolve.
    const dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-nomodule-'));
    written.push(dir);
    const cells = await runCellsIn(dir, 'dawn-rfb', [
      `import { RemoteCanvas } from 'dawn-rfb';\nconsole.log(RemoteCanvas);`,
      `const n: number = 'not a number';\nconsole.log(n);`,
      `throw new RangeError('size out of range');`,
      `console.log('still alive', 1 + 1);`,
      `const device = { label: 'an earlier cell\\'s variable' };`,
      // tslab 1.0.22 loses an earlier cell's variable in the object shorthand.
      `console.log({ device });`,
      `console.log({ device: device }.device.label);`,
      `(0, eval)('nowhere');`,
    ]);
    const expectFailure = (cell: RanCell, ename: string, evalue: RegExp): void => {
      const meta = cell.metadata.dawn_rfb_test;
      expect(meta, JSON.stringify(cell)).toMatchObject({ status: 'error', ename });
      expect(meta!.evalue).toMatch(evalue);
      const error = cell.outputs.find((o) => o.output_type === 'error');
      expect(error, JSON.stringify(cell.outputs)).toMatchObject({ ename, evalue: meta!.evalue });
      expect(error!.traceback!.length).toBeGreaterThan(0);
    };
    expectFailure(cells[0]!, 'ModuleNotFoundError', /Cannot find module 'dawn-rfb'.*npm install dawn-rfb tslab/);
    expect(cells[0]!.metadata.dawn_rfb_test!.evalue).toContain(dir);
    expectFailure(cells[1]!, 'TypeScriptError', /1:7 - Type 'string' is not assignable to type 'number'/);
    expectFailure(cells[2]!, 'RangeError', /^size out of range$/);
    expect(cells[3]!.metadata.dawn_rfb_test).toBeUndefined();
    expect(stream(cells[3]!.outputs, 'stdout')).toContain('still alive 2');
    expectFailure(cells[5]!, 'ReferenceError', /^device is not defined: `device` is defined by an earlier cell, and tslab loses such a variable in the object shorthand; write `\{ device: device \}` instead of `\{ device \}`$/);
    expect(cells[5]!.outputs.find((o) => o.output_type === 'error')!.traceback!.join('\n')).toContain('ReferenceError: device is not defined: `device` is defined by an earlier cell');
    expect(stream(cells[6]!.outputs, 'stdout')).toContain("an earlier cell's variable");
    // A name no earlier cell defined gets no such hint.
    expectFailure(cells[7]!, 'ReferenceError', /^nowhere is not defined$/);
  }, 120_000);
});

describe('stock tslab (no dawn-rfb kernelspec)', () => {
  test('await canvas.show() displays the bundle', async () => {
    const cells = await runCells('tslab-stock', [SETUP, 'await canvas.show();']);
    const display = cells[1]!.find((o) => o.output_type === 'display_data');
    expect(display, JSON.stringify(cells[1])).toBeDefined();
    expect(Object.keys(display!.data!).sort()).toEqual(['image/png', 'text/html', 'text/plain']);
    expect(text(display!.data!['text/html'])).toContain('class="dawn-rfb-output"');
    expect(text(display!.data!['text/plain'])).toMatch(/^RemoteCanvas [0-9a-f]+ 32x24/);
  });
});

describe('kernelspec command line', () => {
  const fail = async (...args: string[]): Promise<{ code: number; stderr: string }> =>
    run(process.execPath, [cli, 'kernel', ...args]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );

  test('install writes an absolute-path kernelspec; uninstall removes it', async () => {
    const p = mkdtempSync(join(tmpdir(), 'dawn-rfb-spec-'));
    await run(process.execPath, [cli, 'kernel', 'install', '--prefix', p]);
    const spec = JSON.parse(readFileSync(join(p, 'share', 'jupyter', 'kernels', 'dawn-rfb', 'kernel.json'), 'utf8')) as { argv: string[]; display_name: string; env: Record<string, string> };
    expect(spec.env).toEqual({ MALLOC_ARENA_MAX: '2' }); // flat RSS over long sessions (bench/soak.mjs)
    expect(spec.display_name).toBe('TypeScript (dawn-rfb)');
    expect(spec.argv[0]).toBe(process.execPath);
    expect(spec.argv[1]).toBe(join(root, 'kernel-ext', 'launcher.cjs'));
    expect(spec.argv.slice(2)).toEqual(['--config-path', '{connection_file}']);
    await run(process.execPath, [cli, 'kernel', 'uninstall', '--prefix', p]);
    const again = await fail('uninstall', '--prefix', p);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no dawn-rfb kernelspec at');
    rmSync(p, { recursive: true, force: true });
  });

  test('an unwritable prefix, an unknown option, and --user with --prefix are clear errors', async () => {
    // As root no folder is unwritable, but a prefix below a file is.
    const file = join(prefix, 'a-file');
    writeFileSync(file, '');
    const unwritable = await fail('install', '--prefix', file);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(/cannot install the kernelspec into .*a-file.*ENOTDIR.*--user/);
    const unknown = await fail('install', '--bogus');
    expect(unknown.code, 'a usage error exits 2, as in every command').toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const both = await fail('install', '--user', '--prefix', prefix);
    expect(both.stderr).toContain('either --user or --prefix, not both');
  });
});
