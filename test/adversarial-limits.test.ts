// Limits a view cannot sidestep: the message rate exempts acknowledgements, so only a short ack
// counts as one (a long message starting like an ack is refused unparsed, and counts against the
// rate); and a byte budget per view and second bounds what big ordinary messages cost. Each case
// asserts what the input produced, then that the view still works (one valid message, waited for).
import { afterEach, describe, expect, it } from 'vitest';
import type { CanvasEvent } from '../src/index.js';
import { MAX_ACK_LENGTH, MAX_VIEW_BYTES_PER_SECOND } from '../src/remote/transport/byte-rate.js';
import { floodFromChild, makeBystander } from './helpers/adversarial.js';
import { captureReports, cleanup, makeSolidCanvas, openView, until } from './helpers/remote.js';

afterEach(cleanup);

const messagesOf = (capture: ReturnType<typeof captureReports>): string[] => capture.reports.map((r) => (r as unknown as { message: string }).message);

/** A key_down message (key_down events are never merged, so each one sent is one delivered). */
const keyDown = (key: string, pad = 0): string => JSON.stringify({
  type: 'event', event: { type: 'key_down', timestamp: 1, key, modifiers: [] }, ...(pad > 0 ? { pad: 'x'.repeat(pad) } : {}),
});

describe('acknowledgements', () => {
  it('a long message that starts like an ack is refused unparsed: it settles no frame; a short ack then does', async () => {
    const capture = captureReports();
    try {
      const s = await makeSolidCanvas({ size: [32, 24], losslessDelayMs: Infinity });
      const view = await openView(s.canvas, { autoAck: false });
      const frame = await view.nextFrame();
      const index = frame.header.index;
      const long = `{"type":"ack","index":${index},"pad":"${'x'.repeat(100)}"}`;
      view.sendRaw(long);
      const short = `{"type":"ack","index":${index}}`;
      expect(short.length).toBeLessThanOrEqual(MAX_ACK_LENGTH);
      // The refusal comes before anything sent after it.
      await until(() => messagesOf(capture).some((m) => m.includes(`at most ${MAX_ACK_LENGTH} characters`)), 3000, 'the refusal');
      expect(s.canvas.stats().views[0]!.framesAcked).toBe(0);
      view.sendRaw(short);
      await until(() => s.canvas.stats().views[0]!.framesAcked === 1, 3000, 'the short ack');
    } finally {
      capture.restore();
    }
  });

  it('1500 long ack-like messages at once hit the message rate (acks are exempt only when short); the view then still works', async () => {
    const capture = captureReports();
    try {
      const s = await makeSolidCanvas({ size: [32, 24], losslessDelayMs: Infinity });
      const keys: string[] = [];
      s.canvas.addEventHandler((e: CanvasEvent) => { if (e.type === 'key_down') keys.push(e.key); }, 'key_down');
      const view = await openView(s.canvas, { autoAck: false });
      await view.nextFrame();
      const long = `{"type":"ack","index":1,"pad":"${'x'.repeat(200)}"}`; // 1500 x 234 bytes: under the byte budget
      for (let i = 0; i < 1500; i++) view.sendRaw(long);
      view.sendRaw(keyDown('after'));
      await until(() => messagesOf(capture).some((m) => /more than 1000 events in a second/.test(m)), 5000, 'the rate report');
      expect(s.canvas.stats().views[0]!.framesAcked).toBe(0);
      // The key sent right after the flood is over the rate too: send one more until one arrives.
      await until(() => { view.sendRaw(keyDown('again')); return keys.includes('again'); }, 5000, 'an event after the flood');
      expect(messagesOf(capture).filter((m) => /bytes of messages/.test(m))).toEqual([]);
    } finally {
      capture.restore();
    }
  }, 20_000);
});

describe('the byte budget per view', () => {
  it(`${MAX_VIEW_BYTES_PER_SECOND} bytes a second: a flood of 16 KB events is cut to it, reported; a bystander keeps its frames`, async () => {
    const capture = captureReports();
    try {
      const bystander = await makeBystander();
      const s = await makeSolidCanvas({ size: [32, 24], losslessDelayMs: Infinity });
      let delivered = 0;
      const keys: string[] = [];
      s.canvas.addEventHandler((e: CanvasEvent) => {
        if (e.type !== 'key_down') return;
        if (e.key === 'flood') delivered++;
        else keys.push(e.key);
      }, 'key_down');
      const view = await openView(s.canvas);
      const { port } = await s.canvas.server();
      const message = keyDown('flood', 16_000);
      const seconds = 3;
      const started = performance.now();
      const sent = await floodFromChild(`ws://127.0.0.1:${port}${s.canvas.socketPath}`, message, seconds);
      const elapsed = (performance.now() - started) / 1000;
      const perSecond = Math.floor(MAX_VIEW_BYTES_PER_SECOND / message.length);
      console.log(`byte flood: ${sent} messages of ${message.length} bytes sent in ${seconds} s; ${delivered} delivered (budget ${perSecond} a second)`);
      // Below the message rate (1000 a second), so only the byte budget can have cut it.
      expect(sent).toBeGreaterThan(2 * delivered);
      expect(delivered).toBeLessThanOrEqual(perSecond * (Math.ceil(elapsed) + 2));
      expect(messagesOf(capture).some((m) => m.includes(`more than ${MAX_VIEW_BYTES_PER_SECOND} bytes of messages in a second`))).toBe(true);
      await bystander.expectFrames(3);
      // The flooded view still works: a small event goes through once the second is over.
      await until(() => { view.sendRaw(keyDown('after')); return keys.includes('after'); }, 5000, 'an event after the flood');
      expect(view.closed).toBeUndefined();
    } finally {
      capture.restore();
    }
  }, 30_000);
});
