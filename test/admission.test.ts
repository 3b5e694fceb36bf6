// admitView: the one admission rule of both transports (the websocket server and the comm layer).
// Each case is one request, with the refusal kind, close code and reason it must get from each
// admitter; the checks go protocol, canvas, token, so a request wrong in several ways gets the
// first. The transports' own suites (remote-server, adversarial-auth, comm-channel) check that
// the refusal reaches the view as its close.
import { describe, expect, test } from 'vitest';
import { admitView, type Admitter, type AdmittableCanvas, type ViewRequest } from '../src/remote/transport/admission.js';
import { markCanvasClosed } from '../src/remote/transport/closed-canvases.js';
import { CANVAS_CLOSED_REASON, CloseCode, PROTOCOL_VERSION } from '../src/remote/protocol.js';

const TOKEN = 'Zm9vYmFyYmF6cXV4cXV1eHh5';
const NEVER_HAD = 'no such canvas in this kernel (the kernel restarted, or the output is from another session)';

function canvases(): Map<string, AdmittableCanvas & { name: string }> {
  return new Map([
    ['open1', { name: 'open1', token: TOKEN }],
    ['other', { name: 'other', token: 'b3RoZXJ0b2tlbm90aGVydG9r' }],
  ]);
}

const mismatch: Record<Admitter, (p: string | number) => string> = {
  server: (p) => `protocol ${p} not supported; this server speaks ${PROTOCOL_VERSION}`,
  kernel: (p) => `the view speaks protocol ${p}, this kernel ${PROTOCOL_VERSION}`,
};

describe.each(['server', 'kernel'] as const)('admitted by the %s', (admitter) => {
  const refusals: [string, ViewRequest, string, number, string][] = [
    ['another protocol (number)', { canvasId: 'open1', token: TOKEN, protocol: PROTOCOL_VERSION + 1 }, 'protocol', CloseCode.protocolMismatch, mismatch[admitter](PROTOCOL_VERSION + 1)],
    ['another protocol (text)', { canvasId: 'open1', token: TOKEN, protocol: '0' }, 'protocol', CloseCode.protocolMismatch, mismatch[admitter]('0')],
    ['repeated protocol parameters', { canvasId: 'open1', token: TOKEN, protocol: `${PROTOCOL_VERSION},${PROTOCOL_VERSION}` }, 'protocol', CloseCode.protocolMismatch, mismatch[admitter](`${PROTOCOL_VERSION},${PROTOCOL_VERSION}`)],
    ['the version with a leading zero', { canvasId: 'open1', token: TOKEN, protocol: `0${PROTOCOL_VERSION}` }, 'protocol', CloseCode.protocolMismatch, mismatch[admitter](`0${PROTOCOL_VERSION}`)],
    ['wrong protocol before an unknown canvas', { canvasId: 'nope', token: null, protocol: 99 }, 'protocol', CloseCode.protocolMismatch, mismatch[admitter](99)],
    ['a canvas never had', { canvasId: 'nope', token: TOKEN, protocol: PROTOCOL_VERSION }, 'canvas', CloseCode.unknownCanvas, NEVER_HAD],
    ['unknown canvas before a wrong token', { canvasId: 'nope', token: 'x', protocol: undefined }, 'canvas', CloseCode.unknownCanvas, NEVER_HAD],
    ['no token', { canvasId: 'open1', token: null, protocol: PROTOCOL_VERSION }, 'token', CloseCode.badToken, 'missing or wrong token'],
    ['an empty token', { canvasId: 'open1', token: '', protocol: PROTOCOL_VERSION }, 'token', CloseCode.badToken, 'missing or wrong token'],
    ['one character off', { canvasId: 'open1', token: `${TOKEN.slice(0, -1)}z`, protocol: PROTOCOL_VERSION }, 'token', CloseCode.badToken, 'missing or wrong token'],
    ['a prefix', { canvasId: 'open1', token: TOKEN.slice(0, 8), protocol: PROTOCOL_VERSION }, 'token', CloseCode.badToken, 'missing or wrong token'],
    ['one character more', { canvasId: 'open1', token: `${TOKEN}x`, protocol: PROTOCOL_VERSION }, 'token', CloseCode.badToken, 'missing or wrong token'],
    ['another canvas\'s token', { canvasId: 'other', token: TOKEN, protocol: PROTOCOL_VERSION }, 'token', CloseCode.badToken, 'missing or wrong token'],
    // Same length in UTF-16 code units, longer in bytes: compared as bytes, never throws.
    ['non-ASCII of the same length', { canvasId: 'open1', token: `${TOKEN.slice(0, -1)}é`, protocol: PROTOCOL_VERSION }, 'token', CloseCode.badToken, 'missing or wrong token'],
  ];

  test.each(refusals)('%s: refused', (_name, request, kind, code, reason) => {
    expect(admitView(request, canvases(), admitter)).toEqual({ admitted: false, kind, code, reason });
  });

  test('the right token, with this protocol or none named: admitted to that canvas', () => {
    const all = canvases();
    for (const protocol of [PROTOCOL_VERSION, String(PROTOCOL_VERSION), undefined]) {
      const admission = admitView({ canvasId: 'open1', token: TOKEN, protocol }, all, admitter);
      expect(admission).toEqual({ admitted: true, canvas: all.get('open1') });
    }
  });

  test('a canvas that closed is refused with its reason, even with the right token', () => {
    const id = `shut-${admitter}`; // the record of closed canvases is the process's
    let closed = false;
    const all = new Map([[id, { token: TOKEN, isClosed: () => closed }]]);
    const request = { canvasId: id, token: TOKEN, protocol: PROTOCOL_VERSION };
    expect(admitView(request, all, admitter).admitted).toBe(true);
    // Closed but still registered (for a moment): refused, as a canvas never had ...
    closed = true;
    expect(admitView(request, all, admitter)).toEqual({ admitted: false, kind: 'canvas', code: CloseCode.unknownCanvas, reason: NEVER_HAD });
    // ... and once the process recorded that it closed, the reason says so.
    markCanvasClosed(id);
    expect(admitView(request, all, admitter)).toEqual({ admitted: false, kind: 'canvas', code: CloseCode.unknownCanvas, reason: CANVAS_CLOSED_REASON });
  });
});
