// A view's connection, whatever carries it: the canvas server's websocket, or a Jupyter comm
// through the notebook's own connection to the kernel (comm-channel.ts). A View speaks the same
// protocol (frames with headers, acknowledgements, backpressure, events) over either.

/** One view's connection to a canvas: text (JSON) and binary (frame) messages both ways. */
export interface ViewChannel {
  /** Sends a text (JSON) or binary (frame) message. */
  send(data: string | Uint8Array): void;
  /** Bytes queued and not yet handed to the network, for backpressure. */
  readonly bufferedAmount: number;
  /** Closes the connection with a close code (see `CloseCode`) and reason; idempotent. */
  close(code: number, reason: string): void;
  /** Sets the handler of incoming messages (set once, by the View). */
  onMessage(handler: (data: string | Uint8Array) => void): void;
  /** Sets the handler called once when the connection closed, from either side. */
  onClose(handler: (code: number, reason: string) => void): void;
  /** What carries it, for logs (e.g. "comm 3f9a…"). */
  readonly description: string;
}
