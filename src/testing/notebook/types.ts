// The results of `dawn-rfb test-notebooks`, as written to summary.json (paths relative to the report folder or the working folder).
import type { ResolvedCompareOptions } from '../compare.js';
import type { BaselineStatus } from '../baseline.js';
import type { SnapshotUpdateMode } from '../update-mode.js';

/** One canvas output checked against its baseline. */
export interface ImageResult {
  /** `cell-<cell index>-<canvas ordinal>`: the baseline's file name without `.png`. */
  name: string;
  /** Index among the cell's outputs. */
  output: number;
  /**
   * The baseline check's status, or: `unmatched` (a baseline exists but the cell showed no such
   * canvas; kept), `removed` (that baseline, deleted under `--update all`), `error` (the image could
   * not be checked, e.g. an output too large to decode; the detail says why).
   */
  status: BaselineStatus | 'unmatched' | 'removed' | 'error';
  ok: boolean;
  /** Whether freeze() replaced the snapshot after it was shown. */
  frozen: boolean;
  baseline: string;
  /** One line: counts, ratio, limits (when compared). */
  detail: string;
  diffPixels?: number;
  diffRatio?: number;
  allowedDiffPixels?: number;
  sizeMismatch?: boolean;
  actualSize?: { width: number; height: number };
  expectedSize?: { width: number; height: number };
  options?: ResolvedCompareOptions;
  /** PNGs in the report folder (relative paths). */
  artifacts: { expected?: string; actual?: string; diff?: string; sideBySide?: string };
}

/** A cell's text output compared with its baseline (`--text`). */
export interface TextResult {
  status: BaselineStatus;
  ok: boolean;
  actual: string;
  expected?: string;
}

/** One cell. */
export interface CellResult {
  index: number;
  executionCount: number | null;
  source: string;
  /**
   * `passed`; `failed` (an image or text differs); `error` (raised, the kernel died or timed out in
   * it, or show()/freeze() failed inside: its outputs never update a baseline); `skipped`
   * (metadata skip: ran, not compared); `not-run` (after an error that stopped the notebook).
   */
  status: 'passed' | 'failed' | 'error' | 'skipped' | 'not-run';
  seconds: number;
  /** For `error`: what went wrong and the traceback (or the kernel's stderr). */
  error?: { message: string; traceback: string };
  images: ImageResult[];
  text?: TextResult;
}

/** One notebook. */
export interface NotebookResult {
  notebook: string;
  name: string;
  ok: boolean;
  seconds: number;
  /** Set when the notebook could not run to the end (kernel start failure, death, timeout) or its text baselines are unreadable. */
  error?: string;
  /** Set when `text.json` exists but cannot be read: it was neither compared nor rewritten. */
  textProblem?: string;
  cells: CellResult[];
  /** Baselines of cells that no longer exist or are no code cells (status `unmatched` or `removed`). */
  unmatched?: ImageResult[];
}

/** summary.json. */
export interface TestSummary {
  ok: boolean;
  adapterClass: string;
  updateMode: SnapshotUpdateMode;
  text: boolean;
  /**
   * `failedCells` counts cells whose code failed (status `error`); failed images and texts are
   * counted apart. `written`: baselines written or updated; `removed`: deleted under `--update all`.
   */
  counts: { notebooks: number; failedNotebooks: number; cells: number; failedCells: number; images: number; failedImages: number; failedTexts: number; written: number; removed: number };
  /** How to accept what failed (`--update changed`, `--update missing`, `--update all`), one line each. */
  hints: string[];
  notebooks: NotebookResult[];
}
