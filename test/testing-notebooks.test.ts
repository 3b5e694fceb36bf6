// `dawn-rfb test-notebooks` end to end: the built CLI runs notebooks with the real dawn-rfb kernel
// (tslab over ZeroMQ, no Jupyter: PATH holds only node's folder) on the software GPU, and we read
// its exit code, progress lines, summary.json and HTML report.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestSummary } from '../src/testing/notebook/types.js';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const notebooksDir = join(root, 'notebooks');
/** No Jupyter, no Python: only node's own folder. */
const NODE_ONLY_PATH = dirname(process.execPath);
const TIMEOUT = 360_000;

interface Run { code: number; stdout: string; stderr: string; summary?: TestSummary; report: string }

let work: string;
let adapterClass = '';
const run0Class = (): string => adapterClass; // under notebooks/ so notebooks resolve dawn-rfb through notebooks/node_modules
let reports: string;

function testNotebooks(args: string[], env: Record<string, string> = {}, reportDir?: string): Promise<Run> {
  const report = reportDir ?? mkdtempSync(join(reports, 'report-'));
  const clean = { ...process.env };
  for (const k of ['CI', 'DAWN_RFB_UPDATE_SNAPSHOTS', 'DAWN_RFB_ADAPTER_CLASS']) delete clean[k];
  return new Promise((done) => {
    execFile(process.execPath, [cli, 'test-notebooks', '--report', report, ...args], {
      cwd: root, timeout: TIMEOUT, env: { ...clean, PATH: NODE_ONLY_PATH, XDG_RUNTIME_DIR: '/tmp', ...env },
    }, (error, stdout, stderr) => {
      const json = join(report, 'summary.json');
      done({
        code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr, report,
        summary: existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) as TestSummary : undefined,
      });
    });
  });
}

function notebook(cells: string[]): string {
  return JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'dawn-rfb', display_name: 'TypeScript (dawn-rfb)', language: 'typescript' } },
    cells: cells.map((source) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source })),
  });
}

/** A cell that shows a 32x24 canvas cleared to `colour` (RGBA 0..1), or runs `tail` instead of showing it. */
function canvasCell(colour: number[], tail = ''): string {
  return `import { RemoteCanvas, getDefaultDevice } from 'dawn-rfb';
const device = await getDefaultDevice();
const canvas = new RemoteCanvas({ size: [32, 24] });
const context = canvas.getContext();
context.configure({ device: device });
canvas.requestDraw(() => {
  const e = device.createCommandEncoder();
  e.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: ${JSON.stringify(colour)} }] }).end();
  device.queue.submit([e.finish()]);
});
${tail || 'canvas'}`;
}

async function colourOf(file: string): Promise<number[]> {
  const { data } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return [...data.subarray(0, 3)];
}

const tree = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();

beforeAll(() => {
  work = mkdtempSync(join(notebooksDir, 'test-tmp-image-'));
  reports = mkdtempSync(join(tmpdir(), 'dawn-rfb-reports-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (reports) rmSync(reports, { recursive: true, force: true });
});

describe('dawn-rfb test-notebooks', { timeout: TIMEOUT }, () => {
  test('passes the unchanged example notebooks against their committed baselines, CI=true, without Jupyter on PATH', async () => {
    const run = await testNotebooks(['notebooks/', '--jobs', '2'], { CI: 'true' });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // A progress line per notebook and per cell (two notebooks at once: each line says which).
    expect(run.stdout).toContain('[01-hello-triangle] notebooks/01-hello-triangle.ipynb (adapter class software-');
    expect(run.stdout).toMatch(/^\[01-hello-triangle\] cell 6 +ran +\d+\.\d s, 1 canvas output\(s\)$/m);
    expect(run.stdout).toMatch(/^\[01-hello-triangle\] cell 6 +ok +cell-6-0: passed; 0 of 76800 pixels differ/m);
    expect(run.stdout).toContain(`report: ${join(run.report, 'index.html')}`);
    const s = run.summary!;
    expect(s).toMatchObject({ ok: true, updateMode: 'none', text: false });
    expect(s.notebooks.map((n) => n.name)).toEqual(expect.arrayContaining(['01-hello-triangle', '02-interactive-scene', '03-compute', '04-side-by-side', '05-image-test']));
    expect(s.counts.images).toBeGreaterThanOrEqual(6);
    expect(s.counts.written).toBe(0);
    // freeze() in notebook 02 replaced the snapshot that was compared.
    const scene = s.notebooks.find((n) => n.name === '02-interactive-scene')!;
    expect(scene.cells.flatMap((c) => c.images).map((i) => i.frozen)).toEqual([true]);
    const html = readFileSync(join(run.report, 'index.html'), 'utf8');
    expect(html).toContain('01-hello-triangle/cell-6-0-actual.png');
    expect(existsSync(join(run.report, '01-hello-triangle', 'cell-6-0-actual.png'))).toBe(true);
  });

  test('fails (exit 1) a copy whose triangle colour changed; the report shows that cell with its diff', async () => {
    const dir = join(work, 'changed');
    mkdirSync(dir);
    const source = readFileSync(join(notebooksDir, '01-hello-triangle.ipynb'), 'utf8');
    expect(source).toContain('vec3f(0, 0, 1)');
    writeFileSync(join(dir, '01-hello-triangle.ipynb'), source.replace('vec3f(0, 0, 1)', 'vec3f(1, 1, 0)'));
    cpSync(join(notebooksDir, '__baselines__', '01-hello-triangle'), join(dir, '__baselines__', '01-hello-triangle'), { recursive: true });
    const run = await testNotebooks([dir], { CI: 'true' });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/cell 6 +FAIL +cell-6-0: failed; \d+ of 76800 pixels differ/);
    // Only an image failed, no cell did; and how to accept the change is said, as vitest's message does.
    expect(run.stdout).toMatch(/^notebooks: 0 passed, 1 failed; images: 0 ok, 1 failed; cells failed: 0$/m);
    expect(run.stdout).toContain('to accept the new images and texts (after looking at them): run again with --update changed');
    expect(run.summary!.counts).toMatchObject({ failedCells: 0, failedImages: 1 });
    const cell = run.summary!.notebooks[0]!.cells.find((c) => c.index === 6)!;
    expect(cell.status).toBe('failed');
    const image = cell.images[0]!;
    expect(image.diffPixels).toBeGreaterThan(1000);
    expect(image.artifacts).toEqual({
      expected: '01-hello-triangle/cell-6-0-expected.png', actual: '01-hello-triangle/cell-6-0-actual.png',
      diff: '01-hello-triangle/cell-6-0-diff.png', sideBySide: '01-hello-triangle/cell-6-0-side-by-side.png',
    });
    // The diff marks the recoloured corner red; the actual image has the yellow corner.
    const diff = await sharp(join(run.report, image.artifacts.diff!)).raw().toBuffer({ resolveWithObject: true });
    const reds = Array.from({ length: diff.info.width * diff.info.height }, (_, i) => i).filter((i) => diff.data[i * 4] === 255 && diff.data[i * 4 + 1] === 0).length;
    expect(reds).toBe(image.diffPixels);
    const html = readFileSync(join(run.report, 'index.html'), 'utf8');
    expect(html).toMatch(/<div class="cell bad" id="cell-6">[\s\S]*?canvas<\/pre>[\s\S]*?cell-6-0-diff\.png/); // its source, then its images
    expect(html).toContain('vec3f(1, 1, 0)'); // the changed shader cell's source is in the report too
    expect(html).toContain('run again with --update changed');
    // The baseline was kept.
    expect(readFileSync(join(dir, '__baselines__', '01-hello-triangle', image.baseline.split('/').at(-2)!, 'cell-6-0.png'))
      .equals(readFileSync(join(root, image.baseline.replace(/^.*__baselines__/, 'notebooks/__baselines__'))))).toBe(true);
  });

  test('reports a raising cell with its traceback, a kernel that dies, a cell past --timeout, and a missing baseline under CI', async () => {
    const dir = join(work, 'broken');
    mkdirSync(dir);
    const canvas = `import { RemoteCanvas, getDefaultDevice } from 'dawn-rfb';
const device = await getDefaultDevice();
const canvas = new RemoteCanvas({ size: [64, 48] });
const context = canvas.getContext();
context.configure({ device: device });
canvas.requestDraw(() => {
  const e = device.createCommandEncoder();
  e.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [1, 0, 1, 1] }] }).end();
  device.queue.submit([e.finish()]);
});
canvas`;
    writeFileSync(join(dir, 'a-raises.ipynb'), notebook(['const x = 1;', 'function deep(): never { throw new Error("boom in a cell"); }\ndeep();', 'console.log("never runs");']));
    writeFileSync(join(dir, 'b-dies.ipynb'), notebook(['console.log("before");', 'process.exit(3);', 'console.log("never runs");']));
    writeFileSync(join(dir, 'c-no-baseline.ipynb'), notebook([canvas]));
    // The hung cell in a folder and a run of its own, with a short --timeout: the others need the
    // long one (a kernel's first cell compiles slowly on a loaded machine), and it need not wait
    // that long out. Both runs at once.
    const hangDir = join(work, 'hangs');
    mkdirSync(hangDir);
    writeFileSync(join(hangDir, 'd-hangs.ipynb'), notebook(['console.log("waiting");\nawait new Promise((r) => setTimeout(r, 600_000));', 'console.log("never runs");']));
    const [run, hung] = await Promise.all([
      testNotebooks([dir, '--timeout', '45', '--jobs', '2'], { CI: 'true' }),
      testNotebooks([hangDir, '--timeout', '5'], { CI: 'true' }),
    ]);
    expect(hung.code, hung.stdout + hung.stderr).toBe(1);
    const [hangs] = hung.summary!.notebooks;
    expect(hangs!.cells.map((c) => c.status)).toEqual(['error', 'not-run']);
    expect(hangs!.error).toBe('cell 0: the cell did not finish within 5 s (--timeout)');
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.summary!.notebooks.map((n) => n.name)).toEqual(['a-raises', 'b-dies', 'c-no-baseline']);
    const [raises, dies, missing] = run.summary!.notebooks;
    expect(raises!.cells.map((c) => c.status)).toEqual(['passed', 'error', 'not-run']);
    expect(raises!.cells[1]!.error!.traceback).toContain('boom in a cell');
    expect(raises!.cells[1]!.error!.traceback).toMatch(/at deep/);
    expect(run.stdout).toMatch(/cell 1 +ERROR .*boom in a cell/);
    expect(dies!.cells.map((c) => c.status)).toEqual(['passed', 'error', 'not-run']);
    expect(dies!.error).toContain('cell 1: the kernel exited with code 3');
    expect(missing!.cells[0]!.images[0]).toMatchObject({ status: 'missing', ok: false, artifacts: { actual: 'c-no-baseline/cell-0-0-actual.png' } });
    expect(existsSync(join(dir, '__baselines__', 'c-no-baseline'))).toBe(false);
    expect(run.stdout).toContain('to write the missing baselines: run again with --update missing');
    const html = readFileSync(join(run.report, 'index.html'), 'utf8');
    expect(html).toContain('boom in a cell');
    expect(html).toContain('the kernel exited with code 3');
    // --update missing writes it (what the lead runs after adding a notebook), then it passes under CI.
    const write = await testNotebooks([join(dir, 'c-no-baseline.ipynb'), '--update', 'missing'], { CI: 'true' });
    expect(write.code, write.stdout + write.stderr).toBe(0);
    expect(write.stdout).toMatch(/cell 0 +ok +cell-0-0: baseline written$/m); // not: written; baseline written
    expect(existsSync(join(dir, '__baselines__', 'c-no-baseline'))).toBe(true);
  });

  test('--text compares printed text after sanitizing timings, ports and ids; a changed line fails', async () => {
    const dir = join(work, 'text');
    mkdirSync(dir);
    const file = join(dir, 'prints.ipynb');
    const cells = (answer: number): string[] => [
      `console.log(\`answer: ${answer}\`);\nconsole.log(\`took \${(Math.random() * 100).toFixed(2)} ms on 127.0.0.1:\${1024 + Math.floor(Math.random() * 60000)}, id \${require('crypto').randomBytes(8).toString('hex')}\`);`,
      `console.log('build', Date.now());`,
    ];
    const nb = JSON.parse(notebook(cells(42)));
    writeFileSync(file, JSON.stringify(nb));
    const args = [file, '--text', '--sanitize', 'build \\d+'];
    const first = await testNotebooks(args);
    expect(first.code, first.stdout + first.stderr).toBe(0); // writes text.json (update mode missing)
    const texts = JSON.parse(readFileSync(join(dir, '__baselines__', 'prints', first.summary!.adapterClass, 'text.json'), 'utf8')) as Record<string, string>;
    expect(texts['0']).toMatch(/^answer: 42\ntook <n> ms on 127\.0\.0\.1:<port>, id <hex>\n$/);
    expect(texts['1']).toBe('<sanitized>\n');
    const again = await testNotebooks(args, { CI: 'true' });
    expect(again.code, again.stdout).toBe(0);
    writeFileSync(file, JSON.stringify(JSON.parse(notebook(cells(43)))));
    const changed = await testNotebooks(args, { CI: 'true' });
    expect(changed.code, changed.stdout + changed.stderr).toBe(1);
    expect(changed.stdout).toMatch(/cell 0 +FAIL +text: failed/);
    expect(changed.summary!.notebooks[0]!.cells[0]!.text).toMatchObject({ status: 'failed', ok: false, expected: expect.stringContaining('answer: 42'), actual: expect.stringContaining('answer: 43') });
    expect(readFileSync(join(changed.report, 'index.html'), 'utf8')).toMatch(/expected text<\/figcaption><pre>answer: 42[\s\S]*actual text<\/figcaption><pre>answer: 43/);
  });

  test('usage errors exit 2 with a clear message: not JSON, missing path, unknown mode, bad timeout', async () => {
    writeFileSync(join(work, 'not-json.ipynb'), '{ this is not json');
    const cases: [string[], RegExp][] = [
      [[join(work, 'not-json.ipynb')], /not-json\.ipynb: not a notebook: the file is not JSON/],
      [['notebooks/no-such-notebook.ipynb'], /notebooks\/no-such-notebook\.ipynb: no such file or folder/],
      [['README.md'], /README\.md: not a notebook \(expected a \.ipynb file or a folder of them\)/],
      [['notebooks/', '--update', 'sometimes'], /unknown --update mode "sometimes"; allowed: all, changed, missing, none/],
      [['notebooks/', '--timeout', 'soon'], /expected seconds > 0/],
      [['notebooks/', '--jobs', '0'], /expected a whole number >= 1/],
      [[], /missing required argument 'paths'/],
      // Cell metadata is checked when the notebook is read, before any kernel runs.
      [[join(work, 'bad-threshold.ipynb')], /bad-threshold\.ipynb: cell 0: metadata\.dawn_rfb: threshold must be a number from 0 to 1, got "0\.5"/],
      [[join(work, 'bad-skip.ipynb')], /bad-skip\.ipynb: cell 0: metadata\.dawn_rfb\.skip must be true or false, got "yes"/],
    ];
    const withMeta = (meta: object): string => JSON.stringify({ ...JSON.parse(notebook(['1'])) as object, cells: [{ cell_type: 'code', metadata: { dawn_rfb: meta }, execution_count: null, outputs: [], source: '1' }] });
    writeFileSync(join(work, 'bad-threshold.ipynb'), withMeta({ threshold: '0.5' }));
    writeFileSync(join(work, 'bad-skip.ipynb'), withMeta({ skip: 'yes' }));
    for (const [args, message] of cases) {
      const run = await testNotebooks(args);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.code, args.join(' ')).toBe(2);
    }
    const env = await testNotebooks(['notebooks/01-hello-triangle.ipynb'], { DAWN_RFB_UPDATE_SNAPSHOTS: 'never' });
    expect(env.stderr).toContain('unknown DAWN_RFB_UPDATE_SNAPSHOTS "never"; allowed: all, changed, missing, none');
    expect(env.code).toBe(2);
  });
  test('the report folder: only files the tool wrote are deleted, a folder it did not make is refused, names never escape it, one name in two folders gets two folders', async () => {
    const dir = join(work, 'report-safety');
    for (const d of ['a', 'b', 'own']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'own', 'scene.ipynb'), notebook([canvasCell([0, 0, 1, 1])]));
    writeFileSync(join(dir, 'a', 'plot.ipynb'), notebook([canvasCell([1, 0, 1, 1])]));
    writeFileSync(join(dir, 'b', 'plot.ipynb'), notebook([canvasCell([0, 1, 0, 1])]));
    const paths = [join(dir, 'own', 'scene.ipynb'), join(dir, 'a', 'plot.ipynb'), join(dir, 'b', 'plot.ipynb')];
    const report = mkdtempSync(join(reports, 'mine-'));
    writeFileSync(join(report, 'notes.txt'), 'the user\'s own file');
    const first = await testNotebooks([...paths, '--update', 'missing', '--jobs', '2'], {}, report);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.summary!.notebooks.map((n) => n.name)).toEqual(['scene', 'a-plot', 'b-plot']);
    // A report of the version before manifests (the same files, no manifests) is adopted from its summary.json.
    const legacy = mkdtempSync(join(reports, 'legacy-'));
    cpSync(report, legacy, { recursive: true });
    for (const d of ['', 'scene', 'a-plot', 'b-plot']) rmSync(join(legacy, d, '.dawn-rfb-report.json'));
    writeFileSync(join(legacy, 'scene', 'mine.txt'), 'kept');
    const adopted = await testNotebooks([paths[0]!], { CI: 'true' }, legacy);
    expect(adopted.code, adopted.stdout + adopted.stderr).toBe(0);
    expect(tree(join(legacy, 'scene'))).toEqual(['.dawn-rfb-report.json', 'cell-0-0-actual.png', 'cell-0-0-diff.png', 'cell-0-0-expected.png', 'cell-0-0-side-by-side.png', 'mine.txt']);
    expect(readFileSync(join(legacy, 'scene', 'mine.txt'), 'utf8')).toBe('kept');
    // The user's files in a folder the tool made stay; the tool's own files of the last run go.
    writeFileSync(join(report, 'scene', 'measurements.csv'), '1,2,3\n');
    writeFileSync(join(report, 'scene', 'stale.png'), 'not the tool\'s');
    const manifest = JSON.parse(readFileSync(join(report, 'scene', '.dawn-rfb-report.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toEqual(['cell-0-0-actual.png']);
    // A manifest names files only: a name with a path in it is never followed.
    writeFileSync(join(report, 'scene', '.dawn-rfb-report.json'), JSON.stringify({ writtenBy: 'dawn-rfb test-notebooks', files: [...manifest.files, '../notes.txt', '..', 'x/../../notes.txt'] }));
    const before = statSync(join(report, 'scene', 'cell-0-0-actual.png')).mtimeMs;
    // b's canvas changes: its report shows its own (now yellow) picture, a's keeps a's magenta.
    writeFileSync(join(dir, 'b', 'plot.ipynb'), notebook([canvasCell([1, 1, 0, 1])]));
    const second = await testNotebooks([...paths, '--jobs', '2'], { CI: 'true' }, report);
    expect(second.code, second.stdout + second.stderr).toBe(1);
    const [scene, a, b] = second.summary!.notebooks;
    expect([scene!.ok, a!.ok, b!.ok]).toEqual([true, true, false]);
    expect(b!.cells[0]!.images[0]!.artifacts.actual).toBe('b-plot/cell-0-0-actual.png');
    expect(await colourOf(join(report, 'b-plot', 'cell-0-0-actual.png'))).toEqual([255, 255, 0]);
    expect(await colourOf(join(report, 'b-plot', 'cell-0-0-expected.png'))).toEqual([0, 255, 0]);
    expect(await colourOf(join(report, 'a-plot', 'cell-0-0-actual.png'))).toEqual([255, 0, 255]);
    expect(readFileSync(join(report, 'notes.txt'), 'utf8')).toBe('the user\'s own file');
    expect(readFileSync(join(report, 'scene', 'measurements.csv'), 'utf8')).toBe('1,2,3\n');
    expect(readFileSync(join(report, 'scene', 'stale.png'), 'utf8')).toBe('not the tool\'s');
    expect(statSync(join(report, 'scene', 'cell-0-0-actual.png')).mtimeMs).toBeGreaterThan(before);

    // A folder of the notebook's name that the tool did not make, or a report file it did not write:
    // refused before anything runs, nothing touched.
    const theirs = mkdtempSync(join(reports, 'theirs-'));
    mkdirSync(join(theirs, 'scene'));
    writeFileSync(join(theirs, 'scene', 'measurements.csv'), '4,5,6\n');
    writeFileSync(join(theirs, 'index.html'), '<p>mine</p>');
    const refused = await testNotebooks([paths[0]!], {}, theirs);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${join(theirs, 'index.html')} exists and was not written by dawn-rfb test-notebooks; it is left alone`);
    rmSync(join(theirs, 'index.html'));
    const refused2 = await testNotebooks([paths[0]!], {}, theirs);
    expect(refused2.code).toBe(2);
    expect(refused2.stderr).toContain(`report folder ${join(theirs, 'scene')} exists and was not made by dawn-rfb test-notebooks`);
    expect(tree(theirs)).toEqual(['scene', join('scene', 'measurements.csv')]);

    // Names that are the report folder itself, outside it, or one of its files: refused.
    for (const name of ['..ipynb', '...ipynb', 'index.html.ipynb']) {
      writeFileSync(join(dir, name), notebook(['1']));
      const run = await testNotebooks([join(dir, name)], {}, theirs);
      expect(run.code, name).toBe(2);
      expect(run.stderr, name).toMatch(/the notebook's name "(\.|\.\.|index\.html)" (would make its report folder the report folder itself or one outside it|is the name of one of the report's own files)/);
    }
    expect(tree(theirs)).toEqual(['scene', join('scene', 'measurements.csv')]);
  });

  test('every baseline needs its output; a failing show() or a raising cell never passes or writes; a bad baseline fails only its own image', async () => {
    const dir = join(work, 'strict');
    mkdirSync(dir);
    const nb = (name: string, cells: string[]): string => {
      writeFileSync(join(dir, `${name}.ipynb`), notebook(cells));
      return join(dir, `${name}.ipynb`);
    };
    const gone = nb('gone', [canvasCell([0, 0, 1, 1])]);
    const broken = nb('broken-png', [canvasCell([1, 0, 0, 1])]);
    const texts = nb('texts', ['console.log("hello");']);
    const first = await testNotebooks([gone, broken, texts, '--update', 'missing', '--text', '--jobs', '2']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const base = (name: string, file: string): string => join(dir, '__baselines__', name, first.summary!.adapterClass, file);
    expect(existsSync(base('gone', 'cell-0-0.png'))).toBe(true);

    // The cell no longer shows its canvas; the PNG baseline is truncated; text.json has a conflict marker.
    nb('gone', [canvasCell([0, 0, 1, 1], 'console.log("no canvas shown");')]);
    truncateSync(base('broken-png', 'cell-0-0.png'), 60);
    const conflicted = `<<<<<<< HEAD\n${readFileSync(base('texts', 'text.json'), 'utf8')}`;
    writeFileSync(base('texts', 'text.json'), conflicted);
    const showFails = nb('show-fails', [`import { RemoteCanvas, getDefaultDevice } from 'dawn-rfb';
const device = await getDefaultDevice();
const canvas = new RemoteCanvas({ size: [32, 24] });
canvas.getContext().configure({ device: device });
canvas.requestDraw(() => {}); // renders nothing: show() fails inside, and only reports it
canvas`]);
    const ci = await testNotebooks([gone, broken, texts, showFails, '--text', '--jobs', '2'], { CI: 'true' });
    expect(ci.code, ci.stdout + ci.stderr).toBe(1); // every notebook ran and is in the report
    const [g, p, t, s] = ci.summary!.notebooks;
    expect(g!.cells[0]!.images).toMatchObject([{ name: 'cell-0-0', status: 'unmatched', ok: false, artifacts: { expected: 'gone/cell-0-0-expected.png' } }]);
    expect(ci.stdout).toMatch(/cell 0 +FAIL +cell-0-0: a baseline without an output: cell 0 shows no canvas #0 now; to delete it: --update all/);
    expect(p!.cells[0]!.images[0]).toMatchObject({ status: 'unreadable', ok: false });
    expect(p!.cells[0]!.images[0]!.detail).toMatch(/the baseline is unreadable: unreadable PNG data .*; kept/);
    expect(t!.ok).toBe(false);
    expect(t!.textProblem).toMatch(/text\.json: not JSON .*not compared, not rewritten: fix it or delete it/);
    expect(s!.cells[0]).toMatchObject({ status: 'error', images: [] });
    expect(s!.cells[0]!.error!.message).toContain('show(): InvalidArgumentError: snapshot(): the draw function rendered nothing');
    expect(ci.summary!.counts).toMatchObject({ notebooks: 4, failedNotebooks: 4, failedCells: 1, failedImages: 2 });
    expect(ci.stdout).toContain('to delete baselines whose canvas output is gone: run again with --update all');
    expect(readFileSync(base('texts', 'text.json'), 'utf8')).toBe(conflicted);

    // --update changed: the unreadable PNG is replaced and that is said; text.json and the raising cell write nothing.
    const raises = nb('raises', [canvasCell([0, 1, 1, 1], 'canvas.show();\nawait new Promise((r) => setTimeout(r, 200));\nthrow new Error("after show");')]);
    const changed = await testNotebooks([broken, texts, raises, showFails, '--update', 'changed', '--text', '--jobs', '2']);
    expect(changed.code, changed.stdout + changed.stderr).toBe(1);
    const [p2, t2, r2, s2] = changed.summary!.notebooks;
    expect(p2!.cells[0]!.images[0]).toMatchObject({ status: 'updated', ok: true });
    expect(p2!.cells[0]!.images[0]!.detail).toMatch(/^baseline updated \(it was unreadable: unreadable PNG data/);
    expect(await colourOf(base('broken-png', 'cell-0-0.png'))).toEqual([255, 0, 0]);
    expect(t2!.ok).toBe(false);
    expect(readFileSync(base('texts', 'text.json'), 'utf8')).toBe(conflicted);
    expect(r2!.cells[0]!.status).toBe('error');
    expect(r2!.cells[0]!.images[0]).toMatchObject({ status: 'missing', ok: false });
    expect(s2!.ok).toBe(false);
    expect(existsSync(join(dir, '__baselines__', 'raises'))).toBe(false);
    expect(existsSync(join(dir, '__baselines__', 'show-fails'))).toBe(false);

    // --update all accepts the removal: the baseline without an output is deleted.
    const all = await testNotebooks([gone, '--update', 'all']);
    expect(all.code, all.stdout + all.stderr).toBe(0);
    expect(all.summary!.notebooks[0]!.cells[0]!.images[0]).toMatchObject({ status: 'removed', ok: true });
    expect(all.stdout).toMatch(/\(1 removed\)/);
    expect(existsSync(base('gone', 'cell-0-0.png'))).toBe(false);
  });
});
