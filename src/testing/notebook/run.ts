// Runs one notebook with the dawn-rfb kernel, cell by cell in its own folder, then checks each
// canvas output (and, with --text, each cell's text) against its baseline.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { checkBaseline, describeComparison } from '../baseline.js';
import { baselineAction, type SnapshotUpdateMode } from '../update-mode.js';
import { KernelClient, type Execution, type Output } from '../kernel/client.js';
import { canvasOutputs, cellText, cellTraceback } from './outputs.js';
import { sanitize, type Sanitizer } from './sanitize.js';
import type { Notebook } from './read.js';
import type { CellResult, ImageResult, NotebookResult, TextResult } from './types.js';

/** Options of {@link runNotebookTest}. */
export interface NotebookTestOptions {
  adapterClass: string;
  updateMode: SnapshotUpdateMode;
  /** The report folder; artifacts go to `<report>/<notebook name>/`. */
  reportDir: string;
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
  const name = basename(nb.path, '.ipynb');
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
    o.progress(`  cell ${String(index).padEnd(3)} ran    ${exec.seconds.toFixed(1)} s${canvasOutputs(exec.outputs).length ? `, ${canvasOutputs(exec.outputs).length} canvas output(s)` : ''}`);
  }
  await client?.close();

  // Compare after the whole notebook ran: a later freeze() may have replaced earlier snapshots.
  const baselines = baselineFolder(nb.path, o.adapterClass);
  const artifactsDir = join(o.reportDir, name);
  await rm(artifactsDir, { recursive: true, force: true });
  const texts = o.text ? await readTextBaselines(baselines) : {};
  let textsChanged = false;
  for (const { index, cell, outputs } of executed) {
    const options = nb.cells[index]!.test;
    if (options.skip) {
      if (cell.status === 'passed') cell.status = 'skipped';
      continue;
    }
    for (const canvas of canvasOutputs(outputs)) {
      const imageName = `cell-${index}-${canvas.ordinal}`;
      const check = await checkBaseline(canvas.png, {
        baselinePath: join(baselines, `${imageName}.png`), resultsDir: artifactsDir, artifactName: imageName, mode: o.updateMode,
        compare: { threshold: options.threshold, maxDiffPixels: options.maxDiffPixels, maxDiffPixelRatio: options.maxDiffPixelRatio, ignoreAntialiasing: options.ignoreAntialiasing, mask: options.mask },
        alwaysWriteArtifacts: true,
      });
      const c = check.comparison;
      const rel = (p: string | undefined): string | undefined => (p ? relative(o.reportDir, p) : undefined);
      const image: ImageResult = {
        name: imageName, output: canvas.output, status: check.status, ok: check.ok, frozen: canvas.frozen,
        baseline: relative(process.cwd(), check.baselinePath),
        detail: c ? describeComparison(c) : check.status === 'missing' ? `no baseline (update mode "${o.updateMode}" writes none)` : `baseline ${check.status}`,
        ...(c && !c.sizeMismatch ? { diffPixels: c.diffPixels, diffRatio: c.diffRatio, allowedDiffPixels: c.allowedDiffPixels } : {}),
        ...(c ? { sizeMismatch: c.sizeMismatch, actualSize: c.actualSize, expectedSize: c.expectedSize, options: c.options } : {}),
        artifacts: {
          expected: rel(check.artifacts?.expected), actual: rel(check.artifacts?.actual),
          diff: rel(check.artifacts?.diff), sideBySide: rel(check.artifacts?.sideBySide),
        },
      };
      cell.images.push(image);
      if (!image.ok && cell.status === 'passed') cell.status = 'failed';
      o.progress(`  cell ${String(index).padEnd(3)} ${image.ok ? 'ok    ' : 'FAIL  '} ${imageName}: ${image.status}; ${image.detail}`);
    }
    if (o.text && options.text !== false && cell.status !== 'error') {
      const actual = sanitize(cellText(outputs), o.sanitizers);
      const expected = texts[String(index)];
      const action = baselineAction(o.updateMode, expected !== undefined, expected === actual);
      const t: TextResult = {
        status: action === 'write' ? (expected === undefined ? 'written' : 'updated') : action === 'fail-missing' ? 'missing' : expected === actual ? 'passed' : 'failed',
        ok: action === 'write' || expected === actual, actual, ...(expected !== undefined ? { expected } : {}),
      };
      if (action === 'write') {
        texts[String(index)] = actual;
        textsChanged = true;
      }
      cell.text = t;
      if (!t.ok && cell.status === 'passed') cell.status = 'failed';
      if (!t.ok) o.progress(`  cell ${String(index).padEnd(3)} FAIL   text: ${t.status}`);
    }
  }
  if (textsChanged) {
    await mkdir(baselines, { recursive: true });
    await writeFile(join(baselines, 'text.json'), JSON.stringify(texts, null, 1) + '\n');
  }
  result.seconds = (performance.now() - t0) / 1000;
  result.ok = result.error === undefined && result.cells.every((c) => c.status === 'passed' || c.status === 'skipped');
  const images = result.cells.flatMap((c) => c.images);
  o.progress(`  ${result.ok ? 'PASSED' : 'FAILED'} ${result.notebook}: ${result.cells.length} code cells, ${images.filter((i) => i.ok).length}/${images.length} images ok (${result.seconds.toFixed(1)} s)${result.error ? `; ${firstLine(result.error)}` : ''}`);
  return result;
}

async function readTextBaselines(folder: string): Promise<Record<string, string>> {
  try {
    const json = JSON.parse(await readFile(join(folder, 'text.json'), 'utf8')) as unknown;
    return typeof json === 'object' && json !== null ? json as Record<string, string> : {};
  } catch {
    return {};
  }
}
