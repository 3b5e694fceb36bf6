// One image checked against its baseline file: compare, write or refuse the baseline per update
// mode, and on failure write expected / actual / diff / side-by-side PNGs to a results folder.
// A baseline that cannot be read is a failed check (it comes from a pull request: never a crash
// of the whole run), rewritten only under a mode that rewrites baselines, and then said so.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compareImages, type CompareOptions, type ComparisonImages, type ComparisonResult } from './compare.js';
import { ImageDecodeError } from './errors.js';
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
  /** A baseline existed and was rewritten (`all`, or `changed` after a mismatch or an unreadable baseline). */
  | 'updated'
  /** A baseline file exists but cannot be read or decoded (corrupt, too large, a folder), and the mode keeps it. */
  | 'unreadable';

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
  /** Present for `failed`, `missing` and `unreadable` (and for every check with `alwaysWriteArtifacts`). */
  artifacts?: Artifacts;
  /** Why the existing baseline could not be used (`unreadable`, or `updated` over an unreadable one). */
  problem?: string;
}

/** The kinds of artifact file, as in `<artifactName>-<kind>.png`. */
export const ARTIFACT_KINDS = ['expected', 'actual', 'diff', 'side-by-side'] as const;

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
  /**
   * When the check passes (or writes the baseline), delete this image's artifacts left by an
   * earlier failing run (only `<artifactName>-{expected,actual,diff,side-by-side}.png` in
   * `resultsDir`). Default false.
   */
  removeStaleArtifacts?: boolean;
}

type Read = { bytes: Buffer } | { missing: true } | { problem: string };

async function readBaseline(path: string): Promise<Read> {
  try {
    return { bytes: await readFile(path) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { problem: `cannot read it: ${(e as Error).message}` };
  }
}

async function write(path: string, data: Buffer): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  return path;
}

async function removeArtifacts(o: CheckBaselineOptions): Promise<void> {
  await Promise.all(ARTIFACT_KINDS.map((kind) => rm(join(o.resultsDir, `${o.artifactName}-${kind}.png`), { force: true })));
}

async function writeImages(images: ComparisonImages, artifact: (kind: string) => string): Promise<Artifacts> {
  return {
    expected: await write(artifact('expected'), images.expected),
    actual: await write(artifact('actual'), images.actual),
    ...(images.diff ? { diff: await write(artifact('diff'), images.diff) } : {}),
    sideBySide: await write(artifact('side-by-side'), images.sideBySide),
  };
}

/** Compares `actual` with the baseline file and acts per update mode. */
export async function checkBaseline(actual: ImageInput, o: CheckBaselineOptions): Promise<BaselineCheck> {
  checkBaselineOptionNames(o);
  const decoded = await decodeImage(actual, 'actual', o.compare);
  const read = await readBaseline(o.baselinePath);
  const artifact = (kind: string): string => join(o.resultsDir, `${o.artifactName}-${kind}.png`);
  const png = async (): Promise<Buffer> => encodePng(decoded);
  let comparison: ComparisonResult | undefined;
  let problem = 'problem' in read ? read.problem : undefined;
  if ('bytes' in read) {
    try {
      comparison = await compareImages(decoded, read.bytes, { ...o.compare, images: o.alwaysWriteArtifacts ? 'always' : 'failure' });
    } catch (e) {
      if (!(e instanceof ImageDecodeError)) throw e;
      problem = e.message.replace(/^expected: /, '');
    }
  }
  const exists = !('missing' in read);
  // An unreadable baseline counts as one that does not match: `changed` and `all` rewrite it.
  const action = baselineAction(o.mode, exists, comparison?.pass ?? false);
  const base = { baselinePath: o.baselinePath, ...(comparison ? { comparison } : {}), ...(problem ? { problem } : {}) };
  if (action === 'write') {
    const bytes = await png();
    await write(o.baselinePath, bytes);
    const check: BaselineCheck = { status: exists ? 'updated' : 'written', ok: true, ...base };
    if (o.alwaysWriteArtifacts) check.artifacts = comparison?.images ? await writeImages(comparison.images, artifact) : { actual: await write(artifact('actual'), bytes) };
    else if (o.removeStaleArtifacts) await removeArtifacts(o);
    return check;
  }
  if (!comparison) {
    return { status: exists ? 'unreadable' : 'missing', ok: false, ...base, artifacts: { actual: await write(artifact('actual'), await png()) } };
  }
  const check: BaselineCheck = { status: comparison.pass ? 'passed' : 'failed', ok: comparison.pass, ...base };
  const images = comparison.images;
  if (images && (!check.ok || o.alwaysWriteArtifacts)) {
    check.artifacts = await writeImages(images, artifact);
  } else if (check.ok && o.removeStaleArtifacts) {
    await removeArtifacts(o);
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
