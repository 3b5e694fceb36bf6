// Showing a canvas as notebook cell output. One display_data carries three MIME types: text/html
// (a container with the snapshot image and the inlined widget script, which swaps in the live
// view once its first frame arrives), image/png (the snapshot, for front ends that run no
// scripts: GitHub, nbviewer, untrusted notebooks) and text/plain.
//
// The display writer is the kernel's (tslab's). This module finds it without importing any
// kernel code: through a hook the dawn-rfb kernel launcher (kernel-ext/) installs, or, on stock
// tslab, by looking for tslab's jupyter module among the loaded CommonJS modules.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

/** A display message as tslab's writer takes it. */
export interface DisplayMessage {
  data: Record<string, string>;
  metadata: Record<string, unknown>;
  transient: { display_id: string };
}

/** Sends a display message (`update`: replace the output with that display id). */
export type DisplayWriter = (message: DisplayMessage, update: boolean) => void;

/** Set by kernel-ext/launcher.cjs: returns the writer of the cell executing now. */
export const DISPLAY_WRITER_HOOK = Symbol.for('dawn-rfb.displayWriter');
/** Promises the launcher awaits before a cell's execution ends, so outputs land in that cell. */
export const PENDING_DISPLAYS = Symbol.for('dawn-rfb.pendingDisplays');
/** Method the launcher calls on a cell's last expression to display it. */
export const SHOW = Symbol.for('dawn-rfb.show');

type Hooks = { [DISPLAY_WRITER_HOOK]?: () => DisplayWriter | null; [PENDING_DISPLAYS]?: Set<Promise<unknown>> };
const hooks = globalThis as typeof globalThis & Hooks;

const TSLAB_JUPYTER = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

/**
 * The display writer of the notebook cell running now, or undefined outside a notebook kernel.
 * Read it synchronously while the cell runs: tslab's writer is bound to that cell's request.
 */
export function currentDisplayWriter(): DisplayWriter | undefined {
  const hook = hooks[DISPLAY_WRITER_HOOK];
  if (typeof hook === 'function') return hook() ?? undefined;
  const cache = createRequire(import.meta.url).cache;
  for (const [file, mod] of Object.entries(cache)) {
    const writer = TSLAB_JUPYTER.test(file) ? (mod?.exports as { lastWriteDisplayData?: unknown })?.lastWriteDisplayData : undefined;
    if (typeof writer === 'function') return writer as DisplayWriter;
  }
  return undefined;
}

/** Registers work whose output belongs to the running cell (awaited by the dawn-rfb kernel). */
export function trackDisplay(work: Promise<unknown>): void {
  const pending = (hooks[PENDING_DISPLAYS] ??= new Set());
  pending.add(work);
  void work.finally(() => pending.delete(work)).catch(() => {});
}

/** A new unique id for a display (and its HTML container). */
export function newDisplayId(): string {
  return `dawn-rfb-${randomBytes(8).toString('hex')}`;
}

/** What the widget needs to find the server from the page. */
export interface ServerLocation {
  port: number;
  /** Socket path with token and protocol version. */
  path: string;
  token: string;
  /** URL template (DAWN_RFB_URL_TEMPLATE); see the README. */
  template?: string;
  /** JupyterHub's service prefix (JUPYTERHUB_SERVICE_PREFIX), e.g. "/user/alice/". */
  hubPrefix?: string;
}

/** Everything an output shows. */
export interface OutputContent {
  displayId: string;
  png: Buffer;
  /** Logical size of the snapshot, CSS px. */
  width: number;
  height: number;
  cssWidth: string;
  cssHeight: string;
  summary: string;
  server: ServerLocation;
  widgetScript: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The display message for an output. */
export function outputMessage(c: OutputContent): DisplayMessage {
  const png = c.png.toString('base64');
  const html = `<div id="${c.displayId}" class="dawn-rfb-output" style="width:${escapeHtml(c.cssWidth)};height:${escapeHtml(c.cssHeight)}">`
    + `<img class="dawn-rfb-snapshot" alt="${escapeHtml(c.summary)}" src="data:image/png;base64,${png}" style="width:${c.width}px;height:${c.height}px">`
    + '</div>\n<script>\n(function () {\n'
    + `if (!(window.DawnRfb && window.DawnRfb.mount)) {\n${c.widgetScript}\n}\n`
    + `var root = document.getElementById(${scriptJson(c.displayId)});\n`
    + 'if (root && !root.dataset.status) {\n'
    + `  window.DawnRfb.mount(root, { server: ${scriptJson(c.server)}, snapshot: root.querySelector('img.dawn-rfb-snapshot') });\n`
    + '}\n})();\n</script>';
  return {
    data: { 'text/html': html, 'image/png': png, 'text/plain': c.summary },
    metadata: { 'image/png': { width: c.width, height: c.height } },
    transient: { display_id: c.displayId },
  };
}
