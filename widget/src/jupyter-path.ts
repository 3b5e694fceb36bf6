// The Jupyter path: a view's messages travel as Jupyter comm messages through the connection
// between the page and the Jupyter server, so the view works wherever the notebook does (SSH
// tunnels that forward only Jupyter's port, JupyterHub, reverse proxies). The kernel side is the
// dawn-rfb kernel's comm layer (kernel-ext/comms.cjs) and src/remote/transport/comm-channel.ts.
//
// Two ways to reach the kernel from the page:
//  - A websocket of our own to `<base>api/kernels/<kernel id>/channels` of the page's origin
//    (JupyterLab, Notebook 6 and 7, JupyterHub, any Jupyter server), with a fresh session id (the
//    page's would replace the notebook's own connection) and the page's token.
//  - Where that cannot be made (no base URL or kernel id known), Notebook 6's own kernel
//    connection (`Jupyter.notebook.kernel.comm_manager`).
// Either way the result looks like the subset of a WebSocket that Connection uses.
//
// Messages to the kernel are marked `COMM_METADATA.noStatus`, so the kernel answers them with no
// busy / idle statuses: three small websocket messages per frame stalled the server's socket on
// Nagle's algorithm (35 fps -> 180 fps once gone). Our own websocket also asks for the comm's
// messages on the shell channel (`COMM_METADATA.replyOnShell`): the server routes those to this
// connection only, where iopub frames would also cross the link to the page's own connection.
import { CloseCode, COMM_METADATA, PROTOCOL_VERSION } from '../../src/remote/protocol.js';
import type { CommRoute } from './urls.js';
import { kernelChannelsUrl, parseBinaryJupyterMessage, type JupyterMessage } from './jupyter-wire.js';

export type { CommRoute } from './urls.js';

/** The part of a WebSocket that Connection uses; a Jupyter link has the same shape. */
export interface SocketLike {
  readonly readyState: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: ((e: { code: number; reason: string }) => void) | null;
}

/** Checks `route` (from the output bundle; a TypeError names the bad field). */
export function checkCommRoute(route: unknown): asserts route is CommRoute {
  const r = route as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || typeof r.target !== 'string' || typeof r.canvasId !== 'string'
    || (r.kernelId !== undefined && typeof r.kernelId !== 'string')) {
    throw new TypeError('dawn-rfb: options.server.comm must be { target, canvasId, kernelId? } (strings)');
  }
}

// ---- Notebook 6's own kernel connection -------------------------------------------------------

interface Nb6Comm {
  comm_id: string;
  send(data: unknown, callbacks?: unknown, metadata?: Record<string, unknown>): void;
  close(data?: unknown): void;
  on_msg(cb: (msg: { content: { data: Record<string, unknown> }; buffers?: DataView[] }) => void): void;
  on_close(cb: (msg: { content: { data: Record<string, unknown> } }) => void): void;
}
interface Nb6Kernel {
  id: string;
  is_connected(): boolean;
  comm_manager: {
    new_comm(target: string, data: unknown): Nb6Comm;
    unregister_comm?(comm: Nb6Comm): void;
  };
}
interface Nb6 {
  notebook?: { kernel?: Nb6Kernel | null; events?: { on(name: string, fn: () => void): void; off(name: string, fn: () => void): void } };
}

function notebook6Kernel(route: CommRoute): { kernel: Nb6Kernel; events: NonNullable<NonNullable<Nb6['notebook']>['events']> } | undefined {
  const jupyter = (globalThis as { Jupyter?: Nb6 }).Jupyter;
  const kernel = jupyter?.notebook?.kernel;
  const events = jupyter?.notebook?.events;
  if (!kernel || !events || typeof kernel.comm_manager?.new_comm !== 'function') return undefined;
  // An output of another notebook's kernel (copied output) must not talk to this one.
  if (route.kernelId !== undefined && kernel.id !== route.kernelId) return undefined;
  return { kernel, events };
}

const OPEN = 1;
const CLOSED = 3;
// Jupyter's events that mean the kernel behind a comm is gone.
const KERNEL_GONE = ['kernel_restarting.Kernel', 'kernel_dead.Kernel', 'kernel_disconnected.Kernel', 'kernel_killed.Session'];

function toArrayBuffer(b: DataView | ArrayBuffer | Uint8Array): ArrayBuffer {
  if (b instanceof ArrayBuffer) return b;
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Base class: the socket-like surface and the close bookkeeping. */
abstract class JupyterLink implements SocketLike {
  readyState = 0;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;

  abstract send(text: string): void;
  abstract close(code?: number, reason?: string): void;

  protected opened(): void {
    if (this.readyState === 0) this.readyState = OPEN;
  }

  protected deliver(data: string | ArrayBuffer): void {
    if (this.readyState === OPEN) this.onmessage?.({ data });
  }

  /** The comm data of a comm_msg: text messages as `{ text }`, frames as the first buffer. */
  protected commMessage(data: Record<string, unknown> | undefined, buffers: (DataView | ArrayBuffer)[] | undefined): void {
    this.opened();
    if (buffers && buffers.length > 0) this.deliver(toArrayBuffer(buffers[0]!));
    else if (typeof data?.text === 'string') this.deliver(data.text);
  }

  protected ended(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    // Async, as a WebSocket's close event is: the caller may still be inside send() or close().
    setTimeout(() => this.onclose?.({ code, reason }), 0);
  }

  /** comm_close data from the kernel: `{ code, reason }`, or nothing (no such target). */
  protected commClosed(data: Record<string, unknown> | undefined): void {
    const code = typeof data?.code === 'number' ? data.code : 1006;
    this.ended(code, typeof data?.reason === 'string' ? data.reason : 'the kernel closed the comm');
  }
}

class Notebook6Link extends JupyterLink {
  private readonly comm: Nb6Comm;
  private readonly kernel: Nb6Kernel;
  private readonly off: () => void;

  constructor(route: CommRoute, token: string, found: NonNullable<ReturnType<typeof notebook6Kernel>>) {
    super();
    this.kernel = found.kernel;
    const gone = () => this.ended(1001, 'the kernel restarted or stopped');
    for (const e of KERNEL_GONE) found.events.on(e, gone);
    this.off = () => { for (const e of KERNEL_GONE) found.events.off(e, gone); };
    this.comm = found.kernel.comm_manager.new_comm(route.target, { canvasId: route.canvasId, token, protocol: PROTOCOL_VERSION });
    this.comm.on_msg((msg) => this.commMessage(msg.content?.data, msg.buffers));
    this.comm.on_close((msg) => this.commClosed(msg.content?.data));
  }

  send(text: string): void {
    if (this.readyState === OPEN) this.comm.send({ text }, undefined, { [COMM_METADATA.noStatus]: true });
  }

  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.readyState !== CLOSED && this.kernel.is_connected()) this.comm.close({ code, reason });
    this.kernel.comm_manager.unregister_comm?.(this.comm);
    this.ended(code, reason);
  }

  protected override ended(code: number, reason: string): void {
    this.off();
    super.ended(code, reason);
  }
}

// ---- a websocket of our own to the Jupyter server's kernel channels ----------------------------


function randomHex(bytes: number): string {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * How long a closed link waits for the kernel's reply that says its comm_close arrived, before
 * it closes its websocket anyway.
 */
const CLOSE_CONFIRM_MS = 3000;

class KernelSocketLink extends JupyterLink {
  private readonly socket: WebSocket;
  private readonly session = randomHex(16);
  private readonly commId = randomHex(16);
  private readonly target: string;
  /** The comm_info_request sent after our comm_close: its reply means the close arrived. */
  private closeProbe: string | undefined;

  constructor(url: string, route: CommRoute, token: string) {
    super();
    this.target = route.target;
    this.socket = new WebSocket(url);
    this.socket.binaryType = 'arraybuffer';
    this.socket.onopen = () => this.shell('comm_open', { comm_id: this.commId, target_name: route.target, data: { canvasId: route.canvasId, token, protocol: PROTOCOL_VERSION } }, { [COMM_METADATA.replyOnShell]: true });
    this.socket.onmessage = (e) => this.receive(e.data);
    this.socket.onclose = (e) => this.ended(e.code === 1000 ? 1006 : e.code, e.reason || 'the connection to the Jupyter server closed');
  }

  /** Sends a shell request; returns its msg_id, or undefined when the socket is not open. */
  private shell(msgType: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}): string | undefined {
    if (this.socket.readyState !== WebSocket.OPEN) return undefined;
    const msgId = randomHex(16);
    this.socket.send(JSON.stringify({
      header: { msg_id: msgId, msg_type: msgType, username: '', session: this.session, date: new Date().toISOString(), version: '5.3' },
      parent_header: {}, metadata, content, buffers: [], channel: 'shell',
    }));
    return msgId;
  }

  private receive(data: unknown): void {
    let msg: JupyterMessage | undefined;
    if (data instanceof ArrayBuffer) msg = parseBinaryJupyterMessage(data);
    else {
      try {
        msg = JSON.parse(String(data)) as JupyterMessage;
      } catch {
        msg = undefined;
      }
    }
    if (!msg || (msg.channel !== 'iopub' && msg.channel !== 'shell')) return;
    const type = msg.header?.msg_type;
    if (this.closeProbe !== undefined && type === 'comm_info_reply' && msg.parent_header?.msg_id === this.closeProbe) {
      this.socket.close();
      return;
    }
    if (msg.channel === 'iopub' && type === 'status' && (msg.content?.execution_state === 'restarting' || msg.content?.execution_state === 'dead')) {
      this.ended(1001, 'the kernel restarted or stopped');
      this.socket.close();
      return;
    }
    // Our comm's messages come on shell (routed to us alone); iopub reaches every client of the
    // kernel, and carries the kernel's comm_close for a target it does not know.
    if (msg.content?.comm_id !== this.commId) return;
    if (type === 'comm_msg') this.commMessage(msg.content.data, msg.buffers);
    else if (type === 'comm_close') {
      this.commClosed(msg.content.data);
      this.socket.close();
    }
  }

  send(text: string): void {
    if (this.readyState === OPEN) this.shell('comm_msg', { comm_id: this.commId, data: { text } }, { [COMM_METADATA.noStatus]: true });
  }

  /**
   * Closes the comm, then the websocket once the kernel has the close. jupyter_server drops what
   * it has not yet passed to the kernel when a websocket closes: a comm_close followed at once by
   * the socket's close often never arrived, and the comm stayed open in the kernel, its view
   * still deciding the canvas's size (seen in Notebook 7, which re-renders a new output). The
   * kernel handles one shell request after another, so the reply to a comm_info_request sent
   * after the close says the close is in.
   */
  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.readyState !== CLOSED && this.closeProbe === undefined && this.shell('comm_close', { comm_id: this.commId, data: { code, reason } }) !== undefined) {
      this.closeProbe = this.shell('comm_info_request', { target_name: this.target });
      this.ended(code, reason);
      setTimeout(() => this.socket.close(), CLOSE_CONFIRM_MS);
      return;
    }
    this.ended(code, reason);
    this.socket.close();
  }
}

/** The page's Jupyter token: #jupyter-config-data (JupyterLab, Notebook 7) or Notebook 6's body data. */
export function pageToken(doc: Document): string | undefined {
  try {
    const text = doc.getElementById('jupyter-config-data')?.textContent;
    const token = text ? (JSON.parse(text) as { token?: unknown })?.token : undefined;
    if (typeof token === 'string' && token !== '') return token;
  } catch { /* not JupyterLab */ }
  const token = doc.body?.dataset?.jupyterApiToken;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/** What a Jupyter path needs from the page; undefined when the page offers none. */
export interface JupyterPath {
  /** For the status line and the list of routes tried. */
  readonly label: string;
  open(): SocketLike;
}

/**
 * The Jupyter path of this page for `route`, or undefined (not a Jupyter page: no Notebook 6
 * kernel and no base URL, or no kernel id to address).
 */
export function jupyterPath(route: CommRoute, canvasToken: string, doc: Document, baseUrl: string | undefined): JupyterPath | undefined {
  // Our own kernel websocket first, also in Notebook 6: its frames come as shell replies to it
  // alone, past Notebook 6's own message handling (measured in a Notebook 6 page at 640x480:
  // roundtrip 9.8-11.0 ms against 13.1-13.2 through the page's connection, input latency p50
  // 27.1-27.2 ms against 28.1-30.0, alternated). The page's connection where ours cannot be made.
  const location = doc.location;
  if (baseUrl !== undefined && route.kernelId !== undefined && location && /^https?:$/.test(location.protocol)) {
    const kernelId = route.kernelId;
    return {
      label: `${location.protocol}//${location.host}${baseUrl}api/kernels/${kernelId.slice(0, 8)}…/channels`,
      open: () => new KernelSocketLink(kernelChannelsUrl(location, baseUrl, kernelId, randomHex(16), pageToken(doc)), route, canvasToken),
    };
  }
  if (!notebook6Kernel(route)) return undefined;
  return {
    label: "the notebook's kernel connection",
    open: () => {
      const found = notebook6Kernel(route);
      if (!found) throw new Error('the notebook has no kernel connection now');
      return new Notebook6Link(route, canvasToken, found);
    },
  };
}
