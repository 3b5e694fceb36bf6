// The "N in flight" limiter shared by the frame stream (encodes) and the readback pool (staging
// buffers): pure, no GPU.
import { expect, test } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import { Limiter } from '../src/limiter.js';

/** Lets every settled promise callback run. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('lets `max` holders in at once, then serves waiters first come first served', async () => {
  const limiter = new Limiter(2);
  const order: string[] = [];
  const take = (name: string): Promise<void> => limiter.acquire().then(() => { order.push(name); });
  void take('a');
  void take('b');
  void take('c');
  void take('d');
  await flush();
  expect(order).toEqual(['a', 'b']);
  expect([limiter.active, limiter.waiting, limiter.free]).toEqual([2, 2, false]);
  limiter.release();
  await flush();
  expect(order).toEqual(['a', 'b', 'c']);
  expect([limiter.active, limiter.waiting]).toEqual([2, 1]);
  limiter.release();
  limiter.release();
  await flush();
  expect(order).toEqual(['a', 'b', 'c', 'd']);
  expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
  limiter.release();
  expect([limiter.active, limiter.free]).toEqual([0, true]);
});

test('a place handed to a waiter cannot be taken by a caller that arrives in between', async () => {
  const limiter = new Limiter(1);
  await limiter.acquire();
  const order: string[] = [];
  void limiter.acquire().then(() => order.push('waiter'));
  limiter.release(); // handed to the waiter, though its callback has not run yet
  expect(limiter.free).toBe(false);
  void limiter.acquire().then(() => order.push('late'));
  await flush();
  expect(order).toEqual(['waiter']);
  limiter.release();
  await flush();
  expect(order).toEqual(['waiter', 'late']);
});

test('run() releases its place whether the job resolves or throws', async () => {
  const limiter = new Limiter(1);
  expect(await limiter.run(async () => 7)).toBe(7);
  await expect(limiter.run(async () => { throw new Error('job failed'); })).rejects.toThrow('job failed');
  expect([limiter.active, limiter.waiting, limiter.free]).toEqual([0, 0, true]);
});

test('an extra release never drives the count below zero', () => {
  const limiter = new Limiter(3);
  limiter.release();
  expect(limiter.active).toBe(0);
});

test.each([0, -1, 1.5, Number.NaN, Infinity])('refuses a limit of %s with an InvalidArgumentError', (max) => {
  expect(() => new Limiter(max)).toThrow(InvalidArgumentError);
  expect(() => new Limiter(max)).toThrow(/a limit must be an integer >= 1/);
});
