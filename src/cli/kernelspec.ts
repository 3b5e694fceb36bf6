// Installing the "TypeScript (dawn-rfb)" kernelspec: tslab's kernel started through
// kernel-ext/launcher.cjs, with absolute paths (node and the launcher) so it works whatever is on
// PATH. Written as plain files, as `jupyter kernelspec install` would, so no Python is needed.
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DawnRfbError, InvalidArgumentError } from '../errors.js';

/** The kernelspec's name (its folder). */
export const KERNEL_NAME = 'dawn-rfb';
/** The name notebooks show. */
export const KERNEL_DISPLAY_NAME = 'TypeScript (dawn-rfb)';

/** Where to install: the user's Jupyter data dir, a prefix, or (default) the system's. */
export interface KernelspecLocation {
  user?: boolean;
  prefix?: string;
}

/** The kernel failed to install or uninstall; the message says where and why. */
export class KernelspecError extends DawnRfbError {}

/** The kernels folder a location means, as Jupyter looks it up. */
export function kernelsDir(where: KernelspecLocation): string {
  if (where.user && where.prefix !== undefined) throw new InvalidArgumentError('give either --user or --prefix, not both');
  if (where.prefix !== undefined) {
    if (where.prefix === '') throw new InvalidArgumentError('--prefix needs a folder');
    return join(where.prefix, 'share', 'jupyter', 'kernels');
  }
  if (where.user) {
    const data = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
    return join(process.platform === 'darwin' ? join(homedir(), 'Library') : data, 'jupyter', 'kernels');
  }
  return '/usr/local/share/jupyter/kernels';
}

/** The kernelspec JSON. */
export function kernelspec(): Record<string, unknown> {
  const launcher = fileURLToPath(new URL('../../kernel-ext/launcher.cjs', import.meta.url));
  return {
    argv: [process.execPath, launcher, '--config-path', '{connection_file}'],
    display_name: KERNEL_DISPLAY_NAME,
    language: 'typescript',
    // A kernel encodes frames for hours on libvips' threads; glibc's per-thread malloc arenas
    // then grow RSS by ~10% without a leak (bench/soak.mjs). Two arenas keep it flat, as sharp's
    // maintainers advise for long-running glibc processes; it must be set before node starts.
    env: { MALLOC_ARENA_MAX: '2' },
    metadata: { dawn_rfb: { launcher } },
  };
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir spins forever on some unwritable
 * trees (e.g. under /proc), and an install must fail, not hang.
 */
async function makeDirs(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(dir)).isDirectory()) return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
    await makeDirs(dirname(dir));
    await mkdir(dir);
  }
}

/** Installs the kernelspec; returns its folder. */
export async function installKernelspec(where: KernelspecLocation): Promise<string> {
  const dir = join(kernelsDir(where), KERNEL_NAME);
  try {
    await makeDirs(dir);
    await writeFile(join(dir, 'kernel.json'), JSON.stringify(kernelspec(), null, 2) + '\n');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KernelspecError(`cannot install the kernelspec into ${dir} (${code ?? (e as Error).message}); `
      + (where.user ? 'check that folder\'s permissions' : 'use --user, or --prefix with a folder you can write to'), { cause: e });
  }
  return dir;
}

/** Removes the kernelspec; returns its folder. */
export async function uninstallKernelspec(where: KernelspecLocation): Promise<string> {
  const dir = join(kernelsDir(where), KERNEL_NAME);
  try {
    await stat(join(dir, 'kernel.json'));
  } catch {
    throw new KernelspecError(`no ${KERNEL_NAME} kernelspec at ${dir}${where.user ? '' : where.prefix ? '' : ' (installed with --user or --prefix? pass the same option)'}`);
  }
  try {
    await rm(dir, { recursive: true });
  } catch (e) {
    throw new KernelspecError(`cannot remove ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  return dir;
}
