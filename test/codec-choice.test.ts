// The `codec: 'auto'` rule (src/remote/frames/codec-choice.ts), a pure function of the facts and
// the time: stills until a view is link-bound with busy content, video while the content stays
// busy (however long), back to stills once it has been calm for CALM_MS.
import { expect, test } from 'vitest';
import { BUSY_CHANGED, CALM_MS, CodecChoice } from '../src/remote/frames/codec-choice.js';

const busy = BUSY_CHANGED;
const calm = BUSY_CHANGED - 0.01;

test('stills by default; video only when the link limits and the content is busy', () => {
  const c = new CodecChoice();
  expect(c.update({ linkBound: false, changed: 1, now: 0 })).toBe(false); // busy, link has room
  expect(c.update({ linkBound: true, changed: calm, now: 10 })).toBe(false); // link-bound, calm content
  expect(c.update({ linkBound: true, changed: busy, now: 20 })).toBe(true);
  expect(c.video).toBe(true);
  // On video the link's state no longer decides (small video frames let the controller recover),
  // and there is no timed try of stills while the content stays busy.
  for (let now = 30; now < 600_000; now += 10_000) expect(c.update({ linkBound: false, changed: 1, now })).toBe(true);
});

test('calm content for CALM_MS sends a view back to stills; busy frames in between restart the count', () => {
  const c = new CodecChoice();
  c.update({ linkBound: true, changed: 1, now: 0 });
  expect(c.update({ linkBound: false, changed: 0.1, now: 100 })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.9, now: 100 + CALM_MS - 1 })).toBe(true); // busy again: count restarts
  expect(c.update({ linkBound: false, changed: 0.1, now: 200 + CALM_MS })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.1, now: 200 + 2 * CALM_MS - 1 })).toBe(true);
  expect(c.update({ linkBound: false, changed: 0.1, now: 200 + 2 * CALM_MS })).toBe(false);
  expect(c.video).toBe(false);
  // Link-bound with busy content again: video again.
  expect(c.update({ linkBound: true, changed: 1, now: 300 + 2 * CALM_MS })).toBe(true);
});
