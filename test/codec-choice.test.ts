// The `codec: 'auto'` rule (src/remote/frames/codec-choice.ts), a pure function of the facts and
// the time: stills until a view is link-bound with busy content, back to stills when the content
// calms down or at a probe, probes backing off when they fail and starting over when one holds.
import { expect, test } from 'vitest';
import {
  BUSY_CHANGED, CALM_MS, CodecChoice, FIRST_PROBE_WAIT_MS, MAX_PROBE_WAIT_MS, PROBE_FAILS_WITHIN,
} from '../src/remote/frames/codec-choice.js';

const busy = BUSY_CHANGED;
const calm = BUSY_CHANGED - 0.01;

test('stills by default; video only when the link limits and the content is busy', () => {
  const c = new CodecChoice();
  expect(c.update({ linkBound: false, changed: 1, now: 0 })).toBe(false); // busy, link has room
  expect(c.update({ linkBound: true, changed: calm, now: 10 })).toBe(false); // link-bound, calm content
  expect(c.update({ linkBound: true, changed: busy, now: 20 })).toBe(true);
  // On video the controller's state no longer decides (small video frames let it recover).
  expect(c.update({ linkBound: false, changed: 1, now: 30 })).toBe(true);
});

test('calm content for CALM_MS sends a view back to stills; busy frames in between restart the count', () => {
  const c = new CodecChoice();
  c.update({ linkBound: true, changed: 1, now: 0 });
  expect(c.update({ linkBound: false, changed: 0.1, now: 100 })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.9, now: 100 + CALM_MS - 1 })).toBe(true); // busy again: count restarts
  expect(c.update({ linkBound: false, changed: 0.1, now: 200 + CALM_MS })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.1, now: 200 + 2 * CALM_MS - 1 })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.1, now: 200 + 2 * CALM_MS })).toBe(false);
  // Calm content is no probe: going back to video right away does not lengthen the wait.
  expect(c.update({ linkBound: true, changed: 1, now: 300 + 2 * CALM_MS })).toBe(true);
  expect(c.probeWaitMs).toBe(FIRST_PROBE_WAIT_MS);
});

test('probes: stills again after the wait; a probe that fails doubles the wait (bounded), one that holds starts it over', () => {
  const c = new CodecChoice();
  let now = 0;
  c.update({ linkBound: true, changed: 1, now });
  let wait = FIRST_PROBE_WAIT_MS;
  for (let i = 0; i < 6; i++) {
    expect(c.update({ linkBound: false, changed: 1, now: now + wait - 1 })).toBe(true);
    now += wait;
    expect(c.update({ linkBound: false, changed: 1, now })).toBe(false); // the probe: stills
    now += PROBE_FAILS_WITHIN - 1;
    expect(c.update({ linkBound: true, changed: 1, now })).toBe(true); // it congested: back to video
    wait = Math.min(MAX_PROBE_WAIT_MS, 2 * wait);
    expect(c.probeWaitMs).toBe(wait);
  }
  expect(wait).toBe(MAX_PROBE_WAIT_MS);
  now += wait;
  expect(c.update({ linkBound: false, changed: 1, now })).toBe(false); // a probe that holds
  now += PROBE_FAILS_WITHIN;
  expect(c.update({ linkBound: false, changed: 1, now })).toBe(false);
  expect(c.probeWaitMs).toBe(FIRST_PROBE_WAIT_MS);
  expect(c.update({ linkBound: true, changed: 1, now: now + 1 })).toBe(true);
  expect(c.probeWaitMs).toBe(FIRST_PROBE_WAIT_MS);
});
