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
import { escapeHtml } from '../html.js';

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
  /** The comm route through the notebook's own kernel connection (dawn-rfb kernel only). */
  comm?: { target: string; canvasId: string; kernelId?: string };
}

/** One canvas's view in an output. */
export interface ViewContent {
  /** Id of the view's container (unique per output). */
  containerId: string;
  png: Buffer;
  /** Logical size of the snapshot, CSS px. */
  width: number;
  height: number;
  cssWidth: string;
  cssHeight: string;
  /** One line about the canvas (alt text, text/plain). */
  summary: string;
  server: ServerLocation;
}

/** Everything an output shows: one view, or several side by side. */
export interface OutputContent {
  displayId: string;
  views: ViewContent[];
  /** The image/png of the output (for several views: them side by side). */
  png: Buffer;
  widgetScript: string;
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function viewHtml(v: ViewContent): string {
  return `<div id="${v.containerId}" class="dawn-rfb-output" style="width:${escapeHtml(v.cssWidth)};height:${escapeHtml(v.cssHeight)}">`
    + `<img class="dawn-rfb-snapshot" alt="${escapeHtml(v.summary)}" src="data:image/png;base64,${v.png.toString('base64')}" style="width:${v.width}px;height:${v.height}px">`
    + '</div>';
}

/** The display message for an output. */
export function outputMessage(c: OutputContent): DisplayMessage {
  const row = c.views.length > 1;
  const html = (row ? '<div class="dawn-rfb-row" style="display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start">' : '')
    + c.views.map(viewHtml).join('') + (row ? '</div>' : '')
    + '\n<script>\n(function () {\n'
    + `if (!(window.DawnRfb && window.DawnRfb.mount)) {\n${c.widgetScript}\n}\n`
    + `${scriptJson(c.views.map((v) => [v.containerId, v.server]))}.forEach(function (view) {\n`
    + '  var root = document.getElementById(view[0]);\n'
    + "  if (root && !root.dataset.status) window.DawnRfb.mount(root, { server: view[1], snapshot: root.querySelector('img.dawn-rfb-snapshot') });\n"
    + '});\n})();\n</script>';
  const width = c.views.reduce((w, v) => w + v.width, 0) + 8 * (c.views.length - 1);
  const height = Math.max(...c.views.map((v) => v.height));
  return {
    data: { 'text/html': html, 'image/png': c.png.toString('base64'), 'text/plain': c.views.map((v) => v.summary).join('\n') },
    metadata: { 'image/png': { width, height } },
    transient: { display_id: c.displayId },
  };
}
