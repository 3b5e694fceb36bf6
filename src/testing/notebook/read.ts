// Finding and reading notebooks: files or folders in, parsed nbformat 4 notebooks out, with a
// clear error for anything else (checked before any kernel starts).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { resolveCompareOptions, type CompareOptions, type MaskRect } from '../compare.js';

/** A notebook cell as far as testing needs it. */
export interface NotebookCell {
  cell_type: string;
  source: string;
  /** The cell's `metadata.dawn_rfb` (see {@link CellTestOptions}). */
  test: CellTestOptions;
}

/**
 * Per-cell control, in the cell's metadata under `dawn_rfb`:
 * `{"dawn_rfb": {"skip": true}}` runs the cell but compares none of its outputs;
 * `threshold`, `maxDiffPixels`, `maxDiffPixelRatio`, `mask` (rectangles `{x, y, width, height}`)
 * and `ignoreAntialiasing` apply to its images; `text: false` leaves its text out of `--text`.
 */
export interface CellTestOptions extends Pick<CompareOptions, 'threshold' | 'maxDiffPixels' | 'maxDiffPixelRatio' | 'ignoreAntialiasing'> {
  skip?: boolean;
  mask?: MaskRect[];
  text?: boolean;
}

/** A parsed notebook. */
export interface Notebook {
  path: string;
  cells: NotebookCell[];
}

/** A path that is not a notebook, a folder with none, or a notebook that cannot be parsed. */
export class NotebookInputError extends InvalidArgumentError {}

const ALLOWED_KEYS = ['skip', 'threshold', 'maxDiffPixels', 'maxDiffPixelRatio', 'ignoreAntialiasing', 'mask', 'text'];

function cellOptions(path: string, index: number, meta: unknown): CellTestOptions {
  if (meta === undefined) return {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new NotebookInputError(`${path}: cell ${index}: metadata.dawn_rfb must be an object with any of ${ALLOWED_KEYS.join(', ')}`);
  }
  for (const key of Object.keys(meta)) {
    if (!ALLOWED_KEYS.includes(key)) throw new NotebookInputError(`${path}: cell ${index}: unknown metadata.dawn_rfb key "${key}"; allowed: ${ALLOWED_KEYS.join(', ')}`);
  }
  const o = meta as Record<string, unknown>;
  for (const key of ['skip', 'text', 'ignoreAntialiasing']) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      throw new NotebookInputError(`${path}: cell ${index}: metadata.dawn_rfb.${key} must be true or false, got ${JSON.stringify(o[key])}`);
    }
  }
  // The compare options are checked now, with compareImages' own rules, not after every notebook ran.
  try {
    resolveCompareOptions({ threshold: o.threshold, maxDiffPixels: o.maxDiffPixels, maxDiffPixelRatio: o.maxDiffPixelRatio, mask: o.mask } as CompareOptions);
  } catch (e) {
    throw new NotebookInputError(`${path}: cell ${index}: metadata.dawn_rfb: ${(e as Error).message}`);
  }
  return meta as CellTestOptions;
}

/** Parses notebook JSON text. */
export function parseNotebook(path: string, text: string): Notebook {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NotebookInputError(`${path}: not a notebook: the file is not JSON (${(e as Error).message})`);
  }
  const nb = json as { nbformat?: unknown; cells?: unknown };
  if (typeof nb !== 'object' || nb === null || !Array.isArray(nb.cells)) {
    throw new NotebookInputError(`${path}: not a notebook: expected nbformat 4 JSON with a "cells" array`);
  }
  if (nb.nbformat !== 4) throw new NotebookInputError(`${path}: nbformat ${String(nb.nbformat)} is not supported; save it as nbformat 4`);
  const cells = (nb.cells as unknown[]).map((c, i): NotebookCell => {
    const cell = c as { cell_type?: unknown; source?: unknown; metadata?: { dawn_rfb?: unknown } };
    const source = Array.isArray(cell?.source) ? cell.source.join('') : cell?.source;
    if (typeof cell?.cell_type !== 'string' || typeof source !== 'string') {
      throw new NotebookInputError(`${path}: cell ${i} has no cell_type or source`);
    }
    return { cell_type: cell.cell_type, source, test: cellOptions(path, i, cell.metadata?.dawn_rfb) };
  });
  return { path, cells };
}

/** Reads a notebook file. */
export async function readNotebook(path: string): Promise<Notebook> {
  return parseNotebook(path, await readFile(path, 'utf8'));
}

/**
 * The notebooks that paths name: each file as given, each folder's `*.ipynb` (sorted, not
 * recursive, checkpoints left out).
 * @throws {NotebookInputError} for a missing path, a file that is not .ipynb, a folder without notebooks.
 */
export async function findNotebooks(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) throw new NotebookInputError('give one or more notebooks or folders of notebooks');
  const found: string[] = [];
  for (const p of paths) {
    const full = resolve(p);
    let info;
    try {
      info = await stat(full);
    } catch {
      throw new NotebookInputError(`${p}: no such file or folder`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(full)).filter((n) => n.endsWith('.ipynb') && !n.startsWith('.')).sort();
      if (names.length === 0) throw new NotebookInputError(`${p}: the folder has no .ipynb notebooks`);
      found.push(...names.map((n) => join(full, n)));
    } else if (full.endsWith('.ipynb')) {
      found.push(full);
    } else {
      throw new NotebookInputError(`${p}: not a notebook (expected a .ipynb file or a folder of them)`);
    }
  }
  return [...new Set(found)];
}
