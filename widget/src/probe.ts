// Probing a candidate route before the token goes there: a websocket without the token asks the
// route whether it reaches a dawn-rfb server (which answers `{"type":"probe"}` and closes). Only
// then does the connection open with the token, so a route that does not exist (Notebook 6
// without jupyter-server-proxy answers 404 and logs the URL) never sees it. Routes confirmed are
// remembered for the page: every canvas of a kernel shares its server's route.
import type { ProbeMessage } from '../../src/remote/protocol.js';
import { probeUrl, routeOf } from './urls.js';

const confirmed = new Set<string>();

/** Whether a probe already showed that this URL's route reaches a dawn-rfb server. */
export function routeConfirmed(url: string): boolean {
  return confirmed.has(routeOf(url));
}

/** A probe in flight: `done` resolves true once the route answered as a dawn-rfb server. */
export interface Probe {
  readonly done: Promise<boolean>;
  /** Stops waiting (done resolves false) and closes the probe's socket. */
  cancel(): void;
}

/** Probes the route of `url` (an absolute ws: or wss: URL with the token), waiting at most `timeoutMs`. */
export function probeRoute(url: string, timeoutMs: number): Probe {
  let finish: (ok: boolean) => void = () => {};
  let socket: WebSocket | undefined;
  const done = new Promise<boolean>((resolve) => {
    let settled = false;
    const timer = setTimeout(() => finish(false), timeoutMs);
    finish = (ok) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ok) confirmed.add(routeOf(url));
      try {
        socket?.close();
      } catch {
        // closing a socket that failed to open: nothing to do
      }
      resolve(ok);
    };
    try {
      socket = new WebSocket(probeUrl(url));
    } catch {
      finish(false);
      return;
    }
    socket.onmessage = (e: MessageEvent) => {
      let message: Partial<ProbeMessage> | null = null;
      try {
        message = JSON.parse(String(e.data)) as Partial<ProbeMessage> | null;
      } catch {
        message = null;
      }
      finish(message?.type === 'probe');
    };
    socket.onclose = () => finish(false);
  });
  return { done, cancel: () => finish(false) };
}
