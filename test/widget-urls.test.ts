// The widget's candidate websocket URLs for a kernel's server, from the page's location and
// Jupyter base URL: pure functions, no browser.
import { describe, expect, test } from 'vitest';
import { candidateUrls, checkServerOptions, displayUrl, pageBaseUrl, probeUrl, routeOf, type BaseUrlSource } from '../widget/src/urls.js';

const PATH = '/ws/3f9a1c?token=abc&protocol=1';

function page(href: string) {
  const u = new URL(href);
  return { protocol: u.protocol, host: u.host, hostname: u.hostname };
}

/** A document with the given #jupyter-config-data text and body data-base-url. */
function fakeDoc(configText?: string | null, dataBaseUrl?: string): BaseUrlSource {
  return {
    getElementById: (id) => (id === 'jupyter-config-data' && configText !== undefined ? { textContent: configText } : null),
    body: { dataset: dataBaseUrl === undefined ? {} : { baseUrl: dataBaseUrl } },
  };
}

describe('candidateUrls', () => {
  test('Notebook 6 at http://localhost:8888/: base-url proxy, loopback, page host', () => {
    const urls = candidateUrls({ port: 8123, path: PATH }, page('http://localhost:8888/notebooks/a.ipynb'), '/');
    expect(urls).toEqual([
      `ws://localhost:8888/proxy/8123${PATH}`,
      `ws://127.0.0.1:8123${PATH}`,
      `ws://localhost:8123${PATH}`,
    ]);
  });

  test('no base URL found: no proxied candidate', () => {
    const urls = candidateUrls({ port: 8123, path: PATH }, page('http://localhost:8888/'), undefined);
    expect(urls).toEqual([`ws://127.0.0.1:8123${PATH}`, `ws://localhost:8123${PATH}`]);
  });

  test('a page on 127.0.0.1 does not repeat the loopback candidate', () => {
    const urls = candidateUrls({ port: 8123, path: PATH }, page('http://127.0.0.1:8888/tree'), '/');
    expect(urls).toEqual([`ws://127.0.0.1:8888/proxy/8123${PATH}`, `ws://127.0.0.1:8123${PATH}`]);
  });

  test('JupyterHub over https: hub proxy first (wss), deduplicated with the base-URL proxy', () => {
    const server = { port: 8123, path: PATH, hubPrefix: '/user/alice/' };
    const urls = candidateUrls(server, page('https://hub.example.org/user/alice/lab'), '/user/alice/');
    expect(urls).toEqual([
      `wss://hub.example.org/user/alice/proxy/8123${PATH}`,
      `ws://127.0.0.1:8123${PATH}`,
      `ws://hub.example.org:8123${PATH}`,
    ]);
    // Unnormalised prefixes lead to the same URLs.
    expect(candidateUrls({ ...server, hubPrefix: 'user/alice' }, page('https://hub.example.org/user/alice/lab'), '/user/alice'))
      .toEqual(urls);
  });

  test('JupyterHub prefix and a different base URL: both, hub first', () => {
    const urls = candidateUrls({ port: 9000, path: PATH, hubPrefix: '/user/alice/' },
      page('https://hub.example.org/user/alice/lab'), '/user/alice/lab-server/');
    expect(urls.slice(0, 2)).toEqual([
      `wss://hub.example.org/user/alice/proxy/9000${PATH}`,
      `wss://hub.example.org/user/alice/lab-server/proxy/9000${PATH}`,
    ]);
    expect(urls).toHaveLength(4);
  });

  test('a template is the only candidate, with every placeholder filled', () => {
    const server = {
      port: 8123, path: PATH, token: 'x y', hubPrefix: '/user/alice/',
      template: '{proto}://{host}{base}proxy/{port}/t/{token}/{proto}/',
    };
    expect(candidateUrls(server, page('https://hub.example.org:8443/user/bob/lab'), '/user/bob/')).toEqual([
      `wss://hub.example.org:8443/user/bob/proxy/8123/t/x%20y/wss${PATH}`,
    ]);
    // Unknown base URL → '/', no token → '', http → ws.
    expect(candidateUrls({ port: 7, path: PATH, template: '{proto}://{host}{base}proxy/{port}{token}' },
      page('http://localhost:8888/'), undefined)).toEqual([`ws://localhost:8888/proxy/7${PATH}`]);
    // A fixed URL (e.g. a forwarded port) is fine too.
    expect(candidateUrls({ port: 7, path: PATH, template: 'wss://tunnel.example.com/' }, page('file:///tmp/a.html'), undefined))
      .toEqual([`wss://tunnel.example.com${PATH}`]);
  });

  test('file: and vscode-webview: pages: loopback only', () => {
    expect(candidateUrls({ port: 8123, path: PATH, hubPrefix: '/user/alice/' }, page('file:///home/a/out.html'), '/'))
      .toEqual([`ws://127.0.0.1:8123${PATH}`]);
    expect(candidateUrls({ port: 8123, path: PATH },
      { protocol: 'vscode-webview:', host: '0a1b2c3d', hostname: '0a1b2c3d' }, undefined))
      .toEqual([`ws://127.0.0.1:8123${PATH}`]);
  });
});

describe('pageBaseUrl', () => {
  test('JupyterLab / Notebook 7: #jupyter-config-data JSON', () => {
    expect(pageBaseUrl(fakeDoc(JSON.stringify({ baseUrl: '/user/alice/', appName: 'JupyterLab' })))).toBe('/user/alice/');
    expect(pageBaseUrl(fakeDoc(JSON.stringify({ baseUrl: '/' })))).toBe('/');
    expect(pageBaseUrl(fakeDoc(JSON.stringify({ baseUrl: 'user/bob' })))).toBe('/user/bob/');
  });

  test('Notebook 6: body data-base-url', () => {
    expect(pageBaseUrl(fakeDoc(undefined, '/'))).toBe('/');
    expect(pageBaseUrl(fakeDoc(undefined, '/user/alice'))).toBe('/user/alice/');
  });

  test('missing or garbled config → undefined (or the Notebook 6 form)', () => {
    expect(pageBaseUrl(fakeDoc())).toBeUndefined();
    expect(pageBaseUrl({ getElementById: () => null })).toBeUndefined();
    expect(pageBaseUrl({ getElementById: () => null, body: null })).toBeUndefined();
    expect(pageBaseUrl(fakeDoc('{"baseUrl": '))).toBeUndefined();
    expect(pageBaseUrl(fakeDoc('not json'))).toBeUndefined();
    expect(pageBaseUrl(fakeDoc('null'))).toBeUndefined();
    expect(pageBaseUrl(fakeDoc('{"baseUrl": 42}'))).toBeUndefined();
    expect(pageBaseUrl(fakeDoc(''))).toBeUndefined();
    expect(pageBaseUrl(fakeDoc(null))).toBeUndefined();
    expect(pageBaseUrl(fakeDoc('garbled{', '/nb6/'))).toBe('/nb6/');
  });
});

describe('checkServerOptions', () => {
  test('accepts a port and path, rejects bad fields with a TypeError', () => {
    expect(() => checkServerOptions({ port: 8123, path: PATH, template: '{proto}://{host}', hubPrefix: '/', token: 't' })).not.toThrow();
    expect(() => checkServerOptions(undefined)).toThrow(TypeError);
    expect(() => checkServerOptions({ port: '8123', path: PATH })).toThrow(/server\.port/);
    expect(() => checkServerOptions({ port: 0, path: PATH })).toThrow(/server\.port/);
    expect(() => checkServerOptions({ port: 70000, path: PATH })).toThrow(/server\.port/);
    expect(() => checkServerOptions({ port: 8123, path: 'ws/x' })).toThrow(/server\.path/);
    expect(() => checkServerOptions({ port: 8123, path: PATH, template: 3 })).toThrow(/server\.template/);
    expect(() => checkServerOptions({ port: 8123, path: PATH, template: '' })).toThrow(/server\.template/);
    expect(() => checkServerOptions({ port: 8123, path: PATH, hubPrefix: null })).toThrow(/server\.hubPrefix/);
  });
});

test('displayUrl drops the query (the access token)', () => {
  expect(displayUrl(`ws://127.0.0.1:8123${PATH}`)).toBe('ws://127.0.0.1:8123/ws/3f9a1c');
  expect(displayUrl('ws://x/y')).toBe('ws://x/y');
});

describe('probeUrl and routeOf (a route is probed without the token before the token goes there)', () => {
  const url = `ws://localhost:8888/proxy/8123/ws/3f9a1c?token=s3cr%2Bt&protocol=3`;

  test('probeUrl drops the token (and only it), and asks for a probe', () => {
    const probe = probeUrl(url);
    expect(probe).toBe('ws://localhost:8888/proxy/8123/ws/3f9a1c?protocol=3&probe=1');
    expect(probe).not.toContain('token');
    expect(probe).not.toContain('s3cr');
    // a URL with the token twice, or as its only parameter
    expect(probeUrl('ws://h/ws/a?token=x&token=y')).toBe('ws://h/ws/a?probe=1');
  });

  test('routeOf is the part before /ws/<id>: one route for every canvas of a server', () => {
    expect(routeOf(url)).toBe('ws://localhost:8888/proxy/8123');
    expect(routeOf('ws://127.0.0.1:8123/ws/aaaa?token=x')).toBe(routeOf('ws://127.0.0.1:8123/ws/bbbb?token=y'));
    expect(routeOf('ws://127.0.0.1:8123/ws/aaaa')).not.toBe(routeOf('ws://127.0.0.1:8124/ws/aaaa'));
  });
});
