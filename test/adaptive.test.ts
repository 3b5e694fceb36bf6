// The adaptive rate controller on its own, with a fake clock: a link whose queue grows makes it
// back off (window, then quality, then scale) and a clear link brings everything back; a long
// clear link gets more frames in flight, a short one never does.
import { describe, expect, it } from 'vitest';
import { AdaptiveRate } from '../src/remote/adaptive.js';

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

describe('AdaptiveRate', () => {
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
