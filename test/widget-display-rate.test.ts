// The widget's display-rate arithmetic (widget/src/display-rate.ts): the median refresh interval
// gives the rate, missed refreshes (a busy main thread) do not move it, rates outside the
// protocol's range are not reported, and jitter is not sent again. Pure, no browser (the
// Chromium test pacing-browser.test.ts runs the measurement itself).
import { expect, test } from 'vitest';
import { rateChanged, rateFromIntervals } from '../widget/src/display-rate.js';

test('the median interval gives the rate, to a tenth of a hertz', () => {
  expect(rateFromIntervals(Array(30).fill(1000 / 60))).toBe(60);
  expect(rateFromIntervals(Array(30).fill(1000 / 59.94))).toBe(59.9);
  expect(rateFromIntervals([8, 7, 6.9, 7, 6.94])).toBe(142.9);
  expect(rateFromIntervals([10, 20])).toBe(66.7); // even count: the mean of the middle two
});

test('a few missed refreshes do not move it', () => {
  const intervals = [...Array(25).fill(16.7), 33.4, 33.4, 50, 16.7, 400];
  expect(rateFromIntervals(intervals)).toBe(59.9);
});

test('nothing measured, or a rate outside 1..1000 Hz, is no rate', () => {
  expect(rateFromIntervals([])).toBeUndefined();
  expect(rateFromIntervals([0, -1, Number.NaN, Infinity])).toBeUndefined();
  expect(rateFromIntervals([2000, 2000])).toBeUndefined(); // 0.5 Hz
  expect(rateFromIntervals([0.5, 0.5])).toBeUndefined(); // 2000 Hz
  expect(rateFromIntervals([1000])).toBe(1);
});

test('a change of more than 5% is reported again; jitter is not', () => {
  expect(rateChanged(undefined, 60)).toBe(true);
  expect(rateChanged(60, 59.9)).toBe(false);
  expect(rateChanged(60, 62.9)).toBe(false);
  expect(rateChanged(60, 144)).toBe(true);
  expect(rateChanged(60, 30)).toBe(true);
});
