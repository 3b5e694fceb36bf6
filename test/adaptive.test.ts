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

  it('ignores acknowledgements of frames it never saw sent', () => {
    const ctrl = new AdaptiveRate({ baseWindow: 2, quality: 80 }, () => 0);
    ctrl.onAck(7);
    expect(ctrl.state()).toMatchObject({ window: 2, quality: 80, scale: 1, baseRttMs: 0, queueDelayMs: 0 });
  });
});
