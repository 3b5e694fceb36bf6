// Runs one notebook with the dawn-rfb kernel, cell by cell in its own folder, then checks each
// canvas output (and, with --text, each cell's text) against its baseline. Every baseline must be
// matched by an output: one whose canvas is gone fails (deleted only under --update all). A cell
// that raised never writes a baseline; a bad baseline is a failed image, not the end of the run.
import { copyFile, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { ARTIFACT_KINDS, checkBaseline, describeComparison, type BaselineCheck } from '../baseline.js';
import { baselineAction, type SnapshotUpdateMode } from '../update-mode.js';
import { KernelClient, type Execution, type Output } from '../kernel/client.js';
import { canvasOutputs, cellText, cellTraceback, type CanvasOutput } from './outputs.js';
import { sanitize, type Sanitizer } from './sanitize.js';
import type { CellTestOptions, Notebook } from './read.js';
import type { ReportFolder } from './report-dir.js';
import type { CellResult, ImageResult, NotebookResult, TextResult } from './types.js';

/** Options of {@link runNotebookTest}. */
export interface NotebookTestOptions {
  adapterClass: string;
  updateMode: SnapshotUpdateMode;
  /** The report folder; the HTML report links images relative to it. */
  reportDir: string;
  /** This notebook's folder in the report (`<report>/<name>/`), where its images go. */
  artifacts: ReportFolder;
  /** The notebook's name in the report (its file name, or a distinct one for notebooks of one name). */
  name: string;
  /** Seconds per cell. */
  timeout: number;
  /** Compare text outputs too. */
  text: boolean;
  sanitizers: readonly Sanitizer[];
  /** Called with one line per notebook and per cell while it runs. */
  progress: (line: string) => void;
  /** Extra environment for the kernel. */
  env?: Record<string, string>;
}

/** `<notebook folder>/__baselines__/<notebook name>/<adapter class>/` */
export function baselineFolder(notebookPath: string, adapterClass: string): string {
  return join(dirname(notebookPath), '__baselines__', basename(notebookPath, '.ipynb'), adapterClass);
}

/** The line of a traceback that names the error (Node's stacks start with the source location). */
function errorLine(traceback: string): string {
  const lines = traceback.split('\n').map((l) => l.trim());
  return lines.find((l) => /^[\w.$]*(Error|Exception)\b/.test(l)) ?? firstLine(traceback);
}

function firstLine(text: string): string {
  return text.trim().split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/** Executes and checks one notebook; never throws for a failing notebook (it is in the result). */
export async function runNotebookTest(nb: Notebook, o: NotebookTestOptions): Promise<NotebookResult> {
  const name = o.name;
  const t0 = performance.now();
  const result: NotebookResult = { notebook: relative(process.cwd(), nb.path) || nb.path, name, ok: true, seconds: 0, cells: [] };
  o.progress(`${result.notebook} (adapter class ${o.adapterClass})`);
  const executed: { index: number; cell: CellResult; outputs: Output[] }[] = [];
  const code = nb.cells.map((c, index) => ({ c, index })).filter(({ c }) => c.cell_type === 'code' && c.source.trim() !== '');
  let client: KernelClient | undefined;
  try {
    client = await KernelClient.start({ cwd: dirname(nb.path), startTimeout: Math.max(60, o.timeout), env: o.env });
  } catch (e) {
    result.error = `the kernel did not start: ${(e as Error).message}`;
  }
  let stopped = result.error !== undefined;
  for (const { c, index } of code) {
    const cell: CellResult = { index, executionCount: null, source: c.source, status: 'passed', seconds: 0, images: [] };
    result.cells.push(cell);
    if (stopped || !client) {
      cell.status = 'not-run';
      continue;
    }
    let exec: Execution;
    try {
      exec = await client.execute(c.source, o.timeout);
    } catch (e) {
      const outputs = (e as { outputs?: Output[] }).outputs ?? [];
      cell.status = 'error';
      cell.error = { message: (e as Error).message, traceback: cellTraceback(outputs) || client.stderr.trim() };
      result.error = `cell ${index}: ${(e as Error).message}`;
      o.progress(`  cell ${String(index).padEnd(3)} ERROR  ${firstLine((e as Error).message)}`);
      stopped = true;
      continue;
    }
    cell.executionCount = exec.executionCount;
    cell.seconds = exec.seconds;
    executed.push({ index, cell, outputs: exec.outputs });
    if (exec.status !== 'ok') {
      cell.status = 'error';
      const traceback = cellTraceback(exec.outputs);
      cell.error = { message: `the cell raised${traceback ? `: ${errorLine(traceback)}` : ` (status ${exec.status})`}`, traceback };
      o.progress(`  cell ${String(index).padEnd(3)} ERROR  ${exec.seconds.toFixed(1)} s  ${errorLine(traceback) || exec.status}`);
      stopped = true;
      continue;
    }
    const showFailed = displayFailure(exec.outputs);
    if (showFailed) {
      // show() never rejects (it reports instead): the cell "passed", but its output is missing or stale.
      cell.status = 'error';
      cell.error = { message: `${firstLine(showFailed)} (the canvas output is missing or stale)`, traceback: showFailed };
      o.progress(`  cell ${String(index).padEnd(3)} ERROR  ${exec.seconds.toFixed(1)} s  ${firstLine(showFailed)}`);
      continue;
    }
    o.progress(`  cell ${String(index).padEnd(3)} ran    ${exec.seconds.toFixed(1)} s${canvasOutputs(exec.outputs).length ? `, ${canvasOutputs(exec.outputs).length} canvas output(s)` : ''}`);
  }
  await client?.close();
  const completed = !stopped;

  // Compare after the whole notebook ran: a later freeze() may have replaced earlier snapshots.
  const baselines = baselineFolder(nb.path, o.adapterClass);
  await o.artifacts.clean();
  const texts = o.text ? await readTextBaselines(baselines) : { texts: {} };
  if ('problem' in texts) {
    result.textProblem = texts.problem;
    result.error ??= texts.problem;
    o.progress(`  FAIL   ${texts.problem}`);
  }
  let textsChanged = false;
  const shown = new Set<string>();
  for (const { index, cell, outputs } of executed) {
    const options = nb.cells[index]!.test;
    if (options.skip) {
      if (cell.status === 'passed') cell.status = 'skipped';
      continue;
    }
    // A cell that raised is compared (the report shows it) but never writes a baseline.
    const mode: SnapshotUpdateMode = cell.status === 'error' ? 'none' : o.updateMode;
    for (const canvas of canvasOutputs(outputs)) {
      const image = await checkImage(`cell-${index}-${canvas.ordinal}`, canvas, mode, baselines, options, o);
      shown.add(`${image.name}.png`);
      if (cell.status === 'error' && image.status === 'missing') image.detail += ' (the cell raised: none written)';
      cell.images.push(image);
      if (!image.ok && cell.status === 'passed') cell.status = 'failed';
      // A compared image says how it ended first; the other details say it themselves ("baseline written").
      const how = image.status === 'passed' || image.status === 'failed' ? `${image.status}; ` : '';
      o.progress(`  cell ${String(index).padEnd(3)} ${image.ok ? 'ok    ' : 'FAIL  '} ${image.name}: ${how}${image.detail}`);
    }
    if (o.text && options.text !== false && cell.status !== 'error' && 'texts' in texts) {
      const actual = sanitize(cellText(outputs), o.sanitizers);
      const expected = texts.texts[String(index)];
      const action = baselineAction(o.updateMode, expected !== undefined, expected === actual);
      const t: TextResult = {
        status: action === 'write' ? (expected === undefined ? 'written' : 'updated') : action === 'fail-missing' ? 'missing' : expected === actual ? 'passed' : 'failed',
        ok: action === 'write' || expected === actual, actual, ...(expected !== undefined ? { expected } : {}),
      };
      if (action === 'write') {
        texts.texts[String(index)] = actual;
        textsChanged = true;
      }
      cell.text = t;
      if (!t.ok && cell.status === 'passed') cell.status = 'failed';
      if (!t.ok) o.progress(`  cell ${String(index).padEnd(3)} FAIL   text: ${t.status}`);
    }
  }
  await checkUnmatched(result, executed, shown, completed, baselines, o);
  if (textsChanged && 'texts' in texts) {
    await mkdir(baselines, { recursive: true });
    await writeFile(join(baselines, 'text.json'), JSON.stringify(texts.texts, null, 1) + '\n');
  }
  result.seconds = (performance.now() - t0) / 1000;
  const images = [...result.cells.flatMap((c) => c.images), ...(result.unmatched ?? [])];
  result.ok = result.error === undefined && result.cells.every((c) => c.status === 'passed' || c.status === 'skipped') && images.every((i) => i.ok);
  o.progress(`  ${result.ok ? 'PASSED' : 'FAILED'} ${result.notebook}: ${result.cells.length} code cells, ${images.filter((i) => i.ok).length}/${images.length} images ok (${result.seconds.toFixed(1)} s)${result.error ? `; ${firstLine(result.error)}` : ''}`);
  return result;
}

/** The `[dawn-rfb] show(): ...` / `freeze(): ...` report in a cell's stderr, if any (see src/report.ts). */
function displayFailure(outputs: readonly Output[]): string | undefined {
  const stderr = outputs.filter((x) => x.output_type === 'stream' && x.name === 'stderr').map((x) => (x as { text: string }).text).join('');
  // eslint-disable-next-line no-control-regex
  const at = stderr.replace(/\u001b\[[0-9;]*m/g, '').search(/^\[dawn-rfb\] (show|freeze)\(\): /m);
  // eslint-disable-next-line no-control-regex
  return at < 0 ? undefined : stderr.replace(/\u001b\[[0-9;]*m/g, '').slice(at).trim();
}

/** One canvas output against its baseline; anything that goes wrong is this image's failure. */
async function checkImage(name: string, canvas: CanvasOutput, mode: SnapshotUpdateMode, baselines: string, options: CellTestOptions, o: NotebookTestOptions): Promise<ImageResult> {
  const rel = (p: string | undefined): string | undefined => (p ? relative(o.reportDir, p) : undefined);
  const base = { name, output: canvas.output, frozen: canvas.frozen, baseline: relative(process.cwd(), join(baselines, `${name}.png`)) };
  const foreign = ARTIFACT_KINDS.map((k) => `${name}-${k}.png`).find((f) => o.artifacts.isForeign(f));
  if (foreign) {
    return { ...base, status: 'error', ok: false, artifacts: {}, detail: `not checked: ${join(o.artifacts.dir, foreign)} is not a file dawn-rfb wrote, and it is not overwritten` };
  }
  let check: BaselineCheck;
  try {
    check = await checkBaseline(canvas.png, {
      baselinePath: join(baselines, `${name}.png`), resultsDir: o.artifacts.dir, artifactName: name, mode,
      compare: { threshold: options.threshold, maxDiffPixels: options.maxDiffPixels, maxDiffPixelRatio: options.maxDiffPixelRatio, ignoreAntialiasing: options.ignoreAntialiasing, mask: options.mask },
      alwaysWriteArtifacts: true,
    });
  } catch (e) {
    return { ...base, status: 'error', ok: false, artifacts: {}, detail: `not checked: ${(e as Error).message}` };
  }
  const a = check.artifacts;
  await o.artifacts.record([a?.expected, a?.actual, a?.diff, a?.sideBySide].filter((p): p is string => p !== undefined));
  const c = check.comparison;
  return {
    ...base, status: check.status, ok: check.ok, detail: imageDetail(check, mode),
    ...(c && !c.sizeMismatch ? { diffPixels: c.diffPixels, diffRatio: c.diffRatio, allowedDiffPixels: c.allowedDiffPixels } : {}),
    ...(c ? { sizeMismatch: c.sizeMismatch, actualSize: c.actualSize, expectedSize: c.expectedSize, options: c.options } : {}),
    artifacts: { expected: rel(a?.expected), actual: rel(a?.actual), diff: rel(a?.diff), sideBySide: rel(a?.sideBySide) },
  };
}

function imageDetail(check: BaselineCheck, mode: SnapshotUpdateMode): string {
  const problem = check.problem ? ` (it was unreadable: ${check.problem})` : '';
  switch (check.status) {
    case 'written': return 'baseline written';
    case 'updated': return `baseline updated${problem}`;
    case 'missing': return `no baseline (update mode "${mode}" writes none)`;
    case 'unreadable': return `the baseline is unreadable: ${check.problem ?? ''}; kept (update mode "${mode}")`;
    default: return describeComparison(check.comparison!);
  }
}

/**
 * Baselines `cell-<i>-<n>.png` that no output matched: the cell no longer shows that canvas, or
 * is gone. Judged only for cells that ran without error and were not skipped (and, when the
 * notebook ran to the end, for indices that are no code cell now). Kept and failed; deleted
 * under `--update all`.
 */
async function checkUnmatched(result: NotebookResult, executed: { index: number; cell: CellResult }[], shown: Set<string>, completed: boolean, baselines: string, o: NotebookTestOptions): Promise<void> {
  let files: string[];
  try {
    files = await readdir(baselines);
  } catch {
    return;
  }
  const byIndex = new Map(result.cells.map((c) => [c.index, c]));
  const judged = new Set(executed.filter(({ cell }) => cell.status !== 'error' && cell.status !== 'skipped').map(({ index }) => index));
  for (const file of files.sort()) {
    const m = /^cell-(\d+)-(\d+)\.png$/.exec(file);
    if (!m || shown.has(file)) continue;
    const index = Number(m[1]);
    const cell = byIndex.get(index);
    if (cell ? !judged.has(index) : !completed) continue;
    const path = join(baselines, file);
    const name = file.slice(0, -4);
    const base = { name, output: -1, frozen: false, baseline: relative(process.cwd(), path), artifacts: {} as ImageResult['artifacts'] };
    let image: ImageResult;
    if (o.updateMode === 'all') {
      await unlink(path);
      image = { ...base, status: 'removed', ok: true, detail: `baseline removed (${cell ? 'the cell shows no such canvas now' : 'no code cell has this index now'}; --update all)` };
    } else {
      const expected = `${name}-expected.png`;
      if (!o.artifacts.isForeign(expected)) {
        await copyFile(path, join(o.artifacts.dir, expected));
        await o.artifacts.record([expected]);
        base.artifacts = { expected: relative(o.reportDir, join(o.artifacts.dir, expected)) };
      }
      image = { ...base, status: 'unmatched', ok: false, detail: `a baseline without an output: ${cell ? `cell ${index} shows no canvas #${m[2]} now` : `no code cell ${index} ran`}; to delete it: --update all` };
    }
    if (cell) {
      cell.images.push(image);
      if (!image.ok && cell.status === 'passed') cell.status = 'failed';
    } else {
      (result.unmatched ??= []).push(image);
    }
    o.progress(`  cell ${String(index).padEnd(3)} ${image.ok ? 'ok    ' : 'FAIL  '} ${name}: ${image.detail}`);
  }
}

/** `text.json`: missing is no baselines; anything unreadable is a problem (never "no baseline"). */
async function readTextBaselines(folder: string): Promise<{ texts: Record<string, string> } | { problem: string }> {
  const path = join(folder, 'text.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { texts: {} };
    return { problem: `text baselines ${relative(process.cwd(), path)}: cannot read it (${(e as Error).message}); not compared, not rewritten` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { problem: `text baselines ${relative(process.cwd(), path)}: not JSON (${(e as Error).message}); not compared, not rewritten: fix it or delete it` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Object.values(json).every((v) => typeof v === 'string')) {
    return { problem: `text baselines ${relative(process.cwd(), path)}: expected an object of cell index -> text; not compared, not rewritten: fix it or delete it` };
  }
  return { texts: json as Record<string, string> };
}
