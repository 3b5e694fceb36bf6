// `dawn-rfb test-notebooks` as a function: find and parse the notebooks (all of them, before any
// kernel starts, so bad input fails fast), run each, write the HTML report and summary.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { checkAdapterClass, currentAdapterClass } from '../adapter-class.js';
import { resolveUpdateMode } from '../update-mode.js';
import { htmlReport } from './html-report.js';
import { findNotebooks, readNotebook } from './read.js';
import { runNotebookTest } from './run.js';
import { DEFAULT_SANITIZERS, type Sanitizer } from './sanitize.js';
import { checkTestNotebooksOptions } from '../snapshot-options.js';
import type { NotebookResult, TestSummary } from './types.js';

/** Options of {@link testNotebooks}. */
export interface TestNotebooksOptions {
  /** Baseline update mode. Default: env `DAWN_RFB_UPDATE_SNAPSHOTS`, else `none` under `CI=true`, else `missing`. */
  update?: string;
  /** Report folder. Default `test-results/notebooks`. */
  report?: string;
  /** Seconds per cell. Default 120. */
  timeout?: number;
  /** Compare text outputs with `text.json` baselines. Default false. */
  text?: boolean;
  /** Extra sanitizers (regular expressions; matches become `<sanitized>`), after the defaults. */
  sanitize?: readonly string[];
  /** Adapter class. Default: env `DAWN_RFB_ADAPTER_CLASS`, else the adapter's. */
  adapterClass?: string;
  /** Progress lines. Default: `console.log`. */
  progress?: (line: string) => void;
  /** Extra environment for the kernels. */
  env?: Record<string, string>;
  /** Notebooks run at once, each with its own kernel. Default 1. With more, progress lines start with `[notebook]`. */
  jobs?: number;
}

/** What {@link testNotebooks} returns: the summary and where the report is. */
export interface TestNotebooksResult {
  summary: TestSummary;
  html: string;
  json: string;
}

/**
 * Executes notebooks with the dawn-rfb kernel (no Jupyter needed) and checks their canvas outputs
 * against baselines. Bad input (missing path, not a notebook, unknown mode, bad regex) throws an
 * {@link InvalidArgumentError} before anything runs; failing notebooks are in the summary.
 */
export async function testNotebooks(paths: readonly string[], o: TestNotebooksOptions = {}): Promise<TestNotebooksResult> {
  checkTestNotebooksOptions(o);
  const updateMode = resolveUpdateMode(o.update);
  const timeout = o.timeout ?? 120;
  const sanitizers: Sanitizer[] = [...DEFAULT_SANITIZERS];
  for (const s of o.sanitize ?? []) {
    try {
      sanitizers.push({ pattern: new RegExp(s, 'g'), replacement: '<sanitized>' });
    } catch (e) {
      throw new InvalidArgumentError(`--sanitize: not a regular expression: ${s} (${(e as Error).message})`);
    }
  }
  const files = await findNotebooks(paths);
  const notebooks = await Promise.all(files.map(readNotebook));
  const adapterClass = o.adapterClass !== undefined ? checkAdapterClass(o.adapterClass) : await currentAdapterClass();
  const reportDir = resolve(o.report ?? join('test-results', 'notebooks'));
  await mkdir(reportDir, { recursive: true });
  const progress = o.progress ?? ((line: string) => console.log(line));
  const jobs = o.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new InvalidArgumentError(`jobs must be an integer >= 1, got ${String(jobs)}`);
  const results: NotebookResult[] = new Array(notebooks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < notebooks.length) {
      const i = next++;
      const nb = notebooks[i]!;
      const tag = `[${basename(nb.path, '.ipynb')}] `;
      results[i] = await runNotebookTest(nb, {
        adapterClass, updateMode, reportDir, timeout, text: o.text ?? false, sanitizers, env: o.env,
        progress: jobs > 1 ? (line) => progress(tag + line.trimStart()) : progress,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, notebooks.length) }, worker));
  const cells = results.flatMap((n) => n.cells);
  const images = cells.flatMap((c) => c.images);
  const summary: TestSummary = {
    ok: results.every((n) => n.ok), adapterClass, updateMode, text: o.text ?? false,
    counts: {
      notebooks: results.length, failedNotebooks: results.filter((n) => !n.ok).length,
      cells: cells.length, failedCells: cells.filter((c) => c.status === 'failed' || c.status === 'error').length,
      images: images.length, failedImages: images.filter((i) => !i.ok).length,
      written: images.filter((i) => i.status === 'written' || i.status === 'updated').length,
    },
    notebooks: results,
  };
  const html = join(reportDir, 'index.html');
  const json = join(reportDir, 'summary.json');
  await writeFile(html, htmlReport(summary, new Date()));
  await writeFile(json, JSON.stringify(summary, null, 2) + '\n');
  return { summary, html, json };
}
