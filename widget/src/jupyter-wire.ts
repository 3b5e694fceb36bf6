// The Jupyter server's kernel websocket, as far as the widget's Jupyter path needs it: the URL
// of a kernel's channels and the binary message format. Pure functions (no DOM), tested in
// test/widget-jupyter-wire.test.ts.

/** A kernel message as the Jupyter server's websocket carries it (the fields the widget reads). */
export interface JupyterMessage {
  channel?: string;
  header?: { msg_type?: string };
  parent_header?: { msg_id?: string };
  content?: { comm_id?: string; data?: Record<string, unknown>; execution_state?: string };
  buffers?: ArrayBuffer[];
}

/**
 * Parses a binary kernel websocket message (jupyter_server's default format: a big-endian u32
 * count n, n u32 offsets, the JSON message at the first offset, then its buffers); undefined for
 * one that is malformed.
 */
export function parseBinaryJupyterMessage(data: ArrayBuffer): JupyterMessage | undefined {
  const view = new DataView(data);
  if (data.byteLength < 8) return undefined;
  const n = view.getUint32(0);
  if (n < 1 || n > 1024 || 4 * (n + 1) > data.byteLength) return undefined;
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) offsets.push(view.getUint32(4 * (i + 1)));
  offsets.push(data.byteLength);
  for (let i = 0; i < n; i++) if (offsets[i]! > offsets[i + 1]! || offsets[i]! < 4 * (n + 1)) return undefined;
  try {
    const msg = JSON.parse(new TextDecoder().decode(new Uint8Array(data, offsets[0]!, offsets[1]! - offsets[0]!))) as JupyterMessage;
    msg.buffers = [];
    for (let i = 1; i < n; i++) msg.buffers.push(data.slice(offsets[i]!, offsets[i + 1]!));
    return msg;
  } catch {
    return undefined;
  }
}

/** The kernel channels websocket URL for `kernelId` under the page's base URL. */
export function kernelChannelsUrl(location: { protocol: string; host: string }, baseUrl: string, kernelId: string, session: string, token?: string): string {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = `session_id=${encodeURIComponent(session)}${token ? `&token=${encodeURIComponent(token)}` : ''}`;
  return `${proto}://${location.host}${baseUrl}api/kernels/${encodeURIComponent(kernelId)}/channels?${query}`;
}

