// The kernel extension (plain CommonJS) is type-checked against the declarations in src/ that it
// must match: the comm registry (KernelComms, KernelComm in src/remote/transport/comm-target.ts),
// the view target, the metadata names and the unknown-canvas refusal. They meet only at run time,
// through a `Symbol.for` key, so without this nothing would notice one side changing. Checked here
// as `npm run typecheck` checks it (tsconfig.kernel-ext.json), and shown to bite: copies of
// comms.cjs with one drift each must each fail with their own error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');
const tsc = join(root, 'node_modules', 'typescript', 'lib', 'tsc.js');
const scratch = mkdtempSync(join(tmpdir(), 'dawn-rfb-kernel-ext-types-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** tsc's output for `project` ('' when it type-checks). */
function typecheck(project: string): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (e) {
    const { stdout, stderr } = e as { stdout: string; stderr: string };
    return `${stdout}${stderr}` || String(e);
  }
}

test('kernel-ext/comms.cjs type-checks against src/ (what npm run typecheck runs)', () => {
  const source = readFileSync(join(root, 'kernel-ext', 'comms.cjs'), 'utf8');
  expect(source).toMatch(/^\/\/ @ts-check$/m);
  expect(source).toContain("import('../src/remote/transport/comm-target.js').KernelComm");
  expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.typecheck).toContain('-p tsconfig.kernel-ext.json');
  expect(typecheck('tsconfig.kernel-ext.json')).toBe('');
}, 120_000);

// One drift per copy: [file, the text replaced, its replacement, the error that must follow].
const DRIFTS: [string, string, string, RegExp][] = [
  ['target.cjs', "const VIEW_TARGET = 'dawn-rfb.view';", "const VIEW_TARGET = 'dawn-rfb.viewer';", /target\.cjs\(\d+,\d+\): error TS2322: Type '"dawn-rfb\.viewer"' is not assignable to type '"dawn-rfb\.view"'/],
  ['buffered.cjs', 'get bufferedAmount() {', 'get queuedAmount() {', /buffered\.cjs\(\d+,\d+\): error TS2420: Class 'Comm' incorrectly implements interface 'KernelComm'/],
  ['version.cjs', 'version: /** @type {const} */ (1),', 'version: /** @type {const} */ (2),', /version\.cjs\(\d+,\d+\): error TS2322:[^\n]*is not assignable to type 'KernelComms/],
  ['unregister.cjs', 'unregisterTarget(name) {', 'removeTarget(name) {', /unregister\.cjs\(\d+,\d+\): error TS2322:[\s\S]*?Property 'unregisterTarget' is missing/],
  ['handler.cjs', '() => open(comm, data, msg.buffers)', '() => open(comm, msg.buffers, data)', /handler\.cjs\(\d+,\d+\): error TS2345/],
  ['metadata.cjs', "const NO_STATUS = 'dawn_rfb_no_status';", "const NO_STATUS = 'dawn_rfb_nostatus';", /metadata\.cjs\(\d+,\d+\): error TS2322: Type '"dawn_rfb_nostatus"'/],
  ['reason.cjs', "const UNKNOWN_CANVAS_REASON = 'no such canvas in this kernel", "const UNKNOWN_CANVAS_REASON = 'no such canvas here", /reason\.cjs\(\d+,\d+\): error TS2322: Type '"no such canvas here/],
  ['code.cjs', 'const UNKNOWN_CANVAS_CODE = 4001;', 'const UNKNOWN_CANVAS_CODE = 4004;', /code\.cjs\(\d+,\d+\): error TS2322: Type '4004' is not assignable to type '4001'/],
];

test('a copy that drifts from the declarations fails, each with its own error', () => {
  const source = readFileSync(join(root, 'kernel-ext', 'comms.cjs'), 'utf8');
  // The copies sit where the original does relative to src/, so its import types resolve the same.
  mkdirSync(join(scratch, 'kernel-ext'));
  symlinkSync(join(root, 'src'), join(scratch, 'src'));
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
  for (const [file, from, to] of DRIFTS) {
    expect(source, `comms.cjs no longer contains ${JSON.stringify(from)}: update this test`).toContain(from);
    writeFileSync(join(scratch, 'kernel-ext', file), source.replace(from, to));
  }
  writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({
    extends: join(root, 'tsconfig.kernel-ext.json'),
    files: DRIFTS.map(([file]) => `kernel-ext/${file}`),
  }));
  const out = typecheck(join(scratch, 'tsconfig.json'));
  for (const [file, , , error] of DRIFTS) expect(out, file).toMatch(error);
}, 120_000);
