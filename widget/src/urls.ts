// Where a page can reach the kernel's canvas server. A notebook output knows only the server's
// port and socket path; the route there depends on how the page was served: through
// jupyter-server-proxy (`<base>proxy/<port>`, JupyterHub: `/user/<name>/proxy/<port>`), directly on
// loopback, or on the page's own host. These are pure functions of the page's location and base
// URL (no DOM types: the project's own type check, which has no DOM lib, covers their tests).

/** The comm route to a canvas through the page's Jupyter connection, as the kernel gives it. */
export interface CommRoute {
  /** The comm target to open ('dawn-rfb.view'). */
  target: string;
  canvasId: string;
  /** The kernel's id in its Jupyter server (addresses `<base>api/kernels/<id>/channels`). */
  kernelId?: string;
}

/** Where the kernel's canvas server is, as the kernel describes it (`mount`'s `server` option). */
export interface ServerOptions {
  /** The canvas server's TCP port on the kernel's host. */
  port: number;
  /** The socket path the kernel gives, e.g. '/ws/3f9a1c?token=abc&protocol=1'. */
  path: string;
  /**
   * Where the server is reachable, as a URL prefix the path is appended to; placeholders {proto}
   * (ws or wss, as the page), {host} (the page's host and port), {base} (the page's Jupyter base
   * URL, '/' if unknown), {port} and {token}. When given, it is the only candidate.
   */
  template?: string;
  /** The JupyterHub user prefix (JUPYTERHUB_SERVICE_PREFIX), e.g. '/user/alice/'. */
  hubPrefix?: string;
  /** Substituted for {token} in the template; the canvas's token, also for the Jupyter path. */
  token?: string;
  /** The comm route through the page's Jupyter connection (dawn-rfb kernel), tried last. */
  comm?: CommRoute;
}

/** The part of the page's `location` the candidate URLs depend on (a real Location fits). */
export interface PageLocation {
  /** 'http:', 'https:', 'file:', 'vscode-webview:'… */
  protocol: string;
  /** Host name and port, as location.host. */
  host: string;
  /** Host name without the port, as location.hostname. */
  hostname: string;
}

/** What the overlay suggests when no candidate answered (the kernel side reads this variable). */
export const TEMPLATE_HINT =
  "Set DAWN_RFB_URL_TEMPLATE in the kernel's environment, e.g. {proto}://{host}{base}proxy/{port} (jupyter-server-proxy)";

/** The URL path with exactly one leading and one trailing slash ('/' for an empty one). */
function slashed(path: string): string {
  const inner = path.replace(/^\/+|\/+$/g, '');
  return inner === '' ? '/' : `/${inner}/`;
}

/** Throws a TypeError naming the first bad field of `server`. */
export function checkServerOptions(server: unknown): asserts server is ServerOptions {
  if (typeof server !== 'object' || server === null) throw new TypeError('dawn-rfb: options.server must be an object { port, path }');
  const s = server as Record<string, unknown>;
  if (typeof s.port !== 'number' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535) {
    throw new TypeError('dawn-rfb: options.server.port must be an integer port number (1-65535)');
  }
  if (typeof s.path !== 'string' || !s.path.startsWith('/')) {
    throw new TypeError("dawn-rfb: options.server.path must be the socket path the kernel gives, starting with '/'");
  }
  for (const key of ['template', 'hubPrefix', 'token'] as const) {
    if (s[key] !== undefined && typeof s[key] !== 'string') throw new TypeError(`dawn-rfb: options.server.${key} must be a string`);
  }
  if (s.template !== undefined && (s.template as string).trim() === '') {
    throw new TypeError('dawn-rfb: options.server.template must not be empty');
  }
}

/**
 * The websocket URLs to try, in order, without duplicates: the template alone if there is one;
 * otherwise the JupyterHub proxy, the page's base URL proxy, loopback, and the page's own host.
 */
export function candidateUrls(server: ServerOptions, page: PageLocation, baseUrl: string | undefined): string[] {
  const proto = page.protocol === 'https:' ? 'wss' : 'ws';
  const port = String(server.port);
  const path = server.path.startsWith('/') ? server.path : `/${server.path}`;
  const join = (prefix: string) => prefix.replace(/\/+$/, '') + path;

  if (server.template !== undefined) {
    const values: Record<string, string> = {
      proto,
      host: page.host,
      base: baseUrl === undefined ? '/' : slashed(baseUrl),
      port,
      token: encodeURIComponent(server.token ?? ''),
    };
    return [join(server.template.replace(/\{(proto|host|base|port|token)\}/g, (_, name: string) => values[name] ?? ''))];
  }

  const web = page.protocol === 'http:' || page.protocol === 'https:';
  const urls: string[] = [];
  // Proxied routes go through the page's own origin, so they need one (a file: page has none).
  if (web && page.host !== '') {
    if (server.hubPrefix !== undefined && server.hubPrefix !== '') urls.push(join(`${proto}://${page.host}${slashed(server.hubPrefix)}proxy/${port}`));
    if (baseUrl !== undefined) urls.push(join(`${proto}://${page.host}${slashed(baseUrl)}proxy/${port}`));
  }
  urls.push(join(`ws://127.0.0.1:${port}`));
  if (web && page.hostname !== '' && page.hostname !== '127.0.0.1') urls.push(join(`ws://${page.hostname}:${port}`));
  return [...new Set(urls)];
}

/** The part of a document pageBaseUrl reads (a real Document fits). */
export interface BaseUrlSource {
  getElementById(id: string): { textContent: string | null } | null;
  body?: { dataset?: { [key: string]: string | undefined } } | null;
}

/**
 * The Jupyter server's base URL, with a leading and trailing slash: from #jupyter-config-data
 * (JupyterLab, Notebook 7) or the body's data-base-url (Notebook 6); undefined when the page has
 * neither (VS Code, a plain page) or they cannot be read.
 */
export function pageBaseUrl(doc: BaseUrlSource): string | undefined {
  let base: unknown;
  try {
    const text = doc.getElementById('jupyter-config-data')?.textContent;
    if (text) base = (JSON.parse(text) as { baseUrl?: unknown } | null)?.baseUrl;
  } catch {
    base = undefined;
  }
  if (typeof base !== 'string' || base === '') {
    try {
      base = doc.body?.dataset?.baseUrl;
    } catch {
      base = undefined;
    }
  }
  if (typeof base !== 'string' || base === '') return undefined;
  // An absolute base URL (some deployments) contributes only its path.
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(base) ? base.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') : base;
  return slashed(path);
}

/**
 * The probe for a candidate URL: the same route and canvas, without the token, with `probe=1`
 * (see PROBE_PARAM in the protocol). Whatever answers it (a proxy's 404 log included) never sees the token.
 */
export function probeUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.delete('token');
  u.searchParams.set('probe', '1');
  return u.href;
}

/**
 * The route part of a socket URL (everything before `/ws/<canvas id>`): a route one probe
 * confirmed serves every canvas of that server.
 */
export function routeOf(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const ws = path.lastIndexOf('/ws/');
  return ws < 0 ? path : path.slice(0, ws);
}

/** A URL as the overlay shows it: without the query string, which carries the access token. */
export function displayUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
