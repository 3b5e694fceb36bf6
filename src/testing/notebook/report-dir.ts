// The report folder may be one the user keeps other files in (`--report .`), so the tool deletes
// only what it wrote itself: every folder it writes into holds a manifest, `.dawn-rfb-report.json`,
// naming the files it wrote there (plain names, no paths). Before a run only those are deleted,
// never a folder and never anything outside it; a folder it did not make is not written into, and
// a file it did not write is never overwritten. Checked before any kernel starts. A report of an
// earlier version (no manifests; its summary.json names what it wrote) is adopted: manifests
// are made from that summary, so upgrading does not stop CI on an old report folder.
import { lstat, mkdir, readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { NotebookInputError } from './read.js';

/** The manifest file in each folder the report writes into. */
export const REPORT_MANIFEST = '.dawn-rfb-report.json';
/** The report's own files at its top level. */
export const REPORT_FILES = ['index.html', 'summary.json'] as const;

const SAFE_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]+$/;

interface Manifest {
  writtenBy: 'dawn-rfb test-notebooks';
  files: string[];
}

/** What a manifest says; `undefined` when there is none or it is not one of ours. */
async function readManifest(dir: string): Promise<Set<string> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, REPORT_MANIFEST), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const json = JSON.parse(text) as Partial<Manifest>;
    if (json.writtenBy !== 'dawn-rfb test-notebooks' || !Array.isArray(json.files)) return undefined;
    // Names only: whatever a manifest says, nothing outside its own folder is ever named.
    return new Set(json.files.filter((f): f is string => typeof f === 'string' && SAFE_NAME.test(f) && f !== REPORT_MANIFEST));
  } catch {
    return undefined;
  }
}

async function kind(path: string): Promise<'none' | 'dir' | 'file' | 'other'> {
  try {
    const s = await lstat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw e;
  }
}

async function saveManifest(dir: string, files: Iterable<string>): Promise<void> {
  const manifest: Manifest = { writtenBy: 'dawn-rfb test-notebooks', files: [...files].sort() };
  await writeFile(join(dir, REPORT_MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
}

interface LegacySummary {
  counts: object;
  notebooks: { name: string; cells: { images: { artifacts: Record<string, string | undefined> }[] }[] }[];
}

/**
 * A report folder written before manifests existed: its summary.json (in the shape of
 * `TestSummary`) lists the notebook folders and the images it wrote. Makes manifests for exactly
 * those files; does nothing where a manifest exists or the summary is not one.
 */
export async function adoptLegacyReport(reportDir: string): Promise<void> {
  if ((await readManifest(reportDir)) !== undefined) return;
  let summary: LegacySummary;
  try {
    summary = JSON.parse(await readFile(join(reportDir, 'summary.json'), 'utf8')) as LegacySummary;
    if (typeof summary.counts !== 'object' || !Array.isArray(summary.notebooks)) return;
  } catch {
    return;
  }
  const files = new Map<string, Set<string>>();
  for (const n of summary.notebooks) {
    if (typeof n?.name !== 'string' || !SAFE_NAME.test(n.name) || !Array.isArray(n.cells)) continue;
    const set = files.get(n.name) ?? new Set<string>();
    files.set(n.name, set);
    for (const c of n.cells) {
      for (const i of Array.isArray(c?.images) ? c.images : []) {
        for (const a of Object.values(i?.artifacts ?? {})) {
          const [folder, file, ...rest] = typeof a === 'string' ? a.split('/') : [];
          if (folder === n.name && file !== undefined && rest.length === 0 && SAFE_NAME.test(file)) set.add(file);
        }
      }
    }
  }
  for (const [name, set] of files) {
    const dir = join(reportDir, name);
    if ((await kind(dir)) === 'dir' && (await readManifest(dir)) === undefined) await saveManifest(dir, set);
  }
  const own = [];
  for (const f of REPORT_FILES) if ((await kind(join(reportDir, f))) === 'file') own.push(f);
  await saveManifest(reportDir, own);
}

/** One folder of the report, with the files the tool wrote there. */
export class ReportFolder {
  readonly dir: string;
  #owned: Set<string>;
  /** Files present after cleaning that the tool did not write: never overwritten. */
  #foreign = new Set<string>();

  private constructor(dir: string, owned: Set<string>) {
    this.dir = dir;
    this.#owned = owned;
  }

  /**
   * Opens a folder for the report. `requireOwned`: a folder that exists must hold our manifest
   * (or be empty), else the run is refused, since its files are someone else's.
   * @throws {NotebookInputError} for a folder that is not ours, or a path that is a file or a link.
   */
  static async open(dir: string, requireOwned: boolean): Promise<ReportFolder> {
    const k = requireOwned ? await kind(dir) : 'dir';
    if (k === 'none') return new ReportFolder(dir, new Set());
    if (k !== 'dir') throw new NotebookInputError(`report folder ${dir} exists and is not a folder; the report writes nothing there: rename the notebook or choose another --report folder`);
    const owned = await readManifest(dir);
    if (!owned && requireOwned && (await readdir(dir)).length > 0) {
      throw new NotebookInputError(`report folder ${dir} exists and was not made by dawn-rfb test-notebooks (it has no ${REPORT_MANIFEST}); its files are left alone: move it, rename the notebook or choose another --report folder`);
    }
    return new ReportFolder(dir, owned ?? new Set());
  }

  /** Refuses (before anything runs) to overwrite `names` if they exist and were not written by the tool. */
  async checkWritable(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const k = await kind(join(this.dir, name));
      if (k !== 'none' && !(k === 'file' && this.#owned.has(name))) {
        throw new NotebookInputError(`${join(this.dir, name)} exists and was not written by dawn-rfb test-notebooks; it is left alone: choose another --report folder`);
      }
    }
  }

  /** Deletes the files the tool wrote here before (plain files only), and notes what else is here. */
  async clean(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of this.#owned) {
      if ((await kind(join(this.dir, name))) === 'file') await unlink(join(this.dir, name));
    }
    this.#owned = new Set();
    this.#foreign = new Set((await readdir(this.dir)).filter((n) => n !== REPORT_MANIFEST));
    await this.#save();
  }

  /** Whether a file of this name is here and not the tool's (so it must not be written). */
  isForeign(name: string): boolean {
    return this.#foreign.has(name);
  }

  /** Records files the tool wrote in this folder (absolute paths or names) in its manifest. */
  async record(paths: readonly string[]): Promise<void> {
    for (const p of paths) this.#owned.add(basename(p));
    await this.#save();
  }

  /** Writes one file here (refused when someone else's file has the name) and records it. */
  async write(name: string, data: string | Buffer): Promise<string> {
    if (this.#foreign.has(name)) throw new NotebookInputError(`${join(this.dir, name)} exists and was not written by dawn-rfb test-notebooks; not overwritten`);
    const path = join(this.dir, name);
    await writeFile(path, data);
    await this.record([name]);
    return path;
  }

  async #save(): Promise<void> {
    await saveManifest(this.dir, this.#owned);
  }
}
