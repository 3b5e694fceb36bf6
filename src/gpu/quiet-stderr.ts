// Dawn prints two warnings on stderr whenever it sets up an adapter on lavapipe (and on Mesa's
// OpenGL ES): "maxDynamicUniformBuffersPerPipelineLayout artificially reduced from ... to 16"
// and the same for storage buffers. They come from dawn::WarningLog() in Dawn's NormalizeLimits,
// unconditionally, with no toggle or instance option to turn them off, and they are printed
// while the adapter is discovered (inside the synchronous part of requestAdapter), so no limit
// asked for in requestDevice can avoid them. They only say that Dawn caps a limit at its own
// maximum. We silence exactly those two lines: while Dawn discovers the adapter, file descriptor
// 2 points at a temporary file (dup/dup2 through the optional `koffi` FFI package); afterwards
// everything else Dawn or a driver wrote there is passed on to the real stderr.
import { closeSync, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The lines removed from stderr while an adapter is set up. */
export const DAWN_LIMIT_WARNING = /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?\n/gm;

interface Libc {
  dup(fd: number): number;
  dup2(fd: number, fd2: number): number;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux' || process.env.DAWN_RFB_DAWN_WARNINGS === '1') return libc;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(signature: string): (...args: number[]) => number };
    };
    const lib = koffi.load('libc.so.6');
    const dup = lib.func('int dup(int)');
    const dup2 = lib.func('int dup2(int, int)');
    libc = { dup: (fd) => dup(fd), dup2: (a, b) => dup2(a, b) };
  } catch {
    // koffi missing (it is optional) or no glibc: Dawn's warnings stay visible, nothing else changes.
  }
  return libc;
}

/**
 * Runs `fn` (synchronous: Dawn prints while the call runs) with Dawn's two limit warnings
 * removed from stderr; anything else written to stderr meanwhile is passed on afterwards.
 */
export function withoutDawnLimitWarnings<T>(fn: () => T): T {
  const c = loadLibc();
  if (!c) return fn();
  const path = join(tmpdir(), `dawn-rfb-stderr-${process.pid}-${Date.now()}`);
  let capture: number;
  try {
    capture = openSync(path, 'w+', 0o600);
    unlinkSync(path);
  } catch {
    return fn();
  }
  const saved = c.dup(2);
  if (saved < 0 || c.dup2(capture, 2) < 0) {
    if (saved >= 0) closeSync(saved);
    closeSync(capture);
    return fn();
  }
  try {
    return fn();
  } finally {
    c.dup2(saved, 2);
    closeSync(saved);
    passOn(capture);
  }
}

/** Writes what was captured, less Dawn's two lines, to the real stderr; never throws. */
function passOn(capture: number): void {
  let rest = '';
  try {
    const size = fstatSync(capture).size;
    const text = Buffer.alloc(size);
    if (size > 0) readSync(capture, text, 0, size, 0);
    rest = text.toString('utf8').replace(DAWN_LIMIT_WARNING, '');
  } catch {
    // nothing readable: nothing to pass on
  } finally {
    closeSync(capture);
  }
  if (!rest) return;
  try {
    writeSync(2, rest);
  } catch {
    // fd 2 may be a non-blocking pipe that is full right now: let Node's stream queue it.
    process.stderr.write(rest);
  }
}
