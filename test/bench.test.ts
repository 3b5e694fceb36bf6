// The benchmark runs from its command (`dawn-rfb bench`) and writes the JSON records and the
// chart it promises: a tiny run (one scene, a small size, the Node client, one second), checked
// for the record's fields, never for its figures (timings belong to the benchmark itself). The
// transport dimension (--transports direct,jupyter,jupyterlab4) runs as briefly in both clients:
// the Jupyter rows come from a real Notebook 6 server and from JupyterLab 4 (test/lab4/) on
// jupyter_server, Chromium's from the widget in a notebook page on the Jupyter path (needs
// `node scripts/setup.mjs --browser --jupyter-tests`). An h264 run of the mesh scene checks that
// the Node client gets video and decodes it (@napi-rs/webcodecs).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

test('dawn-rfb bench writes one JSON record per run and a chart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-bench-'));
  const json = join(dir, 'out.json');
  const chart = join(dir, 'out.png');
  const { stdout } = await run(process.execPath, [cli, 'bench', '--scenes', 'chart', '--sizes', '160x128', '--clients', 'node',
    '--seconds', '1', '--soak', '0', '--json', json, '--chart', chart], { timeout: 120_000, env: { ...process.env, XDG_RUNTIME_DIR: tmpdir() } });
  expect(stdout).toMatch(/machine: .+\nadapter: .+/);
  const out = JSON.parse(readFileSync(json, 'utf8')) as { machine: string; uptime: number[]; records: Record<string, unknown>[] };
  expect(out.uptime).toHaveLength(3);
  expect(out.records).toHaveLength(1);
  const r = out.records[0]!;
  expect(r).toMatchObject({ scene: 'chart', size: '160x128', format: 'jpeg', client: 'node', link: 'none' });
  expect(r.error).toBeUndefined();
  expect(r.fps).toBeGreaterThan(0);
  expect(r.latency).toMatchObject({ p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) });
  expect(Object.keys(r.stages as object)).toEqual(['renderMs', 'readbackMs', 'encodeMs', 'roundtripMs', 'clientDecodeMs', 'sendMs']);
  expect(r.bytesPerFrame).toBeGreaterThan(0);
  expect(r.load).toHaveLength(2);
  const meta = await sharp(chart).metadata();
  expect(meta.format).toBe('png');
  expect(meta.width).toBeGreaterThan(600);
}, 150_000);

test('dawn-rfb bench --formats h264 --clients node streams video that the Node client decodes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-bench-'));
  const json = join(dir, 'out.json');
  await run(process.execPath, [cli, 'bench', '--scenes', 'mesh', '--sizes', '160x128', '--formats', 'h264', '--clients', 'node',
    '--seconds', '1', '--soak', '0', '--json', json, '--chart', join(dir, 'out.png')], { timeout: 120_000, env: { ...process.env, XDG_RUNTIME_DIR: tmpdir() } });
  const r = (JSON.parse(readFileSync(json, 'utf8')) as { records: Record<string, any>[] }).records[0]!;
  expect(r).toMatchObject({ scene: 'mesh', size: '160x128', format: 'h264', client: 'node' });
  expect(r.error).toBeUndefined();
  // The canvas sent video (the client announced H.264), and the client decoded it without errors.
  expect(r.video.codec).toBe('h264');
  expect(r.video.framesSent).toBeGreaterThan(0);
  expect(r.video.keyframesSent).toBeGreaterThan(0);
  expect(r.video.client.frames).toBeGreaterThan(0);
  expect(r.video.client.keyframes).toBeGreaterThan(0);
  expect(r.video.client.decodeErrors).toBe(0);
  expect(r.video.client.pictures).toBeGreaterThan(0);
  expect(r.frames).toBeGreaterThan(0);
  expect(r.latency.n).toBeGreaterThan(0);
}, 150_000);

test('dawn-rfb bench --transports direct,jupyter,jupyterlab4 measures every route in both clients', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-bench-'));
  const json = join(dir, 'out.json');
  const { stdout } = await run(process.execPath, [cli, 'bench', '--scenes', 'cube', '--sizes', '160x128', '--clients', 'node,chromium',
    '--transports', 'direct,jupyter,jupyterlab4', '--seconds', '1', '--soak', '0', '--json', json, '--chart', join(dir, 'out.png')],
  { timeout: 240_000, env: { ...process.env, XDG_RUNTIME_DIR: tmpdir() } });
  expect(stdout).toMatch(/machine: .+\nadapter: .+/);
  const { records } = JSON.parse(readFileSync(json, 'utf8')) as { records: Record<string, any>[] };
  expect(records.map((r) => [r.client, r.transport, r.error])).toEqual([
    ['node', 'direct', undefined], ['node', 'jupyter', undefined], ['node', 'jupyterlab4', undefined],
    ['chromium', 'direct', undefined], ['chromium', 'jupyter', undefined], ['chromium', 'jupyterlab4', undefined],
  ]);
  for (const r of records) {
    expect(r).toMatchObject({ scene: 'cube', size: '160x128', link: 'none', linkMode: 'loopback' });
    expect(r.frames, `${r.client} ${r.transport}: frames shown`).toBeGreaterThan(0);
    expect(r.fps).toBeGreaterThan(0);
    expect(r.latency.n, `${r.client} ${r.transport}: input latency samples`).toBeGreaterThan(0);
    expect(r.latency.p50).toBeGreaterThan(0);
    expect(r.latency.p95).toBeGreaterThanOrEqual(r.latency.p50);
    expect(r.stages.roundtripMs).toBeGreaterThan(0);
    expect(r.bytesPerFrame).toBeGreaterThan(0);
    expect(r.cpu.server).toBeGreaterThan(0);
    expect(r.drawnPerShown, `${r.client} ${r.transport}: frames drawn per frame shown`).toBeGreaterThanOrEqual(0.5);
    // Chromium's page: its main thread's time per frame shown, script a part of it; none for Node.
    if (r.client === 'chromium') {
      expect(r.clientMainThread.taskMsPerFrame, `${r.transport}: page main thread`).toBeGreaterThan(0);
      expect(r.clientMainThread.scriptMsPerFrame).toBeGreaterThan(0);
      expect(r.clientMainThread.scriptMsPerFrame).toBeLessThanOrEqual(r.clientMainThread.taskMsPerFrame);
    } else {
      expect(r.clientMainThread).toBeUndefined();
    }
  }
  // The notebook pages' widget took the Jupyter path (its direct route was unreachable), at the canvas's size.
  expect(records[4]).toMatchObject({ jupyterServer: 'notebook 6', route: 'notebook page, data-transport=jupyter', frameSize: '160x128' });
  expect(records[5]).toMatchObject({ jupyterServer: expect.stringMatching(/^jupyterlab 4/), route: 'notebook page, data-transport=jupyter', frameSize: '160x128' });
  for (const r of [records[1]!, records[2]!]) expect(r.route).toBe('kernel channels websocket, comm replyOnShell');
}, 300_000);

test('dawn-rfb bench refuses an unknown option or value and says what is allowed', async () => {
  const bad = await run(process.execPath, [cli, 'bench', '--sizes', 'big'], { timeout: 30_000 }).catch((e: { code: number; stderr: string }) => e);
  expect((bad as { code: number }).code).not.toBe(0);
  expect((bad as { stderr: string }).stderr).toMatch(/--sizes: bad size "big"; write WIDTHxHEIGHT/);
  for (const [args, message] of [
    [['--gpu-compare', 'maybe'], /--gpu-compare: unknown "maybe"; valid: on, off, auto/],
    [['--parts', '0'], /--parts: expected a whole number >= 1, got "0"/],
    [['--transports', 'comms'], /--transports: unknown "comms"; valid: direct, notebook-direct, jupyter, jupyterlab4/],
  ] as const) {
    const e = await run(process.execPath, [cli, 'bench', ...args], { timeout: 30_000 }).catch((x: { code: number; stderr: string }) => x);
    expect((e as { code: number }).code).not.toBe(0);
    expect((e as { stderr: string }).stderr).toMatch(message);
  }
  const unknown = await run(process.execPath, [cli, 'bench', '--bogus'], { timeout: 30_000 }).catch((e: { code: number; stderr: string }) => e);
  expect((unknown as { code: number }).code).toBe(2);
  expect((unknown as { stderr: string }).stderr).toMatch(/Unknown option '--bogus'[\s\S]*Usage: npm run bench/);
}, 60_000);
