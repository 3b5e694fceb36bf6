// The windows of a view's statistics (src/remote/transport/stats-window.ts): pure, times given.
// That a view's fps, drawnFps, bytesPerSecond and roundtripMs come from them is test/view.test.ts
// (and, end to end, test/remote-frames.test.ts).
import { expect, test } from 'vitest';
import { RecentMean, TimeWindow } from '../src/remote/transport/stats-window.js';

test('counts and sums what was recorded in the window ending now, the window\'s first ms included', () => {
  const w = new TimeWindow(1000);
  w.add(100, 10);
  w.add(500, 20);
  w.add(900, 30);
  expect([w.count(900), w.sum(900)]).toEqual([3, 60]);
  expect([w.count(1100), w.sum(1100)]).toEqual([3, 60]); // 100 is exactly 1000 ms before: still in
  expect([w.count(1101), w.sum(1101)]).toEqual([2, 50]);
  expect([w.count(1900), w.sum(1900)]).toEqual([1, 30]);
  expect([w.count(1901), w.sum(1901)]).toEqual([0, 0]);
});

test('amounts default to one: a count window', () => {
  const w = new TimeWindow();
  for (const t of [0, 1, 2, 3]) w.add(t);
  expect([w.count(3), w.sum(3)]).toEqual([4, 4]);
});

test('records are dropped as records come, once the oldest is 1.25 windows old: memory stays bounded', () => {
  const w = new TimeWindow(1000);
  w.add(0);
  w.add(1200);
  expect(w.kept).toBe(2); // the oldest is 1.2 windows old: not yet dropped
  w.add(1251);
  expect(w.kept).toBe(2); // 0 dropped (only what is out of the window), 1200 and 1251 kept
  // Recording for an hour at 60 a second, never asking: at most 1.25 s of records kept.
  const stream = new TimeWindow(1000);
  let most = 0;
  for (let t = 0; t < 3_600_000; t += 1000 / 60) {
    stream.add(t);
    most = Math.max(most, stream.kept);
  }
  expect(most).toBeLessThanOrEqual(Math.ceil(1.25 * 60) + 1);
  expect(stream.count(3_600_000)).toBe(60);
});

test('RecentMean: the mean of the last `size` samples, 0 before the first', () => {
  const m = new RecentMean(3);
  expect(m.mean).toBe(0);
  m.add(10);
  expect(m.mean).toBe(10);
  m.add(20);
  m.add(30);
  expect(m.mean).toBe(20);
  m.add(70); // 10 goes
  expect(m.mean).toBe(40);
  const d = new RecentMean();
  for (let i = 1; i <= 31; i++) d.add(i); // 30 kept by default: 2..31
  expect(d.mean).toBe(16.5);
});
