// The main job: `dawn-rfb snapshot` renders the demo scene on the real (software) GPU, writes a
// PNG whose pixels show the cube, prints the adapter, and the process exits by itself.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

test('snapshot writes a PNG of the demo scene and exits', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'dawn-rfb-cli-')), 'scene.png');
  // The timeout doubles as the check that nothing keeps the process alive.
  const { stdout } = await run(process.execPath, [cli, 'snapshot', '--out', out, '--size', '200x150'], { timeout: 20_000 });
  expect(stdout).toMatch(/adapter: .+ \((.+), (vulkan|opengles)/);
  const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([200, 150]);
  const px = (x: number, y: number): string => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)].join(',');
  const background = px(0, 0);
  for (const [x, y] of [[199, 0], [0, 149], [199, 149]]) expect(px(x, y)).toBe(background);
  expect(px(100, 75)).not.toBe(background); // the cube covers the centre
  // Three lit faces are visible: at least three distinct non-background colours.
  const colours = new Set<string>();
  for (let y = 20; y < 130; y += 5) for (let x = 40; x < 160; x += 5) colours.add(px(x, y));
  colours.delete(background);
  expect(colours.size).toBeGreaterThanOrEqual(3);
});

test('bad arguments give a clear message and exit 2, the usage-error code, in every command', async () => {
  const err = await run(process.execPath, [cli, 'snapshot', '--size', '0x10'], { timeout: 20_000 }).catch((e: { code: number; stderr: string }) => e);
  expect((err as { code: number }).code).toBe(2);
  expect((err as { stderr: string }).stderr).toContain('expected WIDTHxHEIGHT with positive integers');
  const bad = await run(process.execPath, [cli, 'snapshot', '--backend', 'bogus'], { timeout: 20_000 }).catch((e: { code: number; stderr: string }) => e);
  expect((bad as { stderr: string }).stderr).toMatch(/Allowed choices are vulkan, opengles/);
  for (const argv of [['info', '--backend', 'vulkann'], ['bogus'], ['kernel', 'install', '--bogus'], ['demo', '--port', 'x'], []]) {
    const e = await run(process.execPath, [cli, ...argv], { timeout: 20_000 }).catch((x: { code: number; stderr: string }) => x);
    expect({ argv, code: (e as { code: number }).code }).toEqual({ argv, code: 2 });
    expect((e as { stderr: string }).stderr).toMatch(/error: |Usage: dawn-rfb/);
  }
});

test('--version prints the package version and exits 0', async () => {
  const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) {
    const { stdout } = await run(process.execPath, [cli, flag], { timeout: 20_000 });
    expect(stdout.trim()).toBe(version);
  }
  // --help is not an error either.
  const help = await run(process.execPath, [cli, 'info', '--help'], { timeout: 20_000 });
  expect(help.stdout).toContain('--backend');
});

test('demo serves the widget page for the live demo, prints its URL, and stops on SIGINT', async () => {
  const child = spawn(process.execPath, [cli, 'demo', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += String(d);
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/view\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`demo exited early (${code}): ${out}`)));
  });
  expect(out).toMatch(/adapter: /);
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('DawnRfb.mount');
  expect(html).toMatch(/\/ws\/[0-9a-f]+\?token=/);
  const script = await fetch(new URL('/widget.js', url));
  expect(script.status).toBe(200);
  expect(await script.text()).toContain('DawnRfb');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
});

test('--backend decides the backend, over DAWN_RFB_BACKEND in the environment', async () => {
  // DAWN_RFB_BACKEND=null alone gives Dawn's null adapter; the option must win over it.
  const env = { ...process.env, DAWN_RFB_BACKEND: 'null' };
  const alone = await run(process.execPath, [cli, 'info'], { timeout: 20_000, env });
  expect(alone.stdout).toMatch(/\(.+, null, core/);
  const { stdout } = await run(process.execPath, [cli, 'info', '--backend', 'vulkan'], { timeout: 20_000, env });
  expect(stdout).toMatch(/\(.+, vulkan, core/);
});

test('setup, from the packed package as a user installs it, finds the adapter with the shipped installer', async () => {
  // Unpacked under the repository (test-results/, ignored) so its dependencies resolve from our
  // node_modules, as they would from a user's; only what `files` ships is there.
  const root = resolve(import.meta.dirname, '..');
  mkdirSync(join(root, 'test-results'), { recursive: true });
  const dir = mkdtempSync(join(root, 'test-results', 'packed-'));
  const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, timeout: 60_000 });
  const tarball = join(dir, (JSON.parse(packed) as { filename: string }[])[0]!.filename);
  const pkg = join(dir, 'node_modules', 'dawn-rfb');
  mkdirSync(pkg, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  const { stdout, stderr } = await run(process.execPath, [join(pkg, 'dist', 'cli', 'main.js'), 'setup'], { cwd: dir, timeout: 60_000 });
  expect(stdout + stderr).toMatch(/\[setup\] WebGPU adapter: .+ \((.+), (vulkan|opengles)\)/);
  const quiet = await run(process.execPath, [join(pkg, 'dist', 'cli', 'main.js'), 'setup', '--quiet'], { cwd: dir, timeout: 60_000 });
  expect(quiet.stdout + quiet.stderr).toBe('');
  rmSync(dir, { recursive: true, force: true });
}, 120_000);
