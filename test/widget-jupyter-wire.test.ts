// The widget's reading of the Jupyter server's kernel websocket (widget/src/jupyter-wire.ts): the
// binary message format (big-endian count, offsets, JSON, buffers) as jupyter_server and Notebook 6
// write it, malformed input refused without throwing, and the kernel channels URL.
import { expect, test } from 'vitest';
import { kernelChannelsUrl, parseBinaryJupyterMessage } from '../widget/src/jupyter-wire.js';

/** Serialises like jupyter_server's serialize_binary_message: [n][offsets…][json][buffers…]. */
function binary(msg: unknown, buffers: Uint8Array[]): ArrayBuffer {
  const parts = [new TextEncoder().encode(JSON.stringify(msg)), ...buffers];
  const head = 4 * (parts.length + 1);
  const total = head + parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, parts.length);
  let offset = head;
  parts.forEach((p, i) => {
    view.setUint32(4 * (i + 1), offset);
    out.set(p, offset);
    offset += p.length;
  });
  return out.buffer;
}

const message = { channel: 'iopub', header: { msg_type: 'comm_msg' }, content: { comm_id: 'abc', data: {} } };

test('a message with buffers is split into its JSON and its buffers', () => {
  const parsed = parseBinaryJupyterMessage(binary(message, [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([9])]))!;
  expect(parsed.channel).toBe('iopub');
  expect(parsed.content).toEqual({ comm_id: 'abc', data: {} });
  expect(parsed.buffers!.map((b) => [...new Uint8Array(b)])).toEqual([[1, 2, 3], [], [9]]);
  expect(parseBinaryJupyterMessage(binary(message, []))!.buffers).toEqual([]);
});

test('malformed binary messages give undefined, never an exception', () => {
  const good = new Uint8Array(binary(message, [new Uint8Array([1, 2])]));
  const withCount = (n: number) => { const b = good.slice(); new DataView(b.buffer).setUint32(0, n); return b.buffer; };
  const withOffset = (i: number, v: number) => { const b = good.slice(); new DataView(b.buffer).setUint32(4 * (i + 1), v); return b.buffer; };
  const cases: [string, ArrayBuffer][] = [
    ['empty', new ArrayBuffer(0)],
    ['shorter than a header', new ArrayBuffer(7)],
    ['no parts', withCount(0)],
    ['more parts than bytes', withCount(5000)],
    ['offsets past the end', withOffset(1, 1_000_000)],
    ['offsets going backwards', withOffset(1, 12)],
    ['an offset inside the header', withOffset(0, 4)],
    ['JSON that is not JSON', new Uint8Array([0, 0, 0, 1, 0, 0, 0, 8, 0x7b, 0x7b]).buffer],
    ['JSON that is not an object', new Uint8Array([0, 0, 0, 1, 0, 0, 0, 8, 0x35]).buffer],
  ];
  for (const [what, data] of cases) expect(parseBinaryJupyterMessage(data), what).toBeUndefined();
});

test('the kernel channels URL follows the page: scheme, host, base URL, fresh session, token', () => {
  expect(kernelChannelsUrl({ protocol: 'http:', host: 'localhost:8888' }, '/', 'k-1', 's1', 'tok en'))
    .toBe('ws://localhost:8888/api/kernels/k-1/channels?session_id=s1&token=tok%20en');
  expect(kernelChannelsUrl({ protocol: 'https:', host: 'hub.example' }, '/user/alice/', 'k/2', 's2'))
    .toBe('wss://hub.example/user/alice/api/kernels/k%2F2/channels?session_id=s2');
});
