// Every benchmark script's command line (bench/cli-args.mjs): --help prints its usage and exits
// 0; an unknown option or a bad value says what was wrong and what is allowed, with the usage,
// and exits 2 before anything is started (a typo must not bring up the GPU, a browser or a
// Jupyter server: the bad-value runs here finish in well under the time a Jupyter start takes).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const bench = (name: string) => resolve(import.meta.dirname, '..', 'bench', name);

interface Result { code: number; stdout: string; stderr: string }

async function runScript(script: string, args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bench(script), ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

// [script, what its messages are prefixed with, its usage's first words, bad values and the message each gives]
const SCRIPTS: [string, string, string, [string[], RegExp][]][] = [
  ['pipeline.mjs', 'bench', 'Usage: npm run bench', [
    [['--seconds', 'abc'], /--seconds: expected a number > 0, got "abc"/],
    [['--adaptive', 'maybe'], /--adaptive: unknown "maybe"; valid: on, off/],
    [['--soak=-1'], /--soak: expected a whole number >= 0, got "-1"/],
    [['--links', '5mb'], /--links: bad link "5mb": write RATE\(k\|m\)bit\/RTTms/],
  ]],
  ['quality.mjs', 'bench:quality', 'Usage: npm run bench:quality', [
    [['--sizes', '1279x720'], /--sizes: bad size "1279x720"; write WIDTHxHEIGHT with sides from 16 to 16384, both even/],
    [['--scenes', 'teapot'], /--scenes: unknown "teapot"; valid: cube, chart, noise, mesh/],
    [['--frames', '1.5'], /--frames: expected a whole number >= 1, got "1.5"/],
  ]],
  ['transports.mjs', 'bench:transports', 'Usage: npm run bench:transports', [
    [['--comm', 'carrier-pigeon'], /--comm: unknown "carrier-pigeon"; valid: widget, iopub, plain/],
    [['--server', 'lab'], /--server: unknown "lab"; valid: notebook, jupyter_server/],
    [['--buffered', '0'], /--buffered: expected a whole number >= 1, got "0"/],
  ]],
  ['readback.mjs', 'bench/readback', 'Usage: node bench/readback.mjs', [
    [['--sizes', '640x'], /--sizes: bad size "640x"/],
    [['--frames', 'lots'], /--frames: expected a whole number >= 1, got "lots"/],
  ]],
  ['resources.mjs', 'bench:resources', 'Usage: npm run bench:resources', [
    [['--updates', '500'], /--updates: at most 200, got 500/],
    [['--items', '0'], /--items: expected a whole number >= 1, got "0"/],
  ]],
  ['soak.mjs', 'bench:soak', 'Usage: npm run bench:soak', [
    [['--frames', '10'], /--frames: expected a whole number >= 2000, got "10"/],
    [['--size', 'huge'], /--size: bad size "huge"/],
  ]],
];

describe.each(SCRIPTS)('bench/%s', (script, prefix, usage, bad) => {
  test('--help and -h print the usage and exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await runScript(script, [flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(usage)).toBe(true);
      expect(r.stderr).toBe('');
    }
  });

  test('an unknown option: exit 2, the option named, then the usage', async () => {
    const r = await runScript(script, ['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${prefix}: Unknown option '--bogus'`);
    expect(r.stderr).toContain(usage);
    expect(r.stdout).toBe(''); // refused before anything ran
  });

  test.each(bad)('a bad value %j: exit 2 saying what is allowed', async (args, message) => {
    const r = await runScript(script, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.startsWith(`${prefix}: --`)).toBe(true);
    expect(r.stdout).toBe('');
  });
});
