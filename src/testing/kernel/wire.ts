// The Jupyter messaging protocol's wire format (v5.3): frames
// [identities..., "<IDS|MSG>", HMAC-SHA256 signature, header, parent_header, metadata, content, buffers...].
// https://jupyter-client.readthedocs.io/en/stable/messaging.html#the-wire-protocol
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

const DELIMITER = '<IDS|MSG>';

/** A message header. */
export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

/** A decoded message. */
export interface Message {
  header: Header;
  parent_header: Partial<Header>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
}

/** Signs and serialises messages of one session with one key. */
export class Wire {
  readonly session = randomUUID();
  readonly #key: string;

  constructor(key: string) {
    this.#key = key;
  }

  #sign(parts: readonly Buffer[]): string {
    if (!this.#key) return '';
    const hmac = createHmac('sha256', this.#key);
    for (const p of parts) hmac.update(p);
    return hmac.digest('hex');
  }

  /** A new request of `msgType` and its frames (for a DEALER socket: no identities). */
  request(msgType: string, content: Record<string, unknown>): { header: Header; frames: Buffer[] } {
    const header: Header = {
      msg_id: randomUUID(), msg_type: msgType, session: this.session, username: 'dawn-rfb',
      date: new Date().toISOString(), version: '5.3',
    };
    const parts = [header, {}, {}, content].map((p) => Buffer.from(JSON.stringify(p)));
    return { header, frames: [Buffer.from(DELIMITER), Buffer.from(this.#sign(parts)), ...parts] };
  }

  /**
   * Decodes received frames; undefined for frames that are not a message or whose signature does
   * not verify (anything on the ports could have sent them).
   */
  decode(frames: readonly Buffer[]): Message | undefined {
    const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
    if (at < 0 || frames.length < at + 6) return undefined;
    const signature = frames[at + 1]!;
    const parts = frames.slice(at + 2, at + 6);
    if (this.#key) {
      const expected = Buffer.from(this.#sign(parts));
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
    }
    try {
      const [header, parent_header, metadata, content] = parts.map((p) => JSON.parse(p.toString()) as unknown);
      if (!isObject(header) || typeof header.msg_type !== 'string' || !isObject(content)) return undefined;
      return {
        header: header as unknown as Header,
        parent_header: (isObject(parent_header) ? parent_header : {}) as Partial<Header>,
        metadata: isObject(metadata) ? metadata : {},
        content,
      };
    } catch {
      return undefined;
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
