// Adversarial authentication: whoever reaches the port gets nothing without a canvas's token.
// Each case says what the server must answer, then checks that the process is alive and that a
// bystander view (another canvas) and a second view of the attacked canvas keep their frames.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode, PROTOCOL_VERSION, RemoteCanvas } from '../src/index.js';
import { get, makeBystander, type Bystander } from './helpers/adversarial.js';
import { cleanup, makeSolidCanvas, openView, track, until, type SolidCanvas, type ViewClient } from './helpers/remote.js';

let bystander: Bystander;
let target: SolidCanvas;
let targetView: ViewClient;
let port: number;

beforeEach(async () => {
  bystander = await makeBystander();
  target = await makeSolidCanvas({ size: [32, 24] });
  target.canvas.setUpdateMode('continuous', { maxFps: 30 });
  targetView = await openView(target.canvas);
  port = (await target.canvas.server()).port;
});

afterEach(async () => {
  // Both views still receive frames after whatever the test did.
  await bystander.expectFrames(2);
  const n = targetView.frames.length;
  await until(() => targetView.frames.length >= n + 2, 5000, 'frames on the attacked canvas');
  cleanup();
});

/** Opens a raw websocket and resolves with how it ended: a close code, or an HTTP status. */
function attempt(path: string, headers: Record<string, string> = {}, host?: string): Promise<{ code?: number; reason?: string; status?: number; opened: boolean }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { ...(host ? { host } : {}), ...headers } });
    let opened = false;
    ws.on('open', () => { opened = true; });
    ws.on('unexpected-response', (_req, res) => { resolve({ status: res.statusCode, opened }); ws.terminate(); });
    ws.on('error', () => {});
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), opened }));
    ws.on('message', () => { /* a refused peer must never get a frame */ resolve({ code: -1, reason: 'got a message', opened }); ws.terminate(); });
  });
}

const wsPath = (id: string, token: string, protocol = String(PROTOCOL_VERSION)): string =>
  `/ws/${id}?token=${encodeURIComponent(token)}&protocol=${protocol}`;

describe('tokens', () => {
  it('no token, an empty token, a wrong token: closed with badToken, no message', async () => {
    const id = target.canvas.id;
    expect(await attempt(`/ws/${id}?protocol=${PROTOCOL_VERSION}`)).toMatchObject({ code: CloseCode.badToken, reason: 'missing or wrong token' });
    expect(await attempt(wsPath(id, ''))).toMatchObject({ code: CloseCode.badToken });
    const t = target.canvas.token;
    expect(await attempt(wsPath(id, t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A')))).toMatchObject({ code: CloseCode.badToken });
    expect(await attempt(wsPath(id, t + 'x'))).toMatchObject({ code: CloseCode.badToken });
    expect(await attempt(wsPath(id, t.slice(0, 8)))).toMatchObject({ code: CloseCode.badToken });
    // The token twice (parameter pollution: which one would a proxy check?): refused even if one is right.
    expect(await attempt(`/ws/${id}?token=${t}&token=${t}x&protocol=${PROTOCOL_VERSION}`)).toMatchObject({ code: CloseCode.badToken });
    expect(await attempt(`/ws/${id}?token=${t}&token=${t}&protocol=${PROTOCOL_VERSION}`)).toMatchObject({ code: CloseCode.badToken });
    expect((await get(port, `/view/${id}?token=${t}&token=${t}`)).status).toBe(404);
  });

  it("another canvas's token: badToken (tokens are per canvas)", async () => {
    const other = bystander.s.canvas;
    expect(await attempt(wsPath(target.canvas.id, other.token))).toMatchObject({ code: CloseCode.badToken });
    expect(await attempt(wsPath(other.id, target.canvas.token))).toMatchObject({ code: CloseCode.badToken });
    expect(other.viewCount).toBe(1);
    expect(target.canvas.viewCount).toBe(1);
  });

  it('the right token for a closed canvas: unknownCanvas; its view page is gone too', async () => {
    const closed = track(new RemoteCanvas({ size: [8, 8] }));
    await closed.server();
    const { id, token } = closed;
    const page = `/view/${id}?token=${encodeURIComponent(token)}`;
    expect((await get(port, page)).status).toBe(200);
    closed.close();
    // The reason says the canvas closed (the view shows "canvas closed", not connection advice).
    expect(await attempt(wsPath(id, token))).toMatchObject({ code: CloseCode.unknownCanvas, reason: 'canvas closed' });
    const gone = await get(port, page);
    expect(gone.status).toBe(404);
    expect(gone.body).not.toContain(token);
  });

  it('ids and tokens in odd encodings are just unknown', async () => {
    const t = target.canvas.token;
    for (const id of ['%', '%00', '..%2F..', encodeURIComponent(target.canvas.id.toUpperCase()), 'x'.repeat(5000)]) {
      const r = await attempt(`/ws/${id}?token=${t}&protocol=${PROTOCOL_VERSION}`);
      expect([CloseCode.unknownCanvas, 404].includes((r.code ?? r.status)!), JSON.stringify(r)).toBe(true);
    }
  });
});

describe('no route lists canvases or tokens', () => {
  it('every other path is a bare 404 that names no canvas or token', async () => {
    const secrets = [target.canvas.id, target.canvas.token, bystander.s.canvas.id, bystander.s.canvas.token];
    for (const path of ['/', '/view', '/view/', '/ws', '/ws/', '/canvases', '/api', '/api/canvases', '/index.html',
      '/view/' + target.canvas.id, `/view/${target.canvas.id}?token=`, `/view/${target.canvas.id}?token=${bystander.s.canvas.token}`,
      '/../../etc/passwd', '/widget.js/..', '/%2e%2e/']) {
      const r = await get(port, path);
      expect(r.status, path).toBe(404);
      for (const s of secrets) expect(r.body, path).not.toContain(s);
    }
    // Only GET is served.
    const post = await (await import('./helpers/adversarial.js')).rawRequest(port,
      `POST /view/${target.canvas.id}?token=${target.canvas.token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    expect(post.status).toBe(405);
    // A plain GET of the websocket route is not an upgrade: nothing listed either.
    const plainWs = await get(port, wsPath(target.canvas.id, target.canvas.token));
    expect(plainWs.status).toBe(404);
  });
});

describe('Host header (DNS rebinding), as Jupyter refuses it', () => {
  it('loopback names and the bound address are served', async () => {
    const page = `/view/${target.canvas.id}?token=${encodeURIComponent(target.canvas.token)}`;
    // The page's URL holds the token: it is never passed on as a Referer, and not framed.
    const headers = (await get(port, page)).headers.toLowerCase();
    expect(headers).toContain('referrer-policy: no-referrer');
    expect(headers).toContain('x-frame-options: deny');
    expect(headers).toContain('cache-control: no-store');
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `LOCALHOST.:${port}`, `app.localhost:${port}`, `[::1]:${port}`, '127.0.0.2']) {
      expect((await get(port, page, host)).status, host).toBe(200);
    }
    expect(await attempt(wsPath(target.canvas.id, target.canvas.token), {}, `localhost:${port}`)).toMatchObject({ opened: true });
  });

  it('any other name, a public IP, or a malformed Host: 403 for pages and websockets alike', async () => {
    const page = `/view/${target.canvas.id}?token=${encodeURIComponent(target.canvas.token)}`;
    const evil = ['attacker.example', `attacker.example:${port}`, `localhost.attacker.example:${port}`, '10.0.0.1', '8.8.8.8:80', 'a b', '[::1', `127.0.0.1:${port}@evil`];
    for (const host of evil) {
      const r = await get(port, page, host);
      expect(r.status, host).toBe(403);
      expect(r.body).not.toContain(target.canvas.token);
      const ws = await attempt(wsPath(target.canvas.id, target.canvas.token), {}, host);
      expect(ws, host).toMatchObject({ status: 403, opened: false });
    }
    const r = await get(port, page, 'attacker.example');
    expect(r.body).toMatch(/Host "attacker.example" not allowed.*allowedHosts.*DAWN_RFB_ALLOWED_HOSTS/);
    // No Host header at all (HTTP/1.1 requires one): refused.
    expect((await get(port, page, null)).status).toBeGreaterThanOrEqual(400);
    expect(target.canvas.viewCount).toBe(1);
  });

  it('allowedHosts adds names ("*" turns the check off); a wildcard bind accepts IP addresses', async () => {
    cleanup(); // fresh server: options apply when it starts
    await until(() => true);
    const named = await makeSolidCanvas({ size: [8, 8], server: { allowedHosts: ['notebooks.example.org'] } });
    const srv = await named.canvas.server();
    const page = `/view/${named.canvas.id}?token=${encodeURIComponent(named.canvas.token)}`;
    expect((await get(srv.port, page, 'notebooks.example.org')).status).toBe(200);
    expect((await get(srv.port, page, 'NOTEBOOKS.example.org:443')).status).toBe(200);
    expect((await get(srv.port, page, 'other.example.org')).status).toBe(403);
    expect((await get(srv.port, page, '10.1.2.3')).status).toBe(403); // bound to loopback: only loopback IPs
    named.canvas.close();
    await until(() => srv.closed);
    const any = await makeSolidCanvas({ size: [8, 8], server: { allowedHosts: '*' } });
    const srv2 = await any.canvas.server();
    expect((await get(srv2.port, `/view/${any.canvas.id}?token=${encodeURIComponent(any.canvas.token)}`, 'whatever.example')).status).toBe(200);
    any.canvas.close();
    await until(() => srv2.closed);
    const wildcard = await makeSolidCanvas({ size: [8, 8], server: { host: '0.0.0.0' } });
    const srv3 = await wildcard.canvas.server();
    const page3 = `/view/${wildcard.canvas.id}?token=${encodeURIComponent(wildcard.canvas.token)}`;
    expect((await get(srv3.port, page3, '192.168.1.20:8000')).status).toBe(200);
    expect((await get(srv3.port, page3, 'rebind.attacker.example')).status).toBe(403);
    wildcard.canvas.close();
    await until(() => srv3.closed);
    // The bystanders of afterEach need a live pair again.
    bystander = await makeBystander();
    target = await makeSolidCanvas({ size: [32, 24] });
    target.canvas.setUpdateMode('continuous', { maxFps: 30 });
    targetView = await openView(target.canvas);
  });

  it('the environment: DAWN_RFB_ALLOWED_HOSTS adds names; under JupyterHub the default is "*"', async () => {
    cleanup();
    await until(() => true);
    const saved = { hub: process.env.JUPYTERHUB_SERVICE_PREFIX, allowed: process.env.DAWN_RFB_ALLOWED_HOSTS };
    try {
      const check = async (host: string): Promise<number> => {
        const c = await makeSolidCanvas({ size: [8, 8] });
        const srv = await c.canvas.server();
        const status = (await get(srv.port, `/view/${c.canvas.id}?token=${encodeURIComponent(c.canvas.token)}`, host)).status;
        c.canvas.close();
        await until(() => srv.closed);
        return status;
      };
      process.env.DAWN_RFB_ALLOWED_HOSTS = 'lab.example.org, hub.example.org';
      expect(await check('hub.example.org')).toBe(200);
      expect(await check('evil.example.org')).toBe(403);
      delete process.env.DAWN_RFB_ALLOWED_HOSTS;
      process.env.JUPYTERHUB_SERVICE_PREFIX = '/user/alice/';
      expect(await check('hub.example.org')).toBe(200); // the hub's proxy forwards its public name
      process.env.DAWN_RFB_ALLOWED_HOSTS = 'hub.example.org'; // the check kept under a hub
      expect(await check('evil.example.org')).toBe(403);
    } finally {
      for (const [key, value] of [['JUPYTERHUB_SERVICE_PREFIX', saved.hub], ['DAWN_RFB_ALLOWED_HOSTS', saved.allowed]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    bystander = await makeBystander();
    target = await makeSolidCanvas({ size: [32, 24] });
    target.canvas.setUpdateMode('continuous', { maxFps: 30 });
    targetView = await openView(target.canvas);
  });

  it('bad allowedHosts values are clear errors from the constructor', () => {
    for (const allowedHosts of [['host:80'], ['a b'], [''], 'all', [42]] as unknown as string[][]) {
      expect(() => new RemoteCanvas({ size: [8, 8], server: { allowedHosts } })).toThrow(/allowedHosts must be '\*' or a list of host names without port/);
    }
  });
});

describe('refusals cost nothing that stays', () => {
  it('600 refused attempts (no token, wrong token, foreign Host, unknown canvas): heap bounded, nothing left open', async () => {
    const { settledMemory } = await import('./helpers/adversarial.js');
    const before = await settledMemory();
    const id = target.canvas.id;
    for (let round = 0; round < 150; round++) {
      await Promise.all([
        attempt(`/ws/${id}?protocol=${PROTOCOL_VERSION}`),
        attempt(wsPath(id, 'wrong')),
        attempt(wsPath(id, target.canvas.token), {}, 'rebind.attacker.example'),
        attempt(wsPath('0000deadbeef', target.canvas.token)),
      ]);
    }
    const after = await settledMemory();
    expect((after.heap - before.heap) / 2 ** 20).toBeLessThan(8);
    expect(target.canvas.viewCount).toBe(1);
  }, 60_000);
});

describe('Origin: not used for authorization (the token is); documented in the README', () => {
  it('a foreign Origin with the right token connects; with a wrong token it does not', async () => {
    const good = await attempt(wsPath(target.canvas.id, target.canvas.token), { origin: 'https://attacker.example' });
    expect(good.opened).toBe(true);
    const bad = await attempt(wsPath(target.canvas.id, 'guess'), { origin: 'https://attacker.example' });
    expect(bad).toMatchObject({ code: CloseCode.badToken });
  });
});
