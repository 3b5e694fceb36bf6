// What the browser suites share: how Debian's Chromium is launched here (and one browser per
// suite, its pages closed after each test), a free loopback port for the servers they start,
// stopping those servers, and reading the widget's canvas.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { chromium, type Browser, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';

/**
 * Flags for headless Chromium on these machines: without the background-networking ones its
 * connections to Google's hosts are refused many at a time by the closed network.
 */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A suite's Chromium: pages opened through it are closed after each test. */
export interface ChromiumSession {
  /** A new page (its own context), closed after the test. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
}

/**
 * Launches Debian's Chromium before the suite's tests and closes it after them; the pages each
 * test opens through the session are closed when the test ends (after the suite's own afterEach
 * hooks registered later, such as closing its canvas: vitest runs after-hooks as a stack).
 */
export function useChromium(): ChromiumSession {
  let browser: Browser | undefined;
  const pages: Page[] = [];
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close();
  });
  return {
    async newPage(options) {
      if (!browser) throw new Error('useChromium(): the browser is not launched yet (call newPage inside a test)');
      const page = await browser.newPage(options);
      pages.push(page);
      return page;
    },
  };
}

/** A TCP port nothing listens on right now (the OS picks it), on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Stops a server process: SIGTERM (it stops its kernels), then SIGKILL after `graceMs`. */
export async function stopProcess(proc: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!proc || proc.exitCode != null || proc.signalCode != null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Shuts down every kernel of a Jupyter server through its REST API (`api(path)` adds the token). */
export async function deleteKernels(api: (path: string) => string): Promise<void> {
  try {
    const kernels = await (await fetch(api('/api/kernels'))).json() as { id: string }[];
    await Promise.all(kernels.map((k) => fetch(api(`/api/kernels/${k.id}`), { method: 'DELETE' })));
  } catch { /* the server's own shutdown stops them too */ }
}

/** The canvas's own backing store as a data URL (the status overlay sits above it). */
export const backingStore = (canvas: Locator): Promise<string> =>
  canvas.evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());

/** Waits until the canvas's backing store stays the same for `quietMs` (the lossless re-send included). */
export async function settledBackingStore(page: Page, canvas: Locator, quietMs = 800): Promise<string> {
  let last = await backingStore(canvas);
  for (let tries = 0; tries < 40; tries++) {
    await page.waitForTimeout(quietMs);
    const now = await backingStore(canvas);
    if (now === last) return now;
    last = now;
  }
  throw new Error('the canvas never stopped changing');
}
