// Views through the notebook's own connection: the dawn-rfb kernel (kernel-ext/comms.cjs) gives
// tslab Jupyter comms and publishes them in a small registry on globalThis; a page that cannot
// reach the canvas server's port opens a comm to the target below instead, and its messages
// carry the same protocol as the websocket; a view is admitted by the rule the websocket server
// applies too (admission.ts). This module never imports kernel code and sets no
// global: it only looks the registry up, when a canvas is shown in a notebook.
import { reportError } from '../../report.js';
import { CommChannel } from './comm-channel.js';
import type { ViewChannel } from './channel.js';
import { admitView } from './admission.js';
import { CloseCode, ProtocolError } from '../protocol.js';

/** Where the dawn-rfb kernel launcher puts its {@link KernelComms} registry. */
export const KERNEL_COMMS = Symbol.for('dawn-rfb.kernel-comms');

/** The comm target views open: `{ canvasId, token, protocol }` as the open message's data. */
export const COMM_TARGET = 'dawn-rfb.view';

/** One comm as the kernel launcher hands it over. */
export interface KernelComm {
  readonly id: string;
  readonly targetName: string;
  readonly closed: boolean;
  /** Bytes waiting in the kernel's iopub send queue. */
  readonly bufferedAmount: number;
  /** Sends a comm_msg with JSON `data` and binary buffers. */
  send(data: Record<string, unknown>, buffers?: Uint8Array[]): void;
  /** Sends comm_close (idempotent); onClose runs. */
  close(data?: Record<string, unknown>): void;
  /** Set by the owner: an incoming comm_msg (data is always an object; buffers as received). */
  onMessage: ((data: Record<string, unknown>, buffers: Uint8Array[]) => void) | null;
  /** Set by the owner: the comm closed (from either side, or the kernel shuts down). */
  onClose: ((data: Record<string, unknown>) => void) | null;
}

/** The registry the dawn-rfb kernel launcher installs at `globalThis[KERNEL_COMMS]`. */
export interface KernelComms {
  readonly version: 1;
  /** The kernel's id in its Jupyter server (from the connection file's name), if known. */
  readonly kernelId: string | undefined;
  /** Handles comm_open for `name`; a target registered again replaces the previous handler. */
  registerTarget(name: string, open: (comm: KernelComm, data: Record<string, unknown>, buffers: Uint8Array[]) => void): void;
  unregisterTarget(name: string): void;
}

/** What a canvas offers to views over comms. */
export interface CommServedCanvas {
  readonly id: string;
  readonly token: string;
  isClosed(): boolean;
  /** Takes over an authenticated connection. */
  attachChannel(channel: ViewChannel): void;
}

/** The comm route to a canvas, as the widget gets it in the output bundle. */
export interface CommRoute {
  target: string;
  canvasId: string;
  /** The kernel's id: the widget opens the Jupyter server's kernel channels for it. */
  kernelId?: string;
}

/** The launcher's registry, or undefined when this kernel has none (stock tslab, plain Node). */
export function kernelComms(): KernelComms | undefined {
  const registry = (globalThis as Record<symbol, unknown>)[KERNEL_COMMS] as Partial<KernelComms> | undefined;
  if (registry?.version !== 1 || typeof registry.registerTarget !== 'function') return undefined;
  return registry as KernelComms;
}

const canvases = new Map<string, CommServedCanvas>();
let registeredWith: KernelComms | undefined;

function refuse(comm: KernelComm, code: number, reason: string): void {
  // By kind only (no comm id in the message), as the websocket path reports: a client opening
  // comm after comm gets one report and counted repeats, not a line per comm.
  reportError('comm view', new ProtocolError(`comm_open refused (${reason}); the comm was closed with code ${code}`));
  comm.close({ code, reason });
}

/** comm_open from a view: parses its data, admits it (admission.ts), then hands the canvas a channel. */
function openView(comm: KernelComm, data: Record<string, unknown>): void {
  const { canvasId, token, protocol } = data;
  if (typeof canvasId !== 'string' || typeof token !== 'string' || typeof protocol !== 'number') {
    refuse(comm, CloseCode.protocolMismatch, 'comm_open data must be { canvasId: string, token: string, protocol: number }');
    return;
  }
  const admission = admitView({ canvasId, token, protocol }, canvases, 'kernel');
  if (!admission.admitted) {
    refuse(comm, admission.code, admission.reason);
    return;
  }
  const canvas = admission.canvas;
  canvas.attachChannel(new CommChannel(comm));
}

/**
 * Serves `canvas` to views over comms, when this kernel has them (the dawn-rfb kernel); returns
 * the route for the output bundle, or undefined. The comm target is registered on first use.
 */
export function serveOverComms(canvas: CommServedCanvas): CommRoute | undefined {
  const registry = kernelComms();
  if (!registry || canvas.isClosed()) return undefined;
  if (registeredWith !== registry) {
    registry.registerTarget(COMM_TARGET, (comm, data) => openView(comm, data));
    registeredWith = registry;
  }
  canvases.set(canvas.id, canvas);
  return { target: COMM_TARGET, canvasId: canvas.id, ...(registry.kernelId ? { kernelId: registry.kernelId } : {}) };
}

/** Stops serving a closed canvas over comms (its open channels are closed by the canvas). */
export function stopServingOverComms(canvas: CommServedCanvas): void {
  if (canvases.get(canvas.id) === canvas) canvases.delete(canvas.id);
}
