// The pixel pool that owns frame pixel recycling (src/canvas/pixel-pool.ts): pure, no GPU. An
// array goes back to the pool only when its last lease ends, a lease ends once, and the pool
// never hands out an array someone still uses. The GPU readback reading into recycled arrays is
// test/canvas-render.test.ts ("readback recycling"); the frame stream's leases, test/stream.test.ts.
import { expect, test } from 'vitest';
import { MAX_SPARE_PIXELS, PixelLease, PixelPool } from '../src/canvas/pixel-pool.js';
import { CanvasStateError } from '../src/errors.js';

test('an array never retained is never reused: acquire gives new, zeroed arrays', () => {
  const pool = new PixelPool();
  const a = pool.acquire(16);
  a.fill(7);
  const b = pool.acquire(16);
  expect(b).not.toBe(a);
  expect([...b]).toEqual(new Array(16).fill(0));
  expect(pool.spare).toBe(0);
});

test('an array goes back to the pool only when its last lease is released', () => {
  const pool = new PixelPool();
  const a = pool.acquire(16);
  const first = pool.retain(a);
  const second = pool.retain(a);
  expect(pool.uses(a)).toBe(2);
  first.release();
  expect(pool.uses(a)).toBe(1);
  expect(pool.spare).toBe(0);
  expect(pool.acquire(16)).not.toBe(a); // still used: never handed out
  second.release();
  expect(pool.uses(a)).toBe(0);
  expect(pool.spare).toBe(1);
  expect(pool.acquire(16)).toBe(a);
  expect(pool.spare).toBe(0);
});

test('a lease released twice is an error, and the second release changes no count', () => {
  const pool = new PixelPool();
  const a = pool.acquire(8);
  const lease = pool.retain(a);
  const other = pool.retain(a);
  expect(lease.released).toBe(false);
  lease.release();
  expect(lease.released).toBe(true);
  expect(() => lease.release()).toThrow(CanvasStateError);
  expect(() => lease.release()).toThrow('a pixel lease was released twice');
  expect(pool.uses(a)).toBe(1); // the other lease still counts
  expect(pool.spare).toBe(0);
  other.release();
  expect(pool.spare).toBe(1);
});

test('retaining an array that is back in the pool is an error (it may be read into any moment)', () => {
  const pool = new PixelPool();
  const a = pool.acquire(8);
  pool.retain(a).release();
  expect(() => pool.retain(a)).toThrow(CanvasStateError);
  expect(pool.uses(a)).toBe(0);
  // Once handed out again, it is a fresh array to count.
  expect(pool.acquire(8)).toBe(a);
  const lease = pool.retain(a);
  expect(pool.uses(a)).toBe(1);
  lease.release();
});

test('a read of another length never gets a recycled array, and the old length is dropped', () => {
  const pool = new PixelPool();
  const big = pool.acquire(64);
  pool.retain(big).release();
  const small = pool.acquire(16);
  expect(small).not.toBe(big);
  expect(small.length).toBe(16);
  expect(pool.spare).toBe(0); // the 64-byte array is left to the garbage collector
  // Arrays released at a new length replace those of the old one.
  const old = new Uint8Array(64);
  pool.retain(old).release();
  pool.retain(small).release();
  expect(pool.spare).toBe(1);
  expect(pool.acquire(16)).toBe(small);
});

test(`at most ${MAX_SPARE_PIXELS} arrays are kept; arrays of no pool's lease are never kept`, () => {
  const pool = new PixelPool();
  const arrays = Array.from({ length: MAX_SPARE_PIXELS + 2 }, () => pool.acquire(4));
  for (const a of arrays) pool.retain(a).release();
  expect(pool.spare).toBe(MAX_SPARE_PIXELS);
  // A lease of no pool (a frame no pool reuses) only runs what it was given.
  let ended = 0;
  const free = new PixelLease(() => { ended++; });
  free.release();
  expect(ended).toBe(1);
  expect(() => free.release()).toThrow(CanvasStateError);
  expect(ended).toBe(1);
});

test('close drops the spare arrays; after it, leases still end but nothing is kept', () => {
  const pool = new PixelPool();
  const a = pool.acquire(4);
  const b = pool.acquire(4);
  pool.retain(a).release();
  expect(pool.spare).toBe(1);
  const lease = pool.retain(b);
  pool.close();
  expect(pool.spare).toBe(0);
  lease.release();
  expect(pool.uses(b)).toBe(0);
  expect(pool.spare).toBe(0);
  expect(pool.acquire(4)).not.toBe(b);
});
