// What a View needs of its connection, whatever carries it: a websocket from the frame server
// (websocketChannel, below) or a Jupyter comm of the dawn-rfb kernel (comm-channel.ts). The View
// sees messages and a close; the transport keeps its own concerns (authentication, heartbeats,
// framing).
// The socket is typed structurally (WebSocketLike), not with `ws`'s own class: the published
// types must compile for a user who has `ws` (a runtime dependency) but not `@types/ws`.
import { InvalidArgumentError } from '../../errors.js';
import { reportError } from '../../report.js';

/** One connection to one view: a websocket, or a Jupyter comm. */
export interface ViewChannel {
  /** Sends one message: text (JSON) or binary (a frame). */
  send(data: string | Uint8Array): void;
  /** Bytes accepted by send() but not yet written out; used for backpressure. */
  readonly bufferedAmount: number;
  /** Closes with a protocol close code and reason; idempotent. */
  close(code: number, reason: string): void;
  /** Receives every incoming message (text as string, binary as Uint8Array). Set once by the View. */
  onMessage(handler: (data: string | Uint8Array) => void): void;
  /** Called once when the channel is gone (closed by either side or failed). */
  onClose(handler: (code: number, reason: string) => void): void;
  /** A short description for logs, e.g. "ws 127.0.0.1:54321" or "comm 3f2a". */
  readonly description: string;
}

// Close codes a peer may be sent: 1000 and the application range (1005/1006 are reserved for
// "none given" and "abnormal" and must never go on the wire).
function sendableCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

/**
 * What {@link websocketChannel} uses of a `ws` WebSocket (a `ws` 8 `WebSocket` satisfies it).
 * Declared here so that the published types do not need `@types/ws`.
 */
export interface WebSocketLike {
  /** The socket's state; must equal `OPEN` when it is handed over. */
  readonly readyState: number;
  /** The value of `readyState` while the socket is open (1). */
  readonly OPEN: number;
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number;
  /** Sends text or binary data; `cb` gets an error if the send failed. */
  send(data: string | Uint8Array, options: { binary: boolean }, cb?: (err?: Error) => void): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** The peer closed or the connection failed (`reason` as the raw UTF-8 bytes). */
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  /** A protocol error or reset; always followed by 'close'. */
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** One incoming message. */
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
}

/** Write errors that mean the peer went away (its socket's 'close' follows), not a fault here. */
const PEER_GONE = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);

/**
 * A {@link ViewChannel} over an open `ws` websocket. `description` names it in logs (the server
 * passes the peer's address, e.g. "ws 127.0.0.1:54321"). Default "ws".
 */
export function websocketChannel(socket: WebSocketLike, description = 'ws'): ViewChannel {
  const s = socket as Partial<WebSocketLike> | null | undefined;
  if (typeof s !== 'object' || s === null || typeof s.on !== 'function' || typeof s.send !== 'function' || s.readyState !== s.OPEN) {
    throw new InvalidArgumentError('websocketChannel takes an open `ws` WebSocket');
  }
  let closed = false;
  let closeHandler: ((code: number, reason: string) => void) | undefined;
  const closedWith = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    closeHandler?.(code, reason);
  };
  socket.on('close', (code, reason) => closedWith(code, reason.toString('utf8')));
  // An 'error' is always followed by 'close'; it is logged here because 'close' has no reason text.
  // One key for every connection: a peer's protocol violation (oversized message, invalid UTF-8)
  // or reset is reported once per process, not once per connection an attacker opens.
  socket.on('error', (e) => reportError('view socket', e));
  return {
    description,
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    send(data) {
      if (closed || socket.readyState !== socket.OPEN) return;
      // A peer that vanished mid-send surfaces as a 'close' event: not worth a line per frame.
      // Its write may fail first (EPIPE, ECONNRESET: the 'close' is still on its way), which is
      // that same vanishing, not an error of the canvas's (seen in a notebook cell's stderr).
      socket.send(data, { binary: typeof data !== 'string' }, (err) => {
        if (err && !closed && !PEER_GONE.has((err as NodeJS.ErrnoException).code ?? '')) reportError('view send', err);
      });
    },
    close(code, reason) {
      if (closed) return;
      socket.close(sendableCode(code), reason);
      // The View is done with it now, whether or not the peer completes the close handshake.
      closedWith(code, reason);
    },
    onMessage(handler) {
      socket.on('message', (data, isBinary) => {
        if (closed) return;
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        handler(isBinary ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.toString('utf8'));
      });
    },
    onClose(handler) {
      closeHandler = handler;
    },
  };
}
