// Whether a view may connect to a canvas: the one rule both transports apply (the websocket
// server to `/ws/<canvasId>?token=…&protocol=…` and to the view page, the comm layer to a
// `comm_open`), so that they cannot drift apart. Checked in this order, each refusal with its close
// code (docs/protocol.md): the protocol version (4000), the canvas (4001, with the reason saying
// whether it closed or this process never had it), the token (4003, compared in constant time so
// that response timing does not leak how much of a guess was right). Each transport parses its
// own request into a ViewRequest first; a request that cannot even be parsed is the transport's
// to refuse.
import { timingSafeEqual } from 'node:crypto';
import { unknownCanvasReason } from './closed-canvases.js';
import { CloseCode, PROTOCOL_VERSION } from '../protocol.js';

/** What a view asks for, as its transport parsed it. */
export interface ViewRequest {
  readonly canvasId: string;
  /** The token given; null when missing (or, on the websocket, given more than once). */
  readonly token: string | null;
  /**
   * The protocol version the view speaks: a number (comm data), the query parameter's text
   * (websocket; repeated parameters joined with commas, which never matches), or undefined when
   * the view named none (websocket only: older pages, and the view page itself).
   */
  readonly protocol: number | string | undefined;
}

/** What a canvas must offer to be admitted to. */
export interface AdmittableCanvas {
  readonly token: string;
  /** A closed canvas admits no view (the canvas may still be registered for a moment). */
  isClosed?(): boolean;
}

/** Which check refused a view. */
export type RefusalKind = 'protocol' | 'canvas' | 'token';

/** Why a view was refused: its close code and the reason it is told. */
export interface Refusal {
  readonly kind: RefusalKind;
  readonly code: (typeof CloseCode)[keyof typeof CloseCode];
  readonly reason: string;
}

/** The outcome of {@link admitView}. */
export type Admission<C> = { readonly admitted: true; readonly canvas: C } | ({ readonly admitted: false } & Refusal);

/**
 * Who answers: the websocket server (`'server'`) or the kernel's comm layer (`'kernel'`). Only the
 * protocol mismatch's wording differs, as each has said it since its first release.
 */
export type Admitter = 'server' | 'kernel';

const MISMATCH_REASON: Readonly<Record<Admitter, (given: number | string) => string>> = {
  server: (given) => `protocol ${given} not supported; this server speaks ${PROTOCOL_VERSION}`,
  kernel: (given) => `the view speaks protocol ${given}, this kernel ${PROTOCOL_VERSION}`,
};

// The same whether the token was missing, wrong, or another canvas's: a guesser learns nothing.
const BAD_TOKEN_REASON = 'missing or wrong token';

/** Constant-time comparison of a given token with the canvas's (a length mismatch is simply false). */
function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function speaksOurProtocol(protocol: number | string): boolean {
  return typeof protocol === 'number' ? protocol === PROTOCOL_VERSION : protocol === String(PROTOCOL_VERSION);
}

/**
 * Admits a view to the canvas it asks for among `canvases` (by id), or says which check refused
 * it and how to close its connection.
 */
export function admitView<C extends AdmittableCanvas>(request: ViewRequest, canvases: ReadonlyMap<string, C>, admitter: Admitter): Admission<C> {
  const { canvasId, token, protocol } = request;
  if (protocol !== undefined && !speaksOurProtocol(protocol)) {
    return { admitted: false, kind: 'protocol', code: CloseCode.protocolMismatch, reason: MISMATCH_REASON[admitter](protocol) };
  }
  const canvas = canvases.get(canvasId);
  if (!canvas || canvas.isClosed?.() === true) {
    return { admitted: false, kind: 'canvas', code: CloseCode.unknownCanvas, reason: unknownCanvasReason(canvasId) };
  }
  if (!tokenMatches(token, canvas.token)) return { admitted: false, kind: 'token', code: CloseCode.badToken, reason: BAD_TOKEN_REASON };
  return { admitted: true, canvas };
}
