// The `codec: 'auto'` rule (src/remote/frames/codec-choice.ts), a pure function of the facts and
// the time: stills until a view has been link-bound with busy content for BOUND_MS, video while
// the content stays busy (however long), back to stills once it has been calm for CALM_MS.
import { expect, test } from 'vitest';
import { BOUND_MS, BUSY_CHANGED, CALM_MS, CodecChoice } from '../src/remote/frames/codec-choice.js';

const busy = BUSY_CHANGED;
const calm = BUSY_CHANGED - 0.01;

test('stills by default; video only when the link has limited the view with busy content for BOUND_MS', () => {
  const c = new CodecChoice();
  expect(c.update({ linkBound: false, changed: 1, now: 0 })).toBe(false); // busy, link has room
  expect(c.update({ linkBound: true, changed: calm, now: 10 })).toBe(false); // link-bound, calm content
  expect(c.update({ linkBound: true, changed: busy, now: 20 })).toBe(false); // both: the count starts
  expect(c.update({ linkBound: true, changed: busy, now: 20 + BOUND_MS / 2 })).toBe(false);
  expect(c.update({ linkBound: false, changed: busy, now: 30 + BOUND_MS / 2 })).toBe(false); // a break restarts it
  expect(c.update({ linkBound: true, changed: busy, now: 40 + BOUND_MS / 2 })).toBe(false);
  expect(c.update({ linkBound: true, changed: busy, now: 20 + BOUND_MS + 10 })).toBe(false);
  expect(c.update({ linkBound: true, changed: busy, now: 40 + BOUND_MS / 2 + BOUND_MS - 1 })).toBe(false);
  expect(c.update({ linkBound: true, changed: busy, now: 40 + BOUND_MS / 2 + BOUND_MS })).toBe(true);
  expect(c.video).toBe(true);
  // On video the link's state no longer decides (small video frames let the controller recover),
  // and there is no timed try of stills while the content stays busy.
  for (let now = 30; now < 600_000; now += 10_000) expect(c.update({ linkBound: false, changed: 1, now })).toBe(true);
});

test('calm content for CALM_MS sends a view back to stills; busy frames in between restart the count', () => {
  const c = new CodecChoice();
  c.update({ linkBound: true, changed: 1, now: -BOUND_MS });
  expect(c.update({ linkBound: true, changed: 1, now: 0 })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.1, now: 100 })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.9, now: 100 + CALM_MS - 1 })).toBe(true); // busy again: count restarts
  expect(c.update({ linkBound: false, changed: 0.1, now: 200 + CALM_MS })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.1, now: 200 + 2 * CALM_MS - 1 })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.1, now: 200 + 2 * CALM_MS })).toBe(false);
  expect(c.video).toBe(false);
  // Link-bound with busy content again: video again, after BOUND_MS of it.
  expect(c.update({ linkBound: true, changed: 1, now: 300 + 2 * CALM_MS })).toBe(false);
  expect(c.update({ linkBound: true, changed: 1, now: 300 + 2 * CALM_MS + BOUND_MS })).toBe(true);
});
