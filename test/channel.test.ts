// websocketChannel: the ViewChannel a View gets for a websocket, over real `ws` on loopback.
// Text arrives as strings and binary as bytes, close codes a peer may not be sent are replaced by
// 1000, onClose runs exactly once whichever side closes, and writes a vanished peer fails are not
// reported (its close says it).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { websocketChannel, type ViewChannel } from '../src/remote/transport/channel.js';
import { captureReports, until } from './helpers/common.js';

let server: WebSocketServer | undefined;
afterEach(async () => {
  for (const c of server?.clients ?? []) c.terminate();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A channel on the server side of a fresh loopback connection, and the client socket. */
async function connect(): Promise<{ channel: ViewChannel; client: WebSocket; received: (string | Uint8Array)[]; closes: [number, string][] }> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const [socket] = (await once(server, 'connection')) as [WebSocket];
  await once(client, 'open');
  const channel = websocketChannel(socket, 'ws test');
  const received: (string | Uint8Array)[] = [];
  const closes: [number, string][] = [];
  channel.onMessage((d) => received.push(d));
  channel.onClose((code, reason) => closes.push([code, reason]));
  return { channel, client, received, closes };
}

test('text arrives as a string, binary as bytes; both go out as sent', async () => {
  const { channel, client, received } = await connect();
  expect(channel.description).toBe('ws test');
  client.send('{"type":"ack","index":1}');
  client.send(Buffer.from([1, 2, 3]));
  await until(() => received.length === 2);
  expect(received[0]).toBe('{"type":"ack","index":1}');
  expect(received[1]).toBeInstanceOf(Uint8Array);
  expect([...(received[1] as Uint8Array)]).toEqual([1, 2, 3]);

  const got: [unknown, boolean][] = [];
  client.on('message', (data, isBinary) => got.push([isBinary ? [...(data as Buffer)] : String(data), isBinary]));
  channel.send('{"type":"title","title":"t"}');
  channel.send(Uint8Array.of(9, 8));
  await until(() => got.length === 2);
  expect(got).toEqual([['{"type":"title","title":"t"}', false], [[9, 8], true]]);
  expect(typeof channel.bufferedAmount).toBe('number');
});

test('close sends the code and reason, runs onClose once, and later sends are ignored', async () => {
  const { channel, client, closes } = await connect();
  const closed = once(client, 'close');
  channel.close(4003, 'missing or wrong token');
  channel.close(1000, 'again');
  channel.send('late');
  const [code, reason] = (await closed) as [number, Buffer];
  expect([code, String(reason)]).toEqual([4003, 'missing or wrong token']);
  expect(closes).toEqual([[4003, 'missing or wrong token']]);
});

test('a code that may not be sent (1006) goes out as 1000; the View still hears the code it gave', async () => {
  const { channel, client, closes } = await connect();
  const closed = once(client, 'close');
  channel.close(1006, 'gone');
  const [code] = (await closed) as [number];
  expect(code).toBe(1000);
  expect(closes).toEqual([[1006, 'gone']]);
});

test('a peer that closes ends the channel once, with its code and reason', async () => {
  const { client, closes } = await connect();
  client.close(1000, 'bye');
  await until(() => closes.length > 0);
  // Kept: no fact marks "no second close"; a second one would come from the same socket's
  // events, which have all arrived within this time on loopback.
  await new Promise((r) => setTimeout(r, 20));
  expect(closes).toEqual([[1000, 'bye']]);
});

test('a peer that vanishes ends the channel once (1006)', async () => {
  const { client, closes } = await connect();
  client.terminate();
  await until(() => closes.length > 0);
  // Kept: no fact marks "no second close"; a second one would come from the same socket's
  // events, which have all arrived within this time on loopback.
  await new Promise((r) => setTimeout(r, 20));
  expect(closes).toEqual([[1006, '']]);
});

test('writes that fail because the peer vanished (EPIPE, ECONNRESET) are not reported: the close says it', async () => {
  const { channel, client, closes } = await connect();
  const { reports, restore } = captureReports();
  try {
    const frame = new Uint8Array(1 << 20);
    // Writes in flight when the peer's socket goes: the first fail with EPIPE / ECONNRESET
    // before the server's socket reports its close.
    for (let i = 0; i < 8; i++) channel.send(frame);
    client.terminate();
    for (let i = 0; i < 64 && closes.length === 0; i++) {
      channel.send(frame);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => closes.length > 0);
    await new Promise((r) => setTimeout(r, 50)); // the write callbacks of the last sends
    expect(reports.filter(([where]) => where === 'view send')).toEqual([]);
  } finally {
    restore();
  }
});
