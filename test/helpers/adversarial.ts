// Helpers of the adversarial suites: a "bystander" canvas whose view must keep receiving frames
// whatever an attacker does, forced garbage collection for memory bounds, and raw HTTP/TCP
// requests with headers a browser would not let a page choose, and a flooding client in a child
// process.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { resolve } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect } from 'vitest';
import { makeSolidCanvas, openView, sleep, type SolidCanvas, type ViewClient } from './remote.js';

const root = resolve(import.meta.dirname, '..', '..');

v8.setFlagsFromString('--expose-gc');
const gcFunction = vm.runInNewContext('gc') as () => void;

/** Runs the garbage collector until the heap stops shrinking; returns heapUsed and rss (bytes). */
export async function settledMemory(): Promise<{ heap: number; rss: number }> {
  let last = Infinity;
  for (let i = 0; i < 5; i++) {
    await sleep(20); // kept: between collections, finalizers and closed sockets go (no fact marks it)
    gcFunction();
    const heap = process.memoryUsage().heapUsed;
    if (heap > last * 0.99) break;
    last = heap;
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

/** Counts of the process's active resources by type (TCPServerWrap = listening sockets, ...). */
export function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/** A canvas that animates continuously and a view of it that acknowledges every frame. */
export interface Bystander {
  s: SolidCanvas;
  view: ViewClient;
  /** Resolves once the view received `count` more frames within `ms` (throws otherwise). */
  expectFrames(count?: number, ms?: number): Promise<void>;
}

export async function makeBystander(maxFps = 30): Promise<Bystander> {
  const s = await makeSolidCanvas({ size: [32, 24], losslessDelayMs: Infinity }, [0, 128, 255, 255]);
  s.canvas.setUpdateMode('continuous', { maxFps });
  const view = await openView(s.canvas);
  const b: Bystander = {
    s, view,
    async expectFrames(count = 3, ms = 5000) {
      const start = view.frames.length;
      await view.waitFor(() => view.frames.length >= start + count, ms, `${count} more frames on the bystander view`);
      expect(view.closed).toBeUndefined();
    },
  };
  await b.expectFrames(2);
  return b;
}

/** Result of a raw HTTP request: status line code, headers and body ('' if none). */
export interface RawResponse { status: number; headers: string; body: string }

/**
 * Sends `request` (a complete HTTP/1.x request, CRLFs included) over a fresh TCP connection and
 * resolves with the response once the server closes the connection or `ms` elapse.
 */
export function rawRequest(port: number, request: string, ms = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const [head = '', body = ''] = data.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, headers: head, body });
    };
    const timer = setTimeout(finish, ms);
    socket.on('data', (d) => { data += d.toString('latin1'); });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    socket.write(request);
  });
}

/** A GET with the given Host header (null: none) and `Connection: close`. */
export function get(port: number, path: string, host: string | null = `127.0.0.1:${port}`, extra = ''): Promise<RawResponse> {
  return rawRequest(port, `GET ${path} HTTP/1.1\r\n${host === null ? '' : `Host: ${host}\r\n`}${extra}Connection: close\r\n\r\n`);
}

/**
 * A websocket client in a child process (its sending must not share this event loop with the
 * server) that sends `message` to `url` for `seconds`: up to `perTick` every `intervalMs`, never
 * with more than 4 MiB waiting in its socket (the server reads slower than it writes). Resolves
 * with the number of messages it sent.
 */
export function floodFromChild(url: string, message: string, seconds: number, { perTick = 100, intervalMs = 5 } = {}): Promise<number> {
  const code = `
    import WebSocket from 'ws';
    const ws = new WebSocket(${JSON.stringify(url)});
    let sent = 0;
    ws.on('error', (e) => { console.error(e.message); process.exit(2); });
    ws.on('open', () => {
      const end = Date.now() + ${seconds * 1000};
      const timer = setInterval(() => {
        if (Date.now() > end) { clearInterval(timer); console.log(sent); ws.terminate(); return; }
        for (let i = 0; i < ${perTick} && ws.bufferedAmount < 4 * 2 ** 20; i++) { ws.send(${JSON.stringify(message)}); sent++; }
      }, ${intervalMs});
    });`;
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (status) => (status === 0 ? res(Number(out.trim())) : rej(new Error(`flood client failed: ${err}`))));
  });
}
