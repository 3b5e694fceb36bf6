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
  status: BaselineStatus;
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
  /** `passed`; `failed` (an image or text differs); `error` (raised, or the kernel died or timed out in it); `skipped` (metadata skip: ran, not compared); `not-run` (after an error). */
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
  /** Set when the notebook could not run to the end (kernel start failure, death, timeout). */
  error?: string;
  cells: CellResult[];
}

/** summary.json. */
export interface TestSummary {
  ok: boolean;
  adapterClass: string;
  updateMode: SnapshotUpdateMode;
  text: boolean;
  counts: { notebooks: number; failedNotebooks: number; cells: number; failedCells: number; images: number; failedImages: number; written: number };
  notebooks: NotebookResult[];
}
