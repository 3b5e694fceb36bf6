// Starting the dawn-rfb kernel when a port of its connection file is taken: ports are picked
// free, but another program can take one before the kernel listens (a CI run of the tests saw
// `dawn-rfb test-notebooks` wait out its 120 s start timeout on a kernel that had logged
// EADDRINUSE and went on running without its socket). The real kernel (tslab through
// kernel-ext/launcher.cjs) and the runner's client (src/testing/kernel/client.ts), no Jupyter.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KernelDiedError } from '../src/testing/errors.js';
import { freePort } from './helpers/browser.js';
import { KernelClient, PORT_IN_USE_EXIT_CODE, START_ATTEMPTS } from '../src/testing/kernel/client.js';

const root = resolve(import.meta.dirname, '..');
const notebooks = join(root, 'notebooks');
const launcher = join(root, 'kernel-ext', 'launcher.cjs');

/** A port some other program listens on, for the whole file. */
let taken: Server;
let takenPort = 0;
const connections = new Set<Socket>(); // the runner's sockets that reached it (a client connects before the kernel listens)
beforeAll(async () => {
  taken = createServer((c) => { connections.add(c); c.on('close', () => connections.delete(c)); });
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  takenPort = (taken.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => {
  for (const c of connections) c.destroy();
  taken.close(() => r());
}));

/** Five free ports (listened on and let go). */
const freePorts = (): Promise<number[]> => Promise.all([0, 1, 2, 3, 4].map(() => freePort()));

test('a kernel whose shell port another program has exits at once, with the exit code for it and the port in its message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-kernel-start-'));
  try {
    const [iopub, stdin, control, hb] = await freePorts();
    writeFileSync(join(dir, 'connection.json'), JSON.stringify({
      transport: 'tcp', ip: '127.0.0.1', shell_port: takenPort, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb,
      key: 'k', signature_scheme: 'hmac-sha256', kernel_name: 'dawn-rfb',
    }));
    const started = performance.now();
    const child = spawn(process.execPath, [launcher, '--config-path', join(dir, 'connection.json')], { cwd: notebooks, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((r) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); r(null); }, 30_000);
      child.on('exit', (c) => { clearTimeout(timer); r(c); });
    });
    expect(code, `exit code (null: still running after 30 s); stderr:\n${stderr}`).toBe(PORT_IN_USE_EXIT_CODE);
    expect(stderr).toContain(`could not listen on port ${takenPort} (another program has it)`);
    expect(performance.now() - started).toBeLessThan(30_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('the runner starts the kernel again with new ports when one was taken, and gives up after its attempts', async () => {
  const picks: number[][] = [];
  const takenFirst = async (): Promise<number[]> => {
    const ports = await freePorts();
    if (picks.length === 0) ports[0] = takenPort; // the first start's shell port is taken
    picks.push(ports);
    return ports;
  };
  const client = await KernelClient.start({ cwd: notebooks }, takenFirst);
  try {
    expect(picks.length).toBe(2);
    const run = await client.execute('console.log(6 * 7)', 60);
    expect(run.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '42\n' }]);
  } finally {
    await client.close();
  }

  let tries = 0;
  const alwaysTaken = async (): Promise<number[]> => {
    tries++;
    const ports = await freePorts();
    ports[1] = takenPort; // iopub
    return ports;
  };
  const failed = await KernelClient.start({ cwd: notebooks }, alwaysTaken).then(() => undefined, (e: unknown) => e);
  expect(failed).toBeInstanceOf(KernelDiedError);
  expect(String((failed as Error).message)).toContain(`could not listen on port ${takenPort}`);
  expect(tries).toBe(START_ATTEMPTS);
}, 180_000);
