// The option names of the testing tools' options objects (toMatchImageSnapshot, checkBaseline,
// testNotebooks), kept here and checked by the compiler against their interfaces, so each tool
// rejects a misspelled option with one call of the shared check (src/options-check.ts).
import { checkOptionNames, optionNames } from '../options-check.js';
import type { CheckBaselineOptions } from './baseline.js';
import { COMPARE_OPTION_NAMES, type CompareOptions } from './compare.js';
import type { TestNotebooksOptions } from './notebook/index.js';
import type { ImageSnapshotOptions } from './vitest.js';

const IMAGE_SNAPSHOT_OPTION_NAMES = [
  ...COMPARE_OPTION_NAMES.filter((name) => name !== 'images'),
  ...optionNames<Omit<ImageSnapshotOptions, keyof CompareOptions>>({ name: true, adapterClass: true, updateMode: true, baselineDir: true, resultsDir: true }),
];
const CHECK_BASELINE_OPTION_NAMES = optionNames<CheckBaselineOptions>({
  baselinePath: true, resultsDir: true, artifactName: true, mode: true, compare: true, alwaysWriteArtifacts: true, removeStaleArtifacts: true,
});
const TEST_NOTEBOOKS_OPTION_NAMES = optionNames<TestNotebooksOptions>({
  update: true, report: true, timeout: true, text: true, sanitize: true, adapterClass: true, progress: true, env: true, jobs: true,
});

/** Rejects unknown toMatchImageSnapshot options. @throws {InvalidArgumentError} naming the closest valid one. */
export function checkImageSnapshotOptions(options: unknown): void {
  checkOptionNames('toMatchImageSnapshot', options, IMAGE_SNAPSHOT_OPTION_NAMES);
}

/** Rejects unknown checkBaseline options. */
export function checkBaselineOptionNames(options: unknown): void {
  checkOptionNames('checkBaseline', options, CHECK_BASELINE_OPTION_NAMES);
}

/** Rejects unknown testNotebooks options. */
export function checkTestNotebooksOptions(options: unknown): void {
  checkOptionNames('testNotebooks', options, TEST_NOTEBOOKS_OPTION_NAMES);
}
