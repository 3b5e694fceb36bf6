// Where the vitest matcher keeps baselines and writes artifacts.
import { basename, dirname, join, relative } from 'node:path';

/** Environment variable for the artifacts folder (default `test-results/image-snapshots` under the working folder). */
export const RESULTS_DIR_ENV = 'DAWN_RFB_RESULTS_DIR';

/** A file-name-safe form of a test or image name. */
export function safeName(name: string): string {
  return name.trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120) || 'image';
}

/** `<test folder>/__image_snapshots__/<adapter class>/<test file>/<name>.png` */
export function baselinePathFor(testPath: string, adapterClass: string, name: string, baselineDir?: string): string {
  const root = baselineDir ?? join(dirname(testPath), '__image_snapshots__');
  return join(root, adapterClass, basename(testPath), `${name}.png`);
}

/** `<results>/<adapter class>/<test file relative to cwd>/` */
export function resultsDirFor(testPath: string, adapterClass: string, resultsDir?: string): string {
  const root = resultsDir ?? process.env[RESULTS_DIR_ENV] ?? join(process.cwd(), 'test-results', 'image-snapshots');
  const rel = relative(process.cwd(), testPath);
  return join(root, adapterClass, rel.startsWith('..') ? basename(testPath) : rel);
}
