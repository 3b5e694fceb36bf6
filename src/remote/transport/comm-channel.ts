// A ViewChannel over a Jupyter comm. Text messages travel as `{ text }` in the comm data, binary
// frames as the comm message's single buffer (no base64); a close travels as comm_close with
// `{ code, reason }`, which the widget maps to the websocket close codes.
import { reportError } from '../../report.js';
import type { ViewChannel } from './channel.js';
import type { KernelComm } from './comm-target.js';
import { CloseCode, MAX_CLIENT_MESSAGE_BYTES, ProtocolError } from '../protocol.js';

const NORMAL = CloseCode.normal;

/** A {@link ViewChannel} carried by a comm of the dawn-rfb kernel. */
export class CommChannel implements ViewChannel {
  readonly description: string;
  readonly #comm: KernelComm;
  #onMessage: ((data: string | Uint8Array) => void) | undefined;
  #onClose: ((code: number, reason: string) => void) | undefined;
  #closed = false;

  constructor(comm: KernelComm) {
    this.#comm = comm;
    this.description = `comm ${comm.id.slice(0, 36)}`;
    comm.onMessage = (data, buffers) => this.#receive(data, buffers);
    comm.onClose = (data) => this.#ended(typeof data.code === 'number' ? data.code : NORMAL, typeof data.reason === 'string' ? data.reason : 'comm closed');
  }

  get bufferedAmount(): number {
    return this.#comm.bufferedAmount;
  }

  send(data: string | Uint8Array): void {
    if (this.#closed) return;
    if (typeof data === 'string') this.#comm.send({ text: data });
    else this.#comm.send({}, [data]);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#comm.close({ code, reason }); // runs onClose, which ends this channel
    this.#ended(code, reason);
  }

  onMessage(handler: (data: string | Uint8Array) => void): void {
    this.#onMessage = handler;
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.#onClose = handler;
  }

  #receive(data: Record<string, unknown>, buffers: Uint8Array[]): void {
    if (this.#closed) return;
    const handler = this.#onMessage;
    if (!handler) return;
    if (buffers.length > 0) {
      handler(buffers[0]!); // the View refuses binary messages from views, with a clear log line
      return;
    }
    const text = data.text;
    if (typeof text !== 'string') {
      reportError(`view over ${this.description}`, new ProtocolError('comm messages carry { text: "<JSON message>" }; ignored'));
      return;
    }
    if (text.length > MAX_CLIENT_MESSAGE_BYTES || Buffer.byteLength(text) > MAX_CLIENT_MESSAGE_BYTES) {
      reportError(`view over ${this.description}`, new ProtocolError(`message over ${MAX_CLIENT_MESSAGE_BYTES} bytes; ignored`));
      return;
    }
    handler(text);
  }

  #ended(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#comm.onMessage = null;
    const handler = this.#onClose;
    this.#onClose = undefined;
    handler?.(code, reason);
  }
}
