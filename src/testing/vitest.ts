// `dawn-rfb/vitest`: expect(image).toMatchImageSnapshot(). Importing this module registers the
// matcher. vitest is imported only here, so the main entry never depends on it.
import { expect } from 'vitest';
import { CanvasBase } from '../canvas/base.js';
import { InvalidArgumentError } from '../errors.js';
import { deviceSummary } from '../gpu/device.js';
import { ADAPTER_CLASS_ENV, adapterClassOf, checkAdapterClass, currentAdapterClass } from './adapter-class.js';
import { checkBaseline, describeComparison, type BaselineCheck } from './baseline.js';
import type { CompareOptions } from './compare.js';
import type { ImageInput } from './image.js';
import { baselinePathFor, resultsDirFor, safeName } from './snapshot-paths.js';
import { checkImageSnapshotOptions } from './snapshot-options.js';
import { resolveUpdateMode, UPDATE_MODE_ENV, type SnapshotUpdateMode } from './update-mode.js';

/** Options of `toMatchImageSnapshot`: a name, where things go, and the compare options. */
export interface ImageSnapshotOptions extends Omit<CompareOptions, 'images'> {
  /** Baseline name (file name without `.png`). Default: the test's name and a counter (`-1`, `-2`, ... per call in the test). */
  name?: string;
  /**
   * Adapter class folder. Default: env `DAWN_RFB_ADAPTER_CLASS`, else derived from the adapter
   * (e.g. `software-mesa-vulkan`): a canvas's own device's, else the one `getDefaultDevice()` uses.
   */
  adapterClass?: string;
  /**
   * Default: env `DAWN_RFB_UPDATE_SNAPSHOTS`, else `changed` under `vitest -u`, else `none` under
   * `CI=true`, else `missing`.
   */
  updateMode?: SnapshotUpdateMode;
  /** Baselines root. Default `__image_snapshots__` beside the test file. */
  baselineDir?: string;
  /** Artifacts root. Default env `DAWN_RFB_RESULTS_DIR`, else `test-results/image-snapshots`. */
  resultsDir?: string;
}

/** What `toMatchImageSnapshot` accepts: image bytes, raw RGBA pixels, or a canvas (one frame is drawn). */
export type ImageSnapshotInput = ImageInput | CanvasBase;

interface Drawable { draw(): Promise<ImageInput> }
interface Snapshottable { forceDraw(): Promise<void>; snapshot(): Promise<Uint8Array> }

/** Draws one frame of a canvas, or passes image input through. */
async function toImage(received: ImageSnapshotInput): Promise<ImageInput> {
  if (!(received instanceof CanvasBase)) return received;
  // An OffscreenCanvas returns pixels from draw(); a RemoteCanvas draws and gives its PNG.
  if (typeof (received as unknown as Drawable).draw === 'function') return (received as unknown as Drawable).draw();
  const remote = received as unknown as Snapshottable;
  if (typeof remote.snapshot === 'function') {
    await remote.forceDraw();
    return remote.snapshot();
  }
  throw new InvalidArgumentError('toMatchImageSnapshot: this canvas has neither draw() nor snapshot(); give an OffscreenCanvas, a RemoteCanvas or image data');
}

const counters = new Map<string, number>();
/**
 * Baseline path -> who uses it, per test file: names are made file-safe (`square/red` and
 * `square red` both become `square-red`), so two tests could share a file and overwrite each
 * other's baseline under -u. The second one to ask gets an error naming both.
 */
const owners = new Map<string, { test: string; identity: string }>();

/** Records who uses a baseline; an explicit name may be shared, an unnamed snapshot belongs to one test. */
function claim(baselinePath: string, test: string, identity: string): void {
  const owner = owners.get(baselinePath);
  const key = identity.startsWith('name ') ? identity : `${identity}\u0000${test}`;
  if (!owner) {
    owners.set(baselinePath, { test, identity: key });
  } else if (owner.identity !== key) {
    const who = (id: string, t: string): string => `${id.split('\u0000')[0]!} in test ${JSON.stringify(t)}`;
    throw new InvalidArgumentError(`toMatchImageSnapshot: ${who(key, test)} and ${who(owner.identity, owner.test)} map to the same baseline file ${baselinePath}; give one of them a distinct { name }`);
  }
}

function vitestUpdateMode(state: unknown): SnapshotUpdateMode | undefined {
  // vitest's SnapshotState keeps `-u` as _updateSnapshot === 'all' (private, stable since vitest 0.x).
  const update = (state as { snapshotState?: { _updateSnapshot?: string } }).snapshotState?._updateSnapshot;
  return update === 'all' ? 'changed' : undefined;
}

function message(check: BaselineCheck, adapterClass: string, mode: SnapshotUpdateMode): string {
  const lines: string[] = [];
  if (check.status === 'unreadable') {
    lines.push(`the baseline image ${check.baselinePath} (adapter class ${adapterClass}) is unreadable: ${check.problem ?? ''}`,
      `  update mode "${mode}" keeps it; to replace it with this image: run vitest -u, or set ${UPDATE_MODE_ENV}=changed`);
  } else if (check.status === 'missing') {
    lines.push(`expected a baseline image at ${check.baselinePath} (adapter class ${adapterClass}), but there is none`,
      `  update mode "${mode}" does not write baselines${process.env.CI ? ' (CI is set: missing baselines fail)' : ''}`,
      `  to create it: run vitest -u, or set ${UPDATE_MODE_ENV}=missing`);
  } else {
    lines.push(`expected image to ${check.status === 'passed' ? 'differ from' : 'match'} baseline ${check.baselinePath} (adapter class ${adapterClass})`,
      `  ${check.comparison ? describeComparison(check.comparison) : ''}`,
      `  to accept the new image: run vitest -u, or set ${UPDATE_MODE_ENV}=changed`);
  }
  const a = check.artifacts;
  if (a) {
    lines.push('  artifacts:');
    for (const [k, v] of Object.entries(a)) if (v) lines.push(`    ${k.padEnd(11)} ${v}`);
  }
  return lines.join('\n');
}

/** The matcher function (exported for `expect.extend` in setups that import matchers explicitly). */
export async function toMatchImageSnapshot(this: { isNot: boolean; testPath?: string; currentTestName?: string }, received: ImageSnapshotInput, options: ImageSnapshotOptions = {}): Promise<{ pass: boolean; message: () => string }> {
  if (this.isNot) throw new InvalidArgumentError('toMatchImageSnapshot cannot be negated (.not); compare with compareImages() instead');
  const testPath = this.testPath;
  if (!testPath) throw new InvalidArgumentError('toMatchImageSnapshot must run inside a vitest test (no test file known)');
  checkImageSnapshotOptions(options);
  const { name, adapterClass: forcedClass, updateMode, baselineDir, resultsDir, ...compare } = options;
  // A canvas knows its device, hence its adapter; image data gets the default adapter's class.
  const canvasDevice = received instanceof CanvasBase ? received.getContext().getConfiguration()?.device : undefined;
  const canvasSummary = canvasDevice && !process.env[ADAPTER_CLASS_ENV] ? deviceSummary(canvasDevice) : undefined;
  const adapterClass = forcedClass !== undefined ? checkAdapterClass(forcedClass)
    : canvasSummary ? adapterClassOf(canvasSummary) : await currentAdapterClass();
  const mode = resolveUpdateMode(updateMode ?? (process.env[UPDATE_MODE_ENV] ? undefined : vitestUpdateMode(expect.getState())));
  const testName = this.currentTestName ?? '';
  let imageName: string;
  let identity: string;
  if (name !== undefined) {
    if (typeof name !== 'string' || name.trim() === '') throw new InvalidArgumentError(`name must be a non-empty string, got ${JSON.stringify(name)}`);
    imageName = safeName(name);
    identity = `name ${JSON.stringify(name)}`;
  } else {
    const key = `${testPath}\u0000${testName}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    imageName = `${safeName(testName || 'image')}-${n}`;
    identity = `unnamed snapshot ${n}`;
  }
  const baselinePath = baselinePathFor(testPath, adapterClass, imageName, baselineDir);
  claim(baselinePath, testName, identity);
  const check = await checkBaseline(await toImage(received), {
    baselinePath, resultsDir: resultsDirFor(testPath, adapterClass, resultsDir),
    artifactName: imageName, mode, compare, removeStaleArtifacts: true,
  });
  // A pass shows only a tick: say when a baseline file was written, so a reviewer knows to look at it.
  if (check.status === 'written' || check.status === 'updated') {
    console.log(`toMatchImageSnapshot: baseline ${check.status}${check.problem ? ` (it was unreadable: ${check.problem})` : ''}: ${baselinePath}`);
  }
  return { pass: check.ok, message: () => message(check, adapterClass, mode) };
}

expect.extend({ toMatchImageSnapshot });

interface ImageSnapshotMatchers<R = unknown> {
  /**
   * Compares an image (PNG/JPEG bytes, raw RGBA pixels, or a canvas: one frame is drawn) with its
   * baseline beside the test file, per adapter class. Async: `await expect(x).toMatchImageSnapshot()`.
   */
  toMatchImageSnapshot(options?: ImageSnapshotOptions): Promise<R>;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface Matchers<T = any> extends ImageSnapshotMatchers<void> {}
}

export { compareImages, type CompareOptions, type ComparisonResult, type MaskRect } from './compare.js';
export { SNAPSHOT_UPDATE_MODES, type SnapshotUpdateMode } from './update-mode.js';
