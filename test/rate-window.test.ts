// The per-view rates (src/remote/transport/rate-window.ts, and byte-rate.ts's ByteRate built on
// it): pure, no socket, times given. What a view does over the rate (drops unparsed, reports once a
// second) is test/view.test.ts and test/adversarial-limits.test.ts.
import { expect, test } from 'vitest';
import { ByteRate, MAX_VIEW_BYTES_PER_SECOND } from '../src/remote/transport/byte-rate.js';
import { MAX_VIEW_MESSAGES_PER_SECOND, RateWindow } from '../src/remote/transport/rate-window.js';

test('lets `max` messages a window through, refuses the rest, and says which refusal is the first', () => {
  const rate = new RateWindow(3, 1000);
  expect(rate.max).toBe(3);
  const takes = [0, 10, 20, 30, 40].map((t) => rate.take(1, 1000 + t));
  expect(takes).toEqual([
    { ok: true, first: false }, { ok: true, first: false }, { ok: true, first: false },
    { ok: false, first: true }, { ok: false, first: false },
  ]);
});

test('exceeded says whether the budget is used up without counting, until the window ends', () => {
  const rate = new RateWindow(2, 1000);
  expect(rate.exceeded(0)).toBe(false); // nothing counted yet
  rate.take(1, 5000);
  rate.take(1, 5001);
  expect(rate.exceeded(5002)).toBe(false); // at the budget, not over it
  for (let i = 0; i < 10; i++) expect(rate.exceeded(5002)).toBe(false); // asking counts nothing
  expect(rate.take(1, 5003).ok).toBe(false);
  expect(rate.exceeded(5500)).toBe(true);
  expect(rate.exceeded(6000)).toBe(true); // the window's last ms (it ends after windowMs)
  expect(rate.exceeded(6001)).toBe(false);
});

test('the first message after a window ends starts the next window, with the whole budget', () => {
  const rate = new RateWindow(2, 1000);
  rate.take(1, 100);
  rate.take(1, 200);
  expect(rate.take(1, 1100)).toEqual({ ok: false, first: true }); // 1000 ms after the start: same window
  expect(rate.take(1, 1101)).toEqual({ ok: true, first: false }); // a new window from 1101
  expect(rate.take(1, 2000)).toEqual({ ok: true, first: false });
  expect(rate.take(1, 2101)).toEqual({ ok: false, first: true });
  expect(rate.take(1, 2102)).toEqual({ ok: true, first: false });
});

test('amounts: the amount that crosses the budget is refused, a later small one too', () => {
  const rate = new RateWindow(100, 1000);
  expect(rate.take(60, 0).ok).toBe(true);
  expect(rate.take(40, 1).ok).toBe(true); // exactly at the budget
  expect(rate.take(1, 2)).toEqual({ ok: false, first: true });
  expect(rate.take(0, 3).ok).toBe(false); // the window is spent
});

test('the views\' budgets: 1000 messages and 1 MiB a second', () => {
  expect(MAX_VIEW_MESSAGES_PER_SECOND).toBe(1000);
  const messages = new RateWindow();
  for (let i = 0; i < 1000; i++) expect(messages.take(1, 10 + i * 0.5).ok).toBe(true);
  expect(messages.take(1, 600)).toEqual({ ok: false, first: true });
  const bytes = new ByteRate();
  expect(bytes.max).toBe(MAX_VIEW_BYTES_PER_SECOND);
  expect(bytes.take(MAX_VIEW_BYTES_PER_SECOND - 10, 10).ok).toBe(true);
  expect(bytes.take(10, 11).ok).toBe(true);
  expect(bytes.take(1, 12)).toEqual({ ok: false, first: true });
  expect(bytes.take(1, 1011)).toEqual({ ok: true, first: false }); // a second after the window began
});
