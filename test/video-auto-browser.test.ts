// `codec: 'auto'` (the default) end to end, in Chromium with the real widget, the real H.264
// encoder and a real slow link (the benchmark's relay: bandwidth and delay in user space): over
// loopback a busy scene stays on stills (JPEG); over a 1 Mbit/s link with 100 ms of round trip the
// view's adaptive controller finds the stills too big, and the canvas switches that view to video
// by itself; a second view on loopback at the same time keeps its stills.
import type { Page } from 'playwright-core';
import { afterEach, expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs script of the benchmark, without types
import { startRelay } from '../bench/relay.mjs';
import { useChromium } from './helpers/browser.js';
import { RemoteCanvas } from '../src/index.js';
import { drawFullScreen, until } from './helpers/remote.js';

declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

// A textured background that scrolls and a moving disc: every tile changes every frame (busy).
const SHADER = /* wgsl */ `
@group(0) @binding(0) var<uniform> u: vec4f;
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  return vec4f(vec2f(f32((i << 1u) & 2u), f32(i & 2u)) * 2.0 - 1.0, 0.0, 1.0);
}
@fragment fn fs(@builtin(position) p: vec4f) -> @location(0) vec4f {
  let tex = 0.5 + 0.5 * sin((p.x + u.x * 4.0) / 9.0) * sin((p.y - u.x * 2.0) / 7.0);
  var c = vec4f(0.2 + 0.3 * tex, 0.25 + 0.2 * p.x / 640.0, 0.4 + 0.2 * tex, 1.0);
  let d = distance(p.xy, u.yz) / 60.0;
  if (d < 1.0) { let s = sqrt(1.0 - d * d); c = vec4f(0.9 * s, 0.5 * s, 0.25 * s, 1.0); }
  return c;
}`;

interface Relay { host: string; port: number; close(): Promise<void> }

const session = useChromium();
let canvas: RemoteCanvas | undefined;
let relay: Relay | undefined;

afterEach(async () => {
  canvas?.close();
  canvas = undefined;
  await relay?.close();
  relay = undefined;
});

async function busyCanvas(): Promise<RemoteCanvas> {
  let t = 0;
  // The default codec is 'auto'; 'fastest' draws as fast as the views take frames.
  const c = new RemoteCanvas({ size: [640, 480], updateMode: 'fastest', losslessDelayMs: Infinity, title: 'auto' });
  return drawFullScreen(c, SHADER, 16, () => {
    t++;
    return new Float32Array([t, 320 + 200 * Math.cos(t / 9), 240 + 150 * Math.sin(t / 9), 0]);
  });
}

async function openPage(url: string): Promise<Page> {
  const page = await session.newPage({ viewport: { width: 800, height: 600 } });
  await page.goto(url);
  await page.waitForSelector('#view[data-status="live"][data-frame-index]', { timeout: 30_000 });
  return page;
}

const codecOf = (page: Page): Promise<string | null> => page.evaluate(() => document.querySelector('#view')!.getAttribute('data-codec'));

test('auto: stills over loopback, video for the view behind a slow link (by itself), stills kept for the loopback view beside it', { timeout: 120_000 }, async () => {
  canvas = await busyCanvas();
  const url = new URL(await canvas.getUrl());
  const local = await openPage(url.href);
  // Loopback: the link never limits, so the busy scene goes as stills.
  const sentBefore = canvas.stats().framesSent;
  await until(() => canvas!.stats().framesSent > sentBefore + 60, 30_000, '60 more frames on loopback');
  // (A view the server took for link-bound says why: its controller's state.)
  expect(await codecOf(local), JSON.stringify(canvas.stats().views[0]!.adaptive)).toBe('jpeg');
  expect(canvas.stats()).toMatchObject({ framesVideo: 0, videoViews: [] });

  relay = await startRelay({ target: { host: url.hostname, port: Number(url.port) }, rttMs: 100, rateBitsPerSecond: 1_000_000 }) as Relay;
  url.port = String(relay.port); // 127.0.0.1 is a secure context: WebCodecs is there
  const remote = await openPage(url.href);
  const remoteId = (): string | undefined => canvas!.stats().views.find((v) => v.id !== canvas!.stats().views[0]!.id)?.id;
  await until(() => remoteId() !== undefined && canvas!.stats().videoViews.includes(remoteId()!), 60_000, 'the slow view to be switched to video');
  await remote.waitForFunction(() => document.querySelector('#view')!.getAttribute('data-codec') === 'h264', undefined, { timeout: 30_000 });
  const s = canvas.stats();
  expect(s.videoCodec).toBe('h264');
  expect(s.videoViews).toEqual([remoteId()]);
  // The loopback view was never moved off stills.
  expect(await codecOf(local)).toBe('jpeg');
  // Video frames keep coming to the slow view and it shows them.
  const shown = s.views.find((v) => v.id === remoteId())!.framesShown;
  await until(() => canvas!.stats().views.find((v) => v.id === remoteId())!.framesShown > shown + 10, 30_000, 'the slow view to show 10 more frames');
  expect(canvas.stats().videoViews).toContain(remoteId());
});
