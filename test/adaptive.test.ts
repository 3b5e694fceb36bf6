// The adaptive rate controller on its own, with a fake clock: a link whose queue grows makes it
// back off (window, then quality, then scale) and a clear link brings everything back; a long
// clear link gets more frames in flight, a short one never does.
import { describe, expect, it } from 'vitest';
import { AdaptiveRate } from '../src/remote/transport/adaptive.js';

/** Drives a controller: frames sent every `intervalMs`, each acknowledged `rtt(i)` ms later. */
function drive(ctrl: AdaptiveRate, clock: { t: number }, frames: number, intervalMs: number, rtt: (i: number) => number, start = 1): number {
  const acks: [number, number][] = [];
  for (let i = start; i < start + frames; i++) {
    const sendAt = clock.t;
    // Deliver every ack due before this send, in time order.
    acks.sort((a, b) => a[0] - b[0]);
    while (acks.length > 0 && acks[0]![0] <= sendAt) {
      const [at, index] = acks.shift()!;
      clock.t = at;
      ctrl.onAck(index);
    }
    clock.t = sendAt;
    ctrl.onSent(i);
    acks.push([sendAt + rtt(i), i]);
    clock.t = sendAt + intervalMs;
  }
  for (const [at, index] of acks.sort((a, b) => a[0] - b[0])) {
    clock.t = Math.max(clock.t, at);
    ctrl.onAck(index);
  }
  return start + frames;
}

/**
 * A closed loop: a sender that keeps `window` frames in flight, each rendered and encoded in
 * `renderMs` once a slot frees up (so the link idles meanwhile, as it does for real); frames
 * whose size follows the controller's quality and scale, +-30% from frame to frame (a busy
 * scene); a link that carries `rate` bytes per ms one frame after another; acks that come back
 * `delayMs` after a frame arrives.
 */
function simulateLink(ctrl: AdaptiveRate, clock: { t: number }, durationMs: number, rate: number, delayMs: number, renderMs = 20): void {
  const end = clock.t + durationMs;
  const acks: [number, number][] = []; // [at, index]
  let linkFreeAt = clock.t;
  let readyAt = clock.t + renderMs;
  let index = 1000 * Math.ceil(clock.t + 1);
  let seed = 1;
  const jitter = () => 0.7 + 0.6 * ((seed = (seed * 48271) % 2147483647) / 2147483647);
  while (clock.t < end) {
    const { window, quality, scale } = ctrl.state();
    acks.sort((a, b) => a[0] - b[0]);
    if (acks.length < window && readyAt <= (acks[0]?.[0] ?? Infinity)) {
      clock.t = Math.max(clock.t, readyAt);
      const bytes = 60_000 * (quality / 80) * scale * scale * jitter();
      ctrl.onSent(++index);
      linkFreeAt = Math.max(clock.t, linkFreeAt) + bytes / rate;
      acks.push([linkFreeAt + delayMs, index]);
      readyAt = clock.t + renderMs;
    } else {
      const [at, i] = acks.shift()!;
      clock.t = Math.max(clock.t, at);
      ctrl.onAck(i);
      readyAt = Math.max(readyAt, clock.t + renderMs);
    }
  }
  for (const [at, i] of acks.sort((a, b) => a[0] - b[0])) {
    clock.t = Math.max(clock.t, at);
    ctrl.onAck(i);
  }
}

/**
 * The canvas's own loop: a draw starts once the window has room (else the window held it: the
 * view tells the controller) and no sooner than `drawEveryMs` after the last; the frame holds its
 * slot from then on, goes out `drawMs` later (drawn and encoded), and its acknowledgement comes
 * `delayMs` after that, in order, and no sooner than `serviceMs` after the one before (a client
 * busy that long with each frame), as skipped undrawn where `skips(index)`; with `saysHeld`, each
 * acknowledgement says how long the client held the frame (the widget's `heldMs`: all but
 * `delayMs`, which is the link's). `run(ms)` goes on for that long and returns the frames
 * acknowledged meanwhile and the window each one found.
 */
function pacedLoop(ctrl: AdaptiveRate, clock: { t: number }, o: { drawEveryMs: number; drawMs: number; delayMs: number; serviceMs?: number; skips?: (index: number) => boolean; saysHeld?: boolean }) {
  const frames: { index: number; sentAt: number; ackAt: number }[] = [];
  let index = 0;
  let lastStart = -Infinity;
  let lastAckAt = clock.t;
  return {
    run(durationMs: number): { acked: number; windows: number[] } {
      const end = clock.t + durationMs;
      const windows: number[] = [];
      while (clock.t < end) {
        const next = frames.find((f) => f.sentAt > clock.t); // in flight in time order
        const due = Math.max(lastStart + o.drawEveryMs, clock.t);
        const room = frames.length < ctrl.state().window;
        const events = [
          ...(room ? [{ at: due, kind: 'draw' as const }] : []),
          ...(next ? [{ at: next.sentAt, kind: 'send' as const }] : []),
          ...(frames[0] && frames[0].sentAt <= clock.t ? [{ at: frames[0].ackAt, kind: 'ack' as const }] : []),
        ].sort((x, y) => x.at - y.at);
        const e = events[0]!;
        if (!room && due <= e.at) ctrl.onWindowFull(); // a draw was due and the window held it
        clock.t = Math.max(clock.t, e.at);
        if (e.kind === 'draw') {
          lastStart = clock.t;
          const sentAt = clock.t + o.drawMs;
          lastAckAt = Math.max(lastAckAt + (o.serviceMs ?? 0), sentAt + o.delayMs);
          frames.push({ index: ++index, sentAt, ackAt: lastAckAt });
        } else if (e.kind === 'send') {
          ctrl.onSent(next!.index);
        } else {
          const { index: acked, sentAt } = frames.shift()!;
          ctrl.onAck(acked, !(o.skips?.(acked) ?? false), o.saysHeld ? clock.t - sentAt - o.delayMs : 0);
          windows.push(ctrl.state().window);
        }
      }
      return { acked: windows.length, windows };
    },
  };
}

describe('AdaptiveRate', () => {
  it('backs off when a full window of big frames arrives too slowly (a flat but slow roundtrip), and recovers', () => {
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    // 200 kB/s with 20 ms each way: a 60 kB frame takes 300 ms.
    simulateLink(ctrl, clock, 20_000, 200, 40);
    const slow = ctrl.state();
    expect(slow.quality).toBeLessThan(80);
    expect(slow.scale).toBeLessThan(1);
    // A fast link again: back to the configured picture.
    simulateLink(ctrl, clock, 60_000, 100_000, 40);
    expect(ctrl.state()).toMatchObject({ quality: 80, scale: 1 });
  });

  it('waits twice as long after each step up that congests again (no flapping at the edge)', () => {
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    // The link carries quality 65 but not 80: at 80 a queue builds, below it drains.
    let queue = 0;
    let ups = 0;
    let last = ctrl.state().quality;
    let next = 1;
    for (let second = 0; second < 60; second++) {
      next = drive(ctrl, clock, 100, 10, () => {
        queue = ctrl.state().quality >= 80 ? queue + 1 : Math.max(0, queue - 2);
        return 30 + queue;
      }, next);
      const { quality } = ctrl.state();
      if (quality > last) ups++;
      last = quality;
    }
    // Probes after 1, 2, 4, 8 and 16 s: at most 6 in a minute (one per clear second would be ~20).
    expect(ups).toBeGreaterThanOrEqual(2);
    expect(ups).toBeLessThanOrEqual(6);
  });

  it('keeps the picture when a long link carries the frames fast enough', () => {
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    // 2.5 MB/s (20 Mbit/s), 40 ms roundtrip: 60 kB frames at about 40 per second.
    simulateLink(ctrl, clock, 20_000, 2_500, 40);
    expect(ctrl.state()).toMatchObject({ quality: 80, scale: 1 });
  });


  it('keeps full quality, scale and the base window on a short clear link', () => {
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    drive(ctrl, clock, 600, 10, () => 5);
    expect(ctrl.state()).toMatchObject({ window: 2, quality: 80, scale: 1 });
  });

  it('backs off quality then scale while the queue grows, and recovers once it drains', () => {
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    let next = drive(ctrl, clock, 100, 10, () => 30);
    // The roundtrip climbs steadily: a queue building up.
    let queue = 0;
    next = drive(ctrl, clock, 400, 10, () => (queue += 2) + 30, next);
    const backedOff = ctrl.state();
    expect(backedOff.quality).toBeLessThan(80);
    expect(backedOff.scale).toBeLessThan(1);
    expect(backedOff.queueDelayMs).toBeGreaterThan(40);
    // The link clears: back to the configured quality at full scale, one step per clear second.
    drive(ctrl, clock, 1500, 10, () => 30, next);
    expect(ctrl.state()).toMatchObject({ quality: 80, scale: 1 });
  });

  it('sends more frames in flight over a long clear link, and halves them when it congests', () => {
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    let next = drive(ctrl, clock, 800, 10, () => 60);
    expect(ctrl.state().window).toBeGreaterThan(2);
    expect(ctrl.state().window).toBeLessThanOrEqual(8);
    const before = ctrl.state().window;
    next = drive(ctrl, clock, 30, 10, () => 300, next);
    expect(ctrl.state().window).toBeLessThan(before);
    expect(ctrl.state().quality).toBe(80); // the window gives way before the picture does
  });

  it('adapts only the scale for lossless frames', () => {
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 1, quality: 100 }, () => clock.t);
    let queue = 0;
    drive(ctrl, clock, 400, 10, () => (queue += 3) + 25);
    expect(ctrl.state().quality).toBe(100);
    expect(ctrl.state().scale).toBeLessThan(1);
  });

  it('keeps the picture over a short link whose queue grows (a busy CPU, not a full link)', () => {
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    let queue = 0;
    drive(ctrl, clock, 400, 10, () => (queue += 2) + 3);
    expect(ctrl.state().queueDelayMs).toBeGreaterThan(40);
    expect(ctrl.state()).toMatchObject({ window: 2, quality: 80, scale: 1 });
  });

  it('probes one frame more in flight over a short link while the window holds frames back, and keeps it while it brings frames', () => {
    // A fast machine: frames drawn in 1 ms, out 2 ms after, back 6 ms later, a client that takes
    // 3 ms per frame (333 a second at most): 2 in flight give 250 fps, 3 give 333.
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    const loop = pacedLoop(ctrl, clock, { drawEveryMs: 1, drawMs: 2, delayMs: 6, serviceMs: 3 });
    const first = loop.run(1000);
    expect(first.acked).toBeLessThan(260);
    loop.run(20_000);
    const { acked, windows } = loop.run(10_000);
    expect(acked / 10).toBeGreaterThan(320);
    expect(Math.min(...windows)).toBe(3);
    // A 4th brings nothing: tried now and then (1, 2, 4, 8, 16 s apart) and taken back.
    expect(windows.filter((w) => w > 3).length / windows.length).toBeLessThan(0.2);
    expect(ctrl.state()).toMatchObject({ quality: 80, scale: 1 });
  });

  it('takes back a probe that brings no frames (a busy client) and waits longer each time', () => {
    // The client takes 8 ms per frame (125 a second whatever the window); the roundtrip stays short.
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    const { acked, windows } = pacedLoop(ctrl, clock, { drawEveryMs: 1, drawMs: 2, delayMs: 1, serviceMs: 8 }).run(30_000);
    expect(acked / 30).toBeLessThanOrEqual(125.1);
    expect(ctrl.state().baseRttMs).toBeLessThan(20);
    const above = windows.filter((w) => w > 2).length / windows.length;
    expect(above).toBeGreaterThan(0.05); // probes were taken: at about 1, 3, 6, 11, 20 s
    expect(above).toBeLessThan(0.25); // each taken back after a second
    expect(Math.max(...windows)).toBe(3);
  });

  it('takes back a probe whose extra frames the view only skips (it counts frames shown, not acknowledged)', () => {
    // The loop of the first probe test, but a client that shows at most every other frame beyond
    // 250 a second: a frame more brings acknowledgements, not pictures.
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    let window = 2;
    const loop = pacedLoop(ctrl, clock, { drawEveryMs: 1, drawMs: 2, delayMs: 6, serviceMs: 3, skips: (i) => window > 2 && i % 4 !== 0 });
    const windows: number[] = [];
    for (let t = 0; t < 30_000; t += 100) {
      window = ctrl.state().window;
      windows.push(...loop.run(100).windows);
    }
    // Probes at about 1, 3, 6, 11, 20 s, a second each (acknowledgements come faster then).
    expect(windows.filter((w) => w > 2).length / windows.length).toBeLessThan(0.3);
  });

  it('never probes for a view its window does not hold back (drawn at its display rate)', () => {
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    const { windows } = pacedLoop(ctrl, clock, { drawEveryMs: 1000 / 60, drawMs: 8, delayMs: 6 }).run(20_000);
    expect(new Set(windows)).toEqual(new Set([2]));
  });

  it('tells a busy client on a short link from a long link by the time the client says it held each frame', () => {
    // A client busy 60 ms with each frame (a loaded machine's browser) 1 ms away: with two frames
    // in flight every roundtrip is 60 ms and more. Said by the acknowledgements, that is the
    // client's time: the link stays short, so the picture is never lowered and the window grows
    // only by probes that are taken back, less and less often (a frame more queues and shows none).
    for (const saysHeld of [true, false]) {
      const clock = { t: 0 };
      const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
      const { windows } = pacedLoop(ctrl, clock, { drawEveryMs: 1, drawMs: 2, delayMs: 1, serviceMs: 60, saysHeld }).run(30_000);
      const s = ctrl.state();
      expect(s.baseRttMs).toBeGreaterThan(50);
      if (saysHeld) {
        expect(s).toMatchObject({ longLink: false, quality: 80, scale: 1 });
        expect(s.linkRttMs).toBeLessThan(5);
        expect(windows.filter((w) => w > 2).length / windows.length).toBeLessThan(0.25);
      } else {
        // Unsaid, the same client looks like a long link (the old reading),
        expect(s).toMatchObject({ longLink: true });
        expect(s.linkRttMs).toBe(s.baseRttMs);
        // and a full window coming back at under 20 fps over a long link is what sends a view of
        // busy content to video (video-sender.ts): a loopback view in a loaded CI run was.
        expect(s.paceMs).toBeGreaterThan(50);
      }
    }
  });

  it('judges a link long only on a second of acknowledgements: slow first frames to a page still loading are no long link', () => {
    // Loopback, but the first 10 frames (160 ms) each wait 30 ms in a page that is still loading
    // before the view sees them (so their heldMs cannot say it), then 2 ms roundtrips.
    const clock = { t: 0 };
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    const seen: boolean[] = [];
    for (let i = 1; i <= 200; i++) {
      ctrl.onSent(i);
      clock.t += i <= 10 ? 30 : 2;
      ctrl.onAck(i);
      seen.push(ctrl.state().longLink);
      clock.t += 14;
    }
    expect(seen.every((long) => !long)).toBe(true);
    expect(ctrl.state()).toMatchObject({ longLink: false, quality: 80, scale: 1 });
    // A link that is long from its first frame is called long once a second of it came back.
    // (Frames sent every 20 ms from t = 20 on, each acknowledged 100 ms later: the first at 120 ms.)
    const far = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => clock.t);
    const start = clock.t;
    const events: [number, 'send' | 'ack', number][] = [];
    for (let i = 1; i <= 100; i++) events.push([start + 20 * i, 'send', i], [start + 20 * i + 100, 'ack', i]);
    events.sort((a, b) => a[0] - b[0] || (a[1] === 'send' ? -1 : 1));
    let longFrom: number | undefined;
    for (const [at, kind, i] of events) {
      clock.t = at;
      if (kind === 'send') far.onSent(i);
      else far.onAck(i);
      if (far.state().longLink) longFrom ??= at - start;
    }
    expect(longFrom).toBeGreaterThanOrEqual(120 + 1000);
    expect(longFrom).toBeLessThan(1200);
  });

  it('ignores acknowledgements of frames it never saw sent', () => {
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => 0);
    ctrl.onAck(7);
    expect(ctrl.state()).toMatchObject({ window: 2, quality: 80, scale: 1, baseRttMs: 0, queueDelayMs: 0 });
  });
});
