// The part of a `ws` WebSocket that View uses, over any ViewChannel: lets a comm carry a view
// before View itself takes channels (then this file goes away).
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { ViewChannel } from './channel.js';

class ChannelSocket extends EventEmitter {
  readonly #channel: ViewChannel;

  constructor(channel: ViewChannel) {
    super();
    this.#channel = channel;
    channel.onMessage((data) => {
      if (typeof data === 'string') this.emit('message', Buffer.from(data, 'utf8'), false);
      else this.emit('message', Buffer.from(data.buffer, data.byteOffset, data.byteLength), true);
    });
    channel.onClose((code, reason) => this.emit('close', code, Buffer.from(reason)));
  }

  get bufferedAmount(): number {
    return this.#channel.bufferedAmount;
  }

  send(data: string | Uint8Array, options?: unknown, callback?: (err?: Error) => void): void {
    const cb = typeof options === 'function' ? options as (err?: Error) => void : callback;
    try {
      this.#channel.send(data);
      cb?.();
    } catch (e) {
      cb?.(e instanceof Error ? e : new Error(String(e)));
    }
  }

  close(code: number, reason: string): void {
    this.#channel.close(code, reason);
  }
}

/** @internal A `ws`-shaped socket over `channel`, for View. */
export function channelSocket(channel: ViewChannel): WebSocket {
  return new ChannelSocket(channel) as unknown as WebSocket;
}
