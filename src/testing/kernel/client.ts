// A Jupyter kernel client without Jupyter: starts the dawn-rfb kernel (tslab through
// kernel-ext/launcher.cjs, as the kernelspec does) with a connection file of our own, and talks
// to it over ZeroMQ: execute requests on shell, outputs from iopub.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernelDiedError, NotebookTestError } from '../errors.js';
import { Wire, type Message } from './wire.js';
import { loadZmq, type ZmqSocket, type ZmqSubscriber } from './zmq.js';

/** One output, in nbformat 4's shape. */
export type Output =
  | { output_type: 'stream'; name: string; text: string }
  | { output_type: 'display_data'; data: Record<string, unknown>; metadata: Record<string, unknown>; display_id?: string; updated?: boolean }
  | { output_type: 'execute_result'; data: Record<string, unknown>; metadata: Record<string, unknown>; execution_count: number | null }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

/** What one execution produced. */
export interface Execution {
  /** `ok`, `error` (the cell raised), `abort` (tslab cancelled it). */
  status: string;
  executionCount: number | null;
  outputs: Output[];
  seconds: number;
}

/** Options of {@link KernelClient.start}. */
export interface KernelStartOptions {
  /** The folder the kernel runs in (the notebook's). */
  cwd: string;
  /** Seconds to wait for the kernel to answer. Default 60. */
  startTimeout?: number;
  /** Extra environment for the kernel. */
  env?: Record<string, string>;
}

/**
 * The exit code of a dawn-rfb kernel that could not listen on a port of its connection file
 * because another program has it (kernel-ext/comms.cjs). Ports are picked free, but another
 * program can take one before the kernel listens (tests and `--jobs` start many at once).
 */
export const PORT_IN_USE_EXIT_CODE = 98;
/** Kernel starts tried, each with new ports, while the kernel exits with {@link PORT_IN_USE_EXIT_CODE}. */
export const START_ATTEMPTS = 3;

const LAUNCHER = fileURLToPath(new URL('../../../kernel-ext/launcher.cjs', import.meta.url));
const STDERR_KEEP = 8192;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Pending {
  msgId: string;
  outputs: Output[];
  reply?: Message;
  idle: boolean;
  done: () => void;
}

/** A running dawn-rfb kernel and the sockets to it. */
export class KernelClient {
  readonly #child: ChildProcess;
  readonly #wire: Wire;
  readonly #shell: ZmqSocket;
  readonly #iopub: ZmqSubscriber;
  readonly #dir: string;
  readonly #displays = new Map<string, Output[]>();
  #pending: Pending | undefined;
  #stderr = '';
  #exit: { code: number | null; signal: string | null } | undefined;
  #exitWaiters: (() => void)[] = [];
  #seen = new Set<string>();
  #closed = false;

  private constructor(child: ChildProcess, wire: Wire, shell: ZmqSocket, iopub: ZmqSubscriber, dir: string) {
    this.#child = child;
    this.#wire = wire;
    this.#shell = shell;
    this.#iopub = iopub;
    this.#dir = dir;
    child.stderr?.on('data', (d: Buffer) => { this.#stderr = (this.#stderr + d.toString()).slice(-STDERR_KEEP); });
    child.stdout?.resume();
    child.on('exit', (code, signal) => {
      this.#exit = { code, signal };
      for (const w of this.#exitWaiters.splice(0)) w();
      this.#pending?.done();
    });
    void this.#pump(shell, (m) => this.#onShell(m));
    void this.#pump(iopub, (m) => this.#onIopub(m));
  }

  /**
   * Starts the kernel in `cwd` and waits until it answers on shell and iopub; when it exits
   * because one of its ports was taken meanwhile, starts it again with new ones (at most
   * {@link START_ATTEMPTS} starts). `pickPorts` (for tests) gives the five ports of a start.
   */
  static async start(o: KernelStartOptions, pickPorts: () => Promise<number[]> = () => Promise.all([0, 1, 2, 3, 4].map(freePort))): Promise<KernelClient> {
    for (let attempt = 1; ; attempt++) {
      const client = await KernelClient.#launch(o, await pickPorts());
      try {
        await client.#handshake((o.startTimeout ?? 60) * 1000);
        return client;
      } catch (e) {
        await client.close();
        if (attempt < START_ATTEMPTS && client.#exit?.code === PORT_IN_USE_EXIT_CODE) continue;
        throw e;
      }
    }
  }

  static async #launch(o: KernelStartOptions, ports: number[]): Promise<KernelClient> {
    const zmq = loadZmq(o.cwd);
    const key = randomBytes(32).toString('hex');
    const dir = await mkdtemp(join(tmpdir(), 'dawn-rfb-kernel-'));
    const connectionFile = join(dir, 'connection.json');
    const [shellPort, iopubPort, stdinPort, controlPort, hbPort] = ports as [number, number, number, number, number];
    await writeFile(connectionFile, JSON.stringify({
      transport: 'tcp', ip: '127.0.0.1', shell_port: shellPort, iopub_port: iopubPort, stdin_port: stdinPort,
      control_port: controlPort, hb_port: hbPort, key, signature_scheme: 'hmac-sha256', kernel_name: 'dawn-rfb',
    }), { mode: 0o600 });
    const child = spawn(process.execPath, [LAUNCHER, '--config-path', connectionFile], {
      cwd: o.cwd, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir(), ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const wire = new Wire(key);
    const shell = new zmq.Dealer();
    const iopub = new zmq.Subscriber();
    for (const s of [shell, iopub]) s.linger = 0;
    shell.connect(`tcp://127.0.0.1:${shellPort}`);
    iopub.connect(`tcp://127.0.0.1:${iopubPort}`);
    iopub.subscribe();
    return new KernelClient(child, wire, shell, iopub, dir);
  }

  /** The kernel's stderr (last 8 KiB). */
  get stderr(): string {
    return this.#stderr;
  }

  #diedMessage(): string {
    const e = this.#exit;
    const how = e?.signal ? `was killed by ${e.signal}` : `exited with code ${e?.code}`;
    const tail = this.#stderr.trim().split('\n').slice(-15).join('\n');
    return `the kernel ${how}${tail ? `; its stderr ended with:\n${tail}` : ' (no stderr)'}`;
  }

  // PUB/SUB joins late: requests are repeated until iopub carries a status message for one.
  async #handshake(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let replied = false;
    let heard = false;
    const ids = new Set<string>();
    this.#onHandshake = (m, channel) => {
      if (!ids.has(m.parent_header.msg_id ?? '')) return;
      if (channel === 'shell' && m.header.msg_type === 'kernel_info_reply') replied = true;
      if (channel === 'iopub') heard = true;
    };
    try {
      while (!(replied && heard)) {
        if (this.#exit) throw new KernelDiedError(`the dawn-rfb kernel did not start: ${this.#diedMessage()}`);
        if (Date.now() > deadline) {
          throw new NotebookTestError(`the dawn-rfb kernel did not answer within ${timeoutMs / 1000} s (${replied ? 'no iopub messages' : 'no kernel_info reply'}); its stderr:\n${this.#stderr.trim() || '(empty)'}`);
        }
        const { header, frames } = this.#wire.request('kernel_info_request', {});
        ids.add(header.msg_id);
        await this.#shell.send(frames);
        await this.#waitExitOr(250);
      }
    } finally {
      this.#onHandshake = undefined;
    }
  }

  #onHandshake: ((m: Message, channel: 'shell' | 'iopub') => void) | undefined;

  #waitExitOr(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#exitWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  async #pump(socket: ZmqSocket, handle: (m: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        const m = this.#wire.decode(frames);
        if (m) handle(m);
      }
    } catch {
      // Socket closed.
    }
  }

  #onShell(m: Message): void {
    this.#onHandshake?.(m, 'shell');
    const p = this.#pending;
    if (p && m.parent_header.msg_id === p.msgId && m.header.msg_type === 'execute_reply') {
      p.reply = m;
      if (p.idle) p.done();
    }
  }

  #onIopub(m: Message): void {
    this.#onHandshake?.(m, 'iopub');
    const type = m.header.msg_type;
    const c = m.content;
    if (type === 'update_display_data') {
      // freeze() replaces the snapshot of outputs shown earlier, possibly in earlier cells.
      const id = (c.transient as { display_id?: string } | undefined)?.display_id;
      for (const o of (id && this.#displays.get(id)) || []) {
        if (o.output_type === 'display_data') Object.assign(o, { data: c.data ?? {}, metadata: c.metadata ?? {}, updated: true });
      }
      return;
    }
    const p = this.#pending;
    if (!p || m.parent_header.msg_id !== p.msgId) return;
    if (this.#seen.has(m.header.msg_id)) return;
    this.#seen.add(m.header.msg_id);
    switch (type) {
      case 'status':
        if (c.execution_state === 'idle') {
          p.idle = true;
          if (p.reply) p.done();
        }
        break;
      case 'stream': {
        const name = String(c.name ?? 'stdout');
        const text = String(c.text ?? '');
        const last = p.outputs[p.outputs.length - 1];
        if (last?.output_type === 'stream' && last.name === name) last.text += text;
        else p.outputs.push({ output_type: 'stream', name, text });
        break;
      }
      case 'display_data': {
        const id = (c.transient as { display_id?: string } | undefined)?.display_id;
        const o: Output = { output_type: 'display_data', data: asRecord(c.data), metadata: asRecord(c.metadata), ...(id ? { display_id: id } : {}) };
        p.outputs.push(o);
        if (id) this.#displays.set(id, [...(this.#displays.get(id) ?? []), o]);
        break;
      }
      case 'execute_result':
        p.outputs.push({ output_type: 'execute_result', data: asRecord(c.data), metadata: asRecord(c.metadata), execution_count: typeof c.execution_count === 'number' ? c.execution_count : null });
        break;
      case 'error':
        p.outputs.push({ output_type: 'error', ename: String(c.ename ?? 'Error'), evalue: String(c.evalue ?? ''), traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [] });
        break;
      case 'clear_output':
        p.outputs.length = 0;
        break;
      default:
        break;
    }
  }

  /**
   * Executes code and resolves when the kernel has replied and gone idle.
   * @throws {KernelDiedError} when the kernel exits meanwhile; {@link NotebookTestError} on timeout.
   */
  async execute(code: string, timeoutSeconds: number): Promise<Execution> {
    if (this.#exit) throw new KernelDiedError(this.#diedMessage());
    if (this.#pending) throw new NotebookTestError('one execution at a time');
    const { header, frames } = this.#wire.request('execute_request', {
      code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true,
    });
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const finished = new Promise<void>((resolve) => {
      this.#pending = { msgId: header.msg_id, outputs: [], idle: false, done: resolve };
      timer = setTimeout(resolve, timeoutSeconds * 1000);
    });
    const pending = this.#pending!;
    try {
      await this.#shell.send(frames);
      await finished;
    } finally {
      clearTimeout(timer);
      this.#pending = undefined;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (pending.reply && pending.idle) {
      const r = pending.reply.content;
      return { status: String(r.status ?? 'ok'), executionCount: typeof r.execution_count === 'number' ? r.execution_count : null, outputs: pending.outputs, seconds };
    }
    if (this.#exit) throw Object.assign(new KernelDiedError(this.#diedMessage()), { outputs: pending.outputs });
    throw Object.assign(new NotebookTestError(`the cell did not finish within ${timeoutSeconds} s (--timeout)`), { outputs: pending.outputs });
  }

  /** Whether the kernel process is still running. */
  get alive(): boolean {
    return !this.#exit;
  }

  /** Asks the kernel to shut down, kills it if it does not within 3 s, and closes the sockets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#exit) {
      try {
        await this.#shell.send(this.#wire.request('shutdown_request', { restart: false }).frames);
      } catch { /* already gone */ }
      await this.#waitExitOr(3000);
      if (!this.#exit) {
        this.#child.kill('SIGKILL');
        await this.#waitExitOr(3000);
      }
    }
    this.#shell.close();
    this.#iopub.close();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {};
}
