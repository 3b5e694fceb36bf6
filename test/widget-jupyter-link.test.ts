// The widget's own kernel websocket (widget/src/jupyter-path.ts, JupyterLab / Notebook 7): how it
// closes. jupyter_server drops what it has not yet passed to the kernel when the websocket
// closes, so a comm_close sent just before the socket's close often never arrived and the comm
// (a view still deciding the canvas's size) stayed open in the kernel. The link closes its
// socket only once the reply to a comm_info_request sent after the close is in (the kernel
// handles shell requests in order), or after a few seconds without one. The socket here is a
// recording stand-in for the browser's WebSocket (no server: the ordering is what is tested;
// test/jupyterlab4.test.ts resizes a Notebook 7 view over the real path, which the leftover comm broke).
import { afterEach, beforeEach, expect, test, vi } from 'vitest';

/** The part of widget/src/jupyter-path.ts used here. */
interface SocketLike {
  readonly readyState: number;
  close(code?: number, reason?: string): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: ((e: { code: number; reason: string }) => void) | null;
}
type JupyterPathFn = (route: { target: string; canvasId: string; kernelId?: string }, token: string, doc: unknown, baseUrl: string | undefined) => { open(): SocketLike } | undefined;
// Loaded by a specifier TypeScript does not follow: the module's types need the DOM lib, which
// this Node test program does not load (widget/tsconfig.json type-checks the module itself).
const widgetModule: string = '../widget/src/jupyter-path.js';
const { jupyterPath } = (await import(widgetModule)) as { jupyterPath: JupyterPathFn };

interface Sent { msg_type: string; msg_id: string; content: Record<string, unknown>; metadata: Record<string, unknown> }

class RecordingSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static last: RecordingSocket | undefined;
  readyState = RecordingSocket.CONNECTING;
  binaryType = 'blob';
  sent: Sent[] = [];
  closeCalls = 0;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    RecordingSocket.last = this;
  }
  send(text: string): void {
    const m = JSON.parse(text) as { header: { msg_type: string; msg_id: string }; content: Record<string, unknown>; metadata: Record<string, unknown> };
    this.sent.push({ msg_type: m.header.msg_type, msg_id: m.header.msg_id, content: m.content, metadata: m.metadata });
  }
  close(): void {
    this.closeCalls++;
    this.readyState = RecordingSocket.CLOSED;
  }
  open(): void {
    this.readyState = RecordingSocket.OPEN;
    this.onopen?.();
  }
  /** A message from the server, as jupyter_server's JSON format. */
  reply(channel: string, msgType: string, parentId: string, content: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify({ channel, header: { msg_type: msgType }, parent_header: { msg_id: parentId }, content, buffers: [] }) });
  }
}

const route = { target: 'dawn-rfb.view', canvasId: 'c0ffee', kernelId: 'k-1234' };
const doc = { location: { protocol: 'http:', host: '127.0.0.1:8888' }, getElementById: () => null, body: { dataset: {} } };

function openLink(): { link: SocketLike; socket: RecordingSocket } {
  const path = jupyterPath(route, 'canvas-token', doc, '/');
  expect(path).toBeDefined();
  const link = path!.open();
  return { link, socket: RecordingSocket.last! };
}

/** Opens the link and lets the kernel's first frame make it OPEN. */
function liveLink(): { link: SocketLike; socket: RecordingSocket; commId: string } {
  const { link, socket } = openLink();
  socket.open();
  const commId = socket.sent[0]!.content.comm_id as string;
  socket.reply('shell', 'comm_msg', 'x', { comm_id: commId, data: { text: '{"type":"hello"}' } });
  expect(link.readyState).toBe(1);
  return { link, socket, commId };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', RecordingSocket);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

test('close sends comm_close, then a comm_info_request, and keeps the socket open until its reply', () => {
  const { link, socket, commId } = liveLink();
  const closes: number[] = [];
  link.onclose = (e) => closes.push(e.code);
  link.close(1000, 'bye');
  expect(socket.sent.map((m) => m.msg_type)).toEqual(['comm_open', 'comm_close', 'comm_info_request']);
  expect(socket.sent[1]!.content).toEqual({ comm_id: commId, data: { code: 1000, reason: 'bye' } });
  expect(link.readyState).toBe(3); // closed for its user at once
  expect(socket.closeCalls).toBe(0); // but the socket waits for the kernel
  // Frames still in flight are not delivered after close.
  const delivered: unknown[] = [];
  link.onmessage = (e) => delivered.push(e.data);
  socket.reply('shell', 'comm_msg', 'x', { comm_id: commId, data: { text: '{"type":"late"}' } });
  expect(delivered).toEqual([]);
  // Another request's reply does not count; the probe's does.
  socket.reply('shell', 'comm_info_reply', 'some-other-request', { status: 'ok', comms: {} });
  expect(socket.closeCalls).toBe(0);
  socket.reply('shell', 'comm_info_reply', socket.sent[2]!.msg_id, { status: 'ok', comms: {} });
  expect(socket.closeCalls).toBe(1);
  vi.runAllTimers();
  expect(closes).toEqual([1000]);
});

test('without a reply the socket closes after a few seconds anyway', () => {
  const { link, socket } = liveLink();
  link.close();
  vi.advanceTimersByTime(2900);
  expect(socket.closeCalls).toBe(0);
  vi.advanceTimersByTime(200);
  expect(socket.closeCalls).toBe(1);
});

test('a second close sends nothing more', () => {
  const { link, socket } = liveLink();
  link.close();
  link.close();
  expect(socket.sent.map((m) => m.msg_type)).toEqual(['comm_open', 'comm_close', 'comm_info_request']);
});

test('closed before the socket opened: closes at once, nothing sent, no comm_open later', () => {
  const { link, socket } = openLink();
  link.close();
  expect(socket.closeCalls).toBe(1);
  expect(socket.sent).toEqual([]);
});

test("our own kernel websocket is the first choice, in a Notebook 6 page too; the page's connection where ours cannot be made", () => {
  type Path = { label: string; open(): SocketLike } | undefined;
  const choose = jupyterPath as (...args: Parameters<JupyterPathFn>) => Path;
  const comms: string[] = [];
  const comm = { comm_id: 'nb6', send() {}, close() {}, on_msg() {}, on_close() {} };
  vi.stubGlobal('Jupyter', {
    notebook: {
      kernel: { id: route.kernelId, is_connected: () => true, comm_manager: { new_comm: (target: string) => { comms.push(target); return comm; } } },
      events: { on() {}, off() {} },
    },
  });
  expect(choose(route, 'canvas-token', doc, '/')!.label).toBe('http://127.0.0.1:8888/api/kernels/k-1234…/channels');
  // No base URL (or kernel id) known: Notebook 6's own connection.
  const fallback = choose(route, 'canvas-token', doc, undefined);
  expect(fallback!.label).toBe("the notebook's kernel connection");
  fallback!.open();
  expect(comms).toEqual(['dawn-rfb.view']);
  vi.unstubAllGlobals();
  expect(choose({ ...route, kernelId: undefined }, 'canvas-token', doc, '/')).toBeUndefined();
});
