// `dawn-rfb test-notebooks` as a function: find and parse the notebooks (all of them, before any
// kernel starts, so bad input fails fast), give each a report folder of its own, run each (one
// that fails in an unforeseen way is a failed notebook, never the end of the run), write the HTML
// report and summary.json.
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { checkAdapterClass, currentAdapterClass } from '../adapter-class.js';
import { resolveUpdateMode } from '../update-mode.js';
import { htmlReport } from './html-report.js';
import { findNotebooks, NotebookInputError, readNotebook } from './read.js';
import { adoptLegacyReport, REPORT_FILES, REPORT_MANIFEST, ReportFolder } from './report-dir.js';
import { runNotebookTest } from './run.js';
import { DEFAULT_SANITIZERS, type Sanitizer } from './sanitize.js';
import { checkTestNotebooksOptions } from '../snapshot-options.js';
import type { CellResult, ImageResult, NotebookResult, TestSummary } from './types.js';

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
  const names = reportNames(files);
  await adoptLegacyReport(reportDir);
  const root = await ReportFolder.open(reportDir, false);
  await root.checkWritable(REPORT_FILES);
  const folders = await Promise.all(names.map((n) => ReportFolder.open(join(reportDir, n), true)));
  await root.clean();
  const progress = o.progress ?? ((line: string) => console.log(line));
  const jobs = o.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new InvalidArgumentError(`jobs must be an integer >= 1, got ${String(jobs)}`);
  const results: NotebookResult[] = new Array(notebooks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < notebooks.length) {
      const i = next++;
      const nb = notebooks[i]!;
      const tag = `[${names[i]!}] `;
      const options = {
        adapterClass, updateMode, reportDir, artifacts: folders[i]!, name: names[i]!, timeout, text: o.text ?? false, sanitizers, env: o.env,
        progress: jobs > 1 ? (line: string) => progress(tag + line.trimStart()) : progress,
      };
      results[i] = await runNotebookTest(nb, options).catch((e: unknown) => failedRun(nb.path, names[i]!, e, options.progress));
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, notebooks.length) }, worker));
  const summary = summarize(results, adapterClass, updateMode, o.text ?? false);
  const html = await root.write('index.html', htmlReport(summary, new Date()));
  const json = await root.write('summary.json', JSON.stringify(summary, null, 2) + '\n');
  return { summary, html, json };
}

/**
 * A report folder name per notebook: its name, or for notebooks of one name in different folders
 * (`a/plot.ipynb`, `b/plot.ipynb`) `<parent>-<name>`, then `<name>-2`, ... so no two share one.
 * @throws {NotebookInputError} for a name that would be the report folder itself, outside it, or one of its own files.
 */
export function reportNames(paths: readonly string[]): string[] {
  const bases = paths.map((p) => basename(p, '.ipynb'));
  bases.forEach((name, i) => {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\')) {
      throw new NotebookInputError(`${paths[i]!}: the notebook's name ${JSON.stringify(name)} would make its report folder the report folder itself or one outside it; rename the notebook`);
    }
    if ([...REPORT_FILES, REPORT_MANIFEST].includes(name)) {
      throw new NotebookInputError(`${paths[i]!}: the notebook's name ${JSON.stringify(name)} is the name of one of the report's own files; rename the notebook`);
    }
  });
  const taken = new Set(bases.filter((b, i) => bases.indexOf(b) === i && bases.lastIndexOf(b) === i));
  return bases.map((name, i) => {
    if (taken.has(name) && bases.indexOf(name) === bases.lastIndexOf(name)) return name;
    const parent = basename(dirname(paths[i]!));
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? `${parent}-${name}` : `${name}-${n}`;
      if (!taken.has(candidate) && ![...REPORT_FILES, REPORT_MANIFEST].includes(candidate)) {
        taken.add(candidate);
        return candidate;
      }
    }
  });
}

/** A notebook whose test failed in a way the runner did not foresee: a failed notebook, not the end of the run. */
function failedRun(path: string, name: string, e: unknown, progress: (line: string) => void): NotebookResult {
  const message = `the test of this notebook failed: ${e instanceof Error ? e.message : String(e)}`;
  progress(`  FAILED ${path}: ${message}`);
  return { notebook: relative(process.cwd(), path) || path, name, ok: false, seconds: 0, error: message, cells: [] };
}

function summarize(results: NotebookResult[], adapterClass: string, updateMode: TestSummary['updateMode'], text: boolean): TestSummary {
  const cells = results.flatMap((n) => n.cells);
  const images = [...cells.flatMap((c) => c.images), ...results.flatMap((n) => n.unmatched ?? [])];
  const counts = {
    notebooks: results.length, failedNotebooks: results.filter((n) => !n.ok).length,
    // A cell fails when its code does (raised, died, timed out, show() failed); images and texts count apart.
    cells: cells.length, failedCells: cells.filter((c) => c.status === 'error').length,
    images: images.length, failedImages: images.filter((i) => !i.ok).length,
    failedTexts: cells.filter((c) => c.text && !c.text.ok).length,
    written: images.filter((i) => i.status === 'written' || i.status === 'updated').length,
    removed: images.filter((i) => i.status === 'removed').length,
  };
  return { ok: results.every((n) => n.ok), adapterClass, updateMode, text, counts, hints: hints(images, cells, results), notebooks: results };
}

/** How to accept what failed, as the vitest matcher's message says it. */
function hints(images: ImageResult[], cells: CellResult[], results: NotebookResult[]): string[] {
  const out: string[] = [];
  if (images.some((i) => i.status === 'failed' || i.status === 'unreadable') || cells.some((c) => c.text?.status === 'failed')) {
    out.push('to accept the new images and texts (after looking at them): run again with --update changed (or set DAWN_RFB_UPDATE_SNAPSHOTS=changed)');
  }
  if (images.some((i) => i.status === 'missing') || cells.some((c) => c.text?.status === 'missing')) {
    out.push('to write the missing baselines: run again with --update missing');
  }
  if (images.some((i) => i.status === 'unmatched')) out.push('to delete baselines whose canvas output is gone: run again with --update all');
  if (results.some((n) => n.textProblem)) out.push('an unreadable text.json is never rewritten: fix it or delete it, then run again');
  return out;
}
