// The kernel comm layer's iopub budget (kernel-ext/comms.cjs `rateBudgeted`): comm messages that
// skip busy/idle no longer reset the Jupyter server's iopub rate count, so the kernel keeps them
// under the server's limit itself; a message the server dropped would leave a view waiting for
// its frame forever. Fake timers: the budget is a count per window, checked exactly.
import { createRequire } from 'node:module';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';

interface Budget { messages: number; windowMs: number }
const comms = createRequire(import.meta.url)('../kernel-ext/comms.cjs') as {
  IOPUB_BUDGET: Budget;
  rateBudgeted(send: (frames: Buffer[]) => void, stats: { queuedBytes: number }, budget?: Budget): (frames: Buffer[]) => void;
};

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

test('the default budget is 80% of the servers\' 1000 messages a second over their 3 s window', () => {
  expect(comms.IOPUB_BUDGET).toEqual({ messages: 2400, windowMs: 3000 });
});

test('sends past the budget wait for room in the window, in order, counted as queued bytes', () => {
  const sent: { i: number; at: number }[] = [];
  const stats = { queuedBytes: 0 };
  const send = comms.rateBudgeted((f) => sent.push({ i: f[0]![0]!, at: Date.now() }), stats, { messages: 3, windowMs: 100 });
  for (let i = 0; i < 10; i++) send([Buffer.from([i, 0, 0, 0])]);
  expect(sent.map((s) => s.i)).toEqual([0, 1, 2]);
  expect(stats.queuedBytes).toBe(7 * 4);
  vi.advanceTimersByTime(100);
  expect(sent.map((s) => s.i)).toEqual([0, 1, 2, 3, 4, 5]);
  vi.advanceTimersByTime(250);
  expect(sent.map((s) => s.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(stats.queuedBytes).toBe(0);
  // No window of 100 ms ever held more than 3 sends.
  for (const s of sent) expect(sent.filter((t) => t.at >= s.at && t.at < s.at + 100).length).toBeLessThanOrEqual(3);
  // With room again, a send goes out at once.
  vi.advanceTimersByTime(100);
  send([Buffer.from([42])]);
  expect(sent.at(-1)!.i).toBe(42);
});
