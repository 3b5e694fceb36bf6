// One image checked against its baseline file: compare, write or refuse the baseline per update
// mode, and on failure write expected / actual / diff / side-by-side PNGs to a results folder.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compareImages, type CompareOptions, type ComparisonResult } from './compare.js';
import { decodeImage, encodePng, type ImageInput } from './image.js';
import { checkBaselineOptionNames } from './snapshot-options.js';
import { baselineAction, type SnapshotUpdateMode } from './update-mode.js';

/** How a baseline check ended. */
export type BaselineStatus =
  /** Matched the baseline. */
  | 'passed'
  /** Differs from the baseline (or has another size), and the baseline was kept. */
  | 'failed'
  /** No baseline existed and the mode forbids writing one (`none`, the default under CI). */
  | 'missing'
  /** No baseline existed; it was written. */
  | 'written'
  /** A baseline existed and was rewritten (`all`, or `changed` after a mismatch). */
  | 'updated';

/** Paths of the PNGs written for a failed check. */
export interface Artifacts {
  expected?: string;
  actual: string;
  diff?: string;
  sideBySide?: string;
}

/** What {@link checkBaseline} did. */
export interface BaselineCheck {
  status: BaselineStatus;
  /** Whether this counts as passing (`passed`, `written`, `updated`). */
  ok: boolean;
  baselinePath: string;
  /** Present when a baseline existed and was compared. */
  comparison?: ComparisonResult;
  /** Present for `failed` and `missing` (and for every check with `alwaysWriteArtifacts`). */
  artifacts?: Artifacts;
}

/** Options of {@link checkBaseline}. */
export interface CheckBaselineOptions {
  baselinePath: string;
  /** Folder for artifacts; files are named `<artifactName>-expected.png` etc. */
  resultsDir: string;
  artifactName: string;
  mode: SnapshotUpdateMode;
  compare?: CompareOptions;
  /** Write the actual image (and, when compared, the others) even when the check passes. Default false. */
  alwaysWriteArtifacts?: boolean;
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function write(path: string, data: Buffer): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  return path;
}

/** Compares `actual` with the baseline file and acts per update mode. */
export async function checkBaseline(actual: ImageInput, o: CheckBaselineOptions): Promise<BaselineCheck> {
  checkBaselineOptionNames(o);
  const decoded = await decodeImage(actual, 'actual');
  const baseline = await readIfExists(o.baselinePath);
  const artifact = (kind: string): string => join(o.resultsDir, `${o.artifactName}-${kind}.png`);
  if (!baseline) {
    const action = baselineAction(o.mode, false, false);
    const png = await encodePng(decoded);
    if (action === 'write') {
      await write(o.baselinePath, png);
      const check: BaselineCheck = { status: 'written', ok: true, baselinePath: o.baselinePath };
      if (o.alwaysWriteArtifacts) check.artifacts = { actual: await write(artifact('actual'), png) };
      return check;
    }
    return { status: 'missing', ok: false, baselinePath: o.baselinePath, artifacts: { actual: await write(artifact('actual'), png) } };
  }
  const comparison = await compareImages(decoded, baseline, { ...o.compare, images: o.alwaysWriteArtifacts ? 'always' : 'failure' });
  const action = baselineAction(o.mode, true, comparison.pass);
  const check: BaselineCheck = {
    status: action === 'write' ? 'updated' : comparison.pass ? 'passed' : 'failed',
    ok: action === 'write' || comparison.pass,
    baselinePath: o.baselinePath, comparison,
  };
  if (action === 'write') await write(o.baselinePath, await encodePng(decoded));
  const images = comparison.images;
  if (images && (!check.ok || o.alwaysWriteArtifacts)) {
    check.artifacts = {
      expected: await write(artifact('expected'), images.expected),
      actual: await write(artifact('actual'), images.actual),
      ...(images.diff ? { diff: await write(artifact('diff'), images.diff) } : {}),
      sideBySide: await write(artifact('side-by-side'), images.sideBySide),
    };
  }
  return check;
}

/** One line about a comparison: counts, ratio and the limits in force. */
export function describeComparison(c: ComparisonResult): string {
  const o = c.options;
  const limits = `threshold ${o.threshold}, anti-aliasing ${o.ignoreAntialiasing ? 'ignored' : 'counted'}, `
    + `maxDiffPixels ${o.maxDiffPixels ?? '-'}, maxDiffPixelRatio ${o.maxDiffPixelRatio ?? '-'}`
    + `${o.mask.length ? `, ${o.mask.length} mask rectangle(s)` : ''}${o.includeAlpha ? ', alpha compared' : ''}`;
  if (c.sizeMismatch) {
    return `size mismatch: actual ${c.actualSize.width}x${c.actualSize.height}, expected ${c.expectedSize.width}x${c.expectedSize.height}`;
  }
  return `${c.diffPixels} of ${c.totalPixels} pixels differ (${(c.diffRatio * 100).toFixed(3)}%; ${c.allowedDiffPixels} allowed) [${limits}]`;
}
