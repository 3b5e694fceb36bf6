// A canvas's live token stays out of what gets pasted into bug reports (console.log output,
// util.inspect, a notebook cell's printed value, JSON), and a closed canvas hands out no URL.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CanvasClosedError, RemoteCanvas } from '../src/index.js';
import { cleanup, rejection, track } from './helpers/remote.js';

afterEach(cleanup);

describe('the token', () => {
  it('is not in inspection output, in any of its forms, yet is there for the code that needs it', async () => {
    const canvas = track(new RemoteCanvas({ size: [32, 24] }));
    const { token } = canvas;
    expect(token.length).toBeGreaterThanOrEqual(20);
    const printed: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => { printed.push(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')); };
    try {
      console.log(canvas); // what tslab prints for a cell whose last expression is the canvas
    } finally {
      console.log = log;
    }
    const outputs = [
      ...printed,
      inspect(canvas),
      inspect(canvas, { showHidden: true, getters: true, depth: 5 }),
      inspect({ nested: [canvas] }, { depth: 10 }),
      String(canvas),
      JSON.stringify(canvas),
      JSON.stringify(Object.entries(canvas)),
    ];
    for (const text of outputs) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(encodeURIComponent(token));
    }
    expect(inspect(canvas)).toBe(`RemoteCanvas ${canvas.id} 32x24, 0 view(s)`); // still identifiable
    expect(Object.keys(canvas)).not.toContain('token');
    expect(canvas.socketPath).toContain(`token=${encodeURIComponent(token)}`);
    expect(await canvas.getUrl()).toContain(`token=${encodeURIComponent(token)}`);
  });
});

describe('getUrl() after close()', () => {
  it('rejects with CanvasClosedError, without starting a server', async () => {
    const canvas = track(new RemoteCanvas({ size: [32, 24] }));
    const before = await canvas.getUrl();
    const server = await canvas.server();
    canvas.close();
    const e = await rejection(canvas.getUrl());
    expect(e).toBeInstanceOf(CanvasClosedError);
    expect(e.message).toContain('getUrl');
    expect(before).toContain(canvas.id);
    expect(await canvas.server()).toBe(server);
  });

  it('also when close() comes before the server has even started', async () => {
    const canvas = track(new RemoteCanvas({ size: [32, 24] }));
    canvas.close();
    expect(await rejection(canvas.getUrl())).toBeInstanceOf(CanvasClosedError);
  });
});
