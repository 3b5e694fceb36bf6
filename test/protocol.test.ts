// The wire protocol's pure parts, ws-style: a table of boundary cases for everything a view may
// send (each limit just inside and just outside, each field rejected with a message naming it),
// and the binary frame header codec fed raw bytes. No server, no GPU.
import { describe, expect, test } from 'vitest';
import {
  DawnRfbError, decodeFrameMessage, encodeFrameHeader, InvalidArgumentError, MAX_COORDINATE, MAX_INPUT_TYPE_LENGTH,
  MAX_DISPLAY_HZ, MAX_HELD_MS, MAX_KEY_LENGTH, MAX_TEXT_LENGTH, MAX_TOUCHES, MIN_DISPLAY_HZ, parseClientMessage, parseEvent, ProtocolError, VIDEO_CODECS, videoCodecString, WIRE_EVENT_TYPES,
  type FrameHeader,
} from '../src/index.js';
import { MAX_ACK_LENGTH } from '../src/remote/transport/byte-rate.js';


const T = 12.5;

function touchesOf(n: number): Record<number, { x: number; y: number; pressure: number }> {
  const out: Record<number, { x: number; y: number; pressure: number }> = {};
  for (let i = 0; i < n; i++) out[i] = { x: i, y: i, pressure: 0.5 };
  return out;
}

const pointer = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'pointer_down', timestamp: T, x: 1, y: 2, button: 1, buttons: [1], modifiers: [], touches: {}, ...fields,
});
const wheel = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'wheel', timestamp: T, x: 1, y: 2, dx: 0, dy: 3, buttons: [], modifiers: [], ...fields,
});
const key = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'key_down', timestamp: T, key: 'a', modifiers: [], ...fields,
});
const char = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'char', timestamp: T, data: 'a', is_composing: false, input_type: 'insertText', ...fields,
});
const resize = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'resize', timestamp: T, width: 64, height: 48, pwidth: 64, pheight: 48, ratio: 1, ...fields,
});

describe('parseEvent: limits, just inside and just outside', () => {
  // [what, accepted event, the same one step beyond the limit, the message of the refusal]
  const cases: [string, Record<string, unknown>, Record<string, unknown>, RegExp][] = [
    [`${MAX_TOUCHES} vs ${MAX_TOUCHES + 1} touches`, pointer({ touches: touchesOf(MAX_TOUCHES) }), pointer({ touches: touchesOf(MAX_TOUCHES + 1) }), /"touches" must be an object of at most 10 touch points/],
    [`key of ${MAX_KEY_LENGTH} vs ${MAX_KEY_LENGTH + 1}`, key({ key: 'k'.repeat(MAX_KEY_LENGTH) }), key({ key: 'k'.repeat(MAX_KEY_LENGTH + 1) }), /"key" must be a string of at most 64 characters/],
    [`char data of ${MAX_TEXT_LENGTH} vs ${MAX_TEXT_LENGTH + 1}`, char({ data: 'x'.repeat(MAX_TEXT_LENGTH) }), char({ data: 'x'.repeat(MAX_TEXT_LENGTH + 1) }), /"data" must be a string of at most 256 characters/],
    [`input_type of ${MAX_INPUT_TYPE_LENGTH} vs ${MAX_INPUT_TYPE_LENGTH + 1}`, char({ input_type: 'i'.repeat(MAX_INPUT_TYPE_LENGTH) }), char({ input_type: 'i'.repeat(MAX_INPUT_TYPE_LENGTH + 1) }), /"input_type" must be a string of at most 64/],
    ['button 5 vs 6', pointer({ button: 5 }), pointer({ button: 6 }), /"button" must be an integer from 0 to 5/],
    ['button 0 vs -1', pointer({ button: 0 }), pointer({ button: -1 }), /"button" must be an integer from 0 to 5/],
    ['buttons [1..5] vs [6]', pointer({ buttons: [5, 4, 3, 2, 1] }), pointer({ buttons: [6] }), /"buttons" must be an array of button numbers 1\.\.5 \(at most 5 entries\)/],
    ['buttons [1] vs [0] (0 is no button: never held)', pointer({ buttons: [1] }), pointer({ buttons: [0] }), /"buttons" must be an array of button numbers 1\.\.5/],
    ['4 modifiers vs 5', key({ modifiers: ['Shift', 'Meta', 'Control', 'Alt'] }), key({ modifiers: ['Shift', 'Meta', 'Control', 'Alt', 'Alt'] }), /"modifiers" must be an array of "Alt", "Control", "Meta", "Shift" \(at most 4 entries\)/],
    ['ratio just above 0 vs 0', resize({ ratio: Number.MIN_VALUE }), resize({ ratio: 0 }), /"ratio" must be a finite number > 0/],
    ['width 0 vs -1', resize({ width: 0 }), resize({ width: -1 }), /"width" must be a finite number >= 0/],
    ['pwidth 2^31 vs 2^31 + 1', resize({ pwidth: 2 ** 31 }), resize({ pwidth: 2 ** 31 + 1 }), /"pwidth" must be an integer from 0 to 2147483648/],
    ['pheight 0 vs -1', resize({ pheight: 0 }), resize({ pheight: -1 }), /"pheight" must be an integer from 0 to/],
    ['timestamp 0 vs NaN', key({ timestamp: 0 }), key({ timestamp: Number.NaN }), /"timestamp" must be a finite number/],
  ];
  test.each(cases)('%s', (_what, inside, outside, message) => {
    expect(() => parseEvent(inside)).not.toThrow();
    const error = (() => { try { parseEvent(outside); } catch (e) { return e; } return undefined; })();
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toBeInstanceOf(DawnRfbError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('parseEvent: each field rejected', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /an event must be a JSON object/],
    ['null', null, /an event must be a JSON object/],
    ['unknown type', { type: 'explode', timestamp: T }, /unknown event type "explode"; valid: resize, pointer_down/],
    ['before_draw (canvas only)', { type: 'before_draw', timestamp: T }, /unknown event type "before_draw"/],
    ['type not a string', { type: 7, timestamp: T }, /unknown event type 7/],
    ['missing timestamp', { type: 'focus_in' }, /"timestamp" must be a finite number/],
    ['x a string', pointer({ x: '1' }), /"x" must be a finite number/],
    ['y infinite', pointer({ y: Infinity }), /"y" must be a finite number/],
    ['button 1.5', pointer({ button: 1.5 }), /"button" must be an integer/],
    ['buttons not a list', pointer({ buttons: 1 }), /"buttons" must be an array/],
    ['modifiers unknown name', pointer({ modifiers: ['Hyper'] }), /"modifiers" must be an array of "Alt", "Control", "Meta", "Shift"/],
    ['touches a list', pointer({ touches: [] }), /"touches" must be an object/],
    ['touch id not an integer', pointer({ touches: { a: { x: 1, y: 1, pressure: 0 } } }), /keyed by integer pointer id/],
    ['touch point not an object', pointer({ touches: { 1: 5 } }), /keyed by integer pointer id/],
    ['touch pressure missing', pointer({ touches: { 1: { x: 1, y: 1 } } }), /"pressure" of each touch point must be a finite number/],
    ['touch id not canonical', pointer({ touches: { '01': { x: 1, y: 1, pressure: 0 } } }), /keyed by integer pointer id 0\.\.2147483648/],
    ['wheel dx missing', wheel({ dx: undefined }), /"dx" must be a finite number/],
    ['wheel dy null', wheel({ dy: null }), /"dy" must be a finite number/],
    ['key not a string', key({ key: 65 }), /"key" must be a string/],
    ['char data missing', char({ data: undefined }), /"data" must be a string/],
    ['char is_composing a string', char({ is_composing: 'no' }), /"is_composing" must be a boolean/],
    ['resize width not a number', resize({ width: 'wide' }), /"width" must be a finite number/],
    ['resize pwidth fractional', resize({ pwidth: 64.5 }), /"pwidth" must be an integer/],
    ['resize ratio missing', resize({ ratio: undefined }), /"ratio" must be a finite number/],
  ];
  test.each(cases)('%s', (_what, raw, message) => {
    expect(() => parseEvent(raw)).toThrow(ProtocolError);
    expect(() => parseEvent(raw)).toThrow(message);
  });
});

describe('parseEvent: what comes out', () => {
  test('a clean, typed copy: only known fields, modifiers in spec order, buttons sorted and unique', () => {
    const e = parseEvent(pointer({ extra: 'dropped', modifiers: ['Shift', 'Alt', 'Shift'], buttons: [3, 1, 3], touches: touchesOf(2) }));
    expect(e).toEqual({
      type: 'pointer_down', timestamp: T, x: 1, y: 2, button: 1, buttons: [1, 3], modifiers: ['Alt', 'Shift'],
      ntouches: 2, touches: touchesOf(2),
    });
    // Typed: no cast needed to read a pointer event's fields.
    if (e.type === 'pointer_down') expect(e.buttons[0]).toBe(1);
  });

  test('coordinates and deltas are clamped to ±MAX_COORDINATE, pressure to 0..1, ratio (> 0) to 0.01..100', () => {
    expect(parseEvent(wheel({ x: -1e9, dy: 1e12 }))).toMatchObject({ x: -MAX_COORDINATE, dy: MAX_COORDINATE });
    expect(parseEvent(pointer({ touches: { 3: { x: 1, y: 1, pressure: 7 } } }))).toMatchObject({ touches: { 3: { pressure: 1 } } });
    expect(parseEvent(resize({ ratio: 1000 }))).toMatchObject({ ratio: 100 });
    expect(parseEvent(resize({ ratio: 0.001 }))).toMatchObject({ ratio: 0.01 });
    expect(parseEvent(resize({ width: 2e6 }))).toMatchObject({ width: MAX_COORDINATE });
    expect(parseEvent(key({ timestamp: -5 }))).toMatchObject({ timestamp: 0 });
  });

  test('every wire type parses; focus and close carry only type and timestamp', () => {
    const samples: Record<string, Record<string, unknown>> = { resize: resize(), wheel: wheel(), char: char(), key_down: key(), key_up: key({ type: 'key_up' }) };
    for (const type of WIRE_EVENT_TYPES) {
      const raw = samples[type] ?? (type.startsWith('pointer_') || type === 'double_click' ? pointer({ type }) : { type, timestamp: T, junk: 1 });
      expect(parseEvent(raw).type).toBe(type);
    }
    expect(parseEvent({ type: 'close', timestamp: T, junk: 1 })).toEqual({ type: 'close', timestamp: T });
  });
});

describe('parseClientMessage', () => {
  const cases: [string, string, RegExp][] = [
    ['malformed JSON', '{"type":', /malformed JSON/],
    ['not an object', '"ack"', /a message must be a JSON object/],
    ['unknown type', '{"type":"hello"}', /unknown message type "hello"; valid: event, ack, display/],
    ['ack index 0', '{"type":"ack","index":0}', /"index" must be an integer from 1 to 4294967295/],
    ['ack index 2^32', `{"type":"ack","index":${2 ** 32}}`, /"index" must be an integer from 1/],
    ['event without event', '{"type":"event"}', /an event must be a JSON object/],
    ['ack skipped false', '{"type":"ack","index":3,"skipped":false}', /"skipped" of an ack must be true when present/],
    ['ack skipped as a string', '{"type":"ack","index":3,"skipped":"yes"}', /"skipped" of an ack must be true/],
    ['ack heldMs negative', '{"type":"ack","index":3,"heldMs":-1}', /"heldMs" must be an integer from 0 to 60000/],
    ['ack heldMs beyond a minute', '{"type":"ack","index":3,"heldMs":60001}', /"heldMs" must be an integer from 0 to 60000/],
    ['ack heldMs fractional', '{"type":"ack","index":3,"heldMs":1.5}', /"heldMs" must be an integer/],
    ['ack heldMs as a string', '{"type":"ack","index":3,"heldMs":"5"}', /"heldMs" must be an integer/],
    ['display without hz', '{"type":"display"}', /"hz" of a display message must be a number of Hz from 1 to 1000/],
    ['display hz as a string', '{"type":"display","hz":"60"}', /"hz" of a display message must be a number/],
    ['display hz 0', '{"type":"display","hz":0}', /from 1 to 1000/],
    ['display hz just below 1', '{"type":"display","hz":0.999}', /from 1 to 1000/],
    ['display hz just above 1000', '{"type":"display","hz":1000.001}', /from 1 to 1000/],
    ['display hz negative', '{"type":"display","hz":-60}', /from 1 to 1000/],
    ['display hz overflowing to Infinity', '{"type":"display","hz":1e999}', /from 1 to 1000/],
    ['display hz null', '{"type":"display","hz":null}', /from 1 to 1000/],
    // protocol 4: a view announces the video codecs it decodes, and asks for keyframes
    ['codecs without decode', '{"type":"codecs"}', /"decode" of a codecs message must be a list of at most 1 video codec names \(h264\)/],
    ['codecs decode as a string', '{"type":"codecs","decode":"h264"}', /"decode" of a codecs message must be a list/],
    ['codecs: one more name than there are codecs', '{"type":"codecs","decode":["h264","h264"]}', /must be a list of at most 1 video codec names/],
    ['codecs: an unknown codec name', '{"type":"codecs","decode":["vp9"]}', /unknown video codec in field "decode"; known: h264/],
    ['codecs: a name in another case', '{"type":"codecs","decode":["H264"]}', /unknown video codec in field "decode"/],
    ['codecs: not a string', '{"type":"codecs","decode":[1]}', /unknown video codec in field "decode"/],
    ['keyframe with a field', '{"type":"keyframe","codec":"h264"}', /a keyframe message has no fields but "type"/],
  ];
  test.each(cases)('%s is refused', (_what, text, message) => {
    expect(() => parseClientMessage(text)).toThrow(ProtocolError);
    expect(() => parseClientMessage(text)).toThrow(message);
  });

  test('a display rate from 1 to 1000 Hz is accepted as sent (fractions too); the ends are in range', () => {
    expect(MIN_DISPLAY_HZ).toBe(1);
    expect(MAX_DISPLAY_HZ).toBe(1000);
    for (const hz of [1, 29.97, 59.94, 60, 144, 1000]) {
      expect(parseClientMessage(JSON.stringify({ type: 'display', hz }))).toEqual({ type: 'display', hz });
    }
    // Unknown fields are not copied.
    expect(parseClientMessage('{"type":"display","hz":60,"x":1}')).toEqual({ type: 'display', hz: 60 });
  });

  test('an ack may say it skipped the frame undrawn and how long it held it; the longest such ack fits the ack length limit', () => {
    const text = `{"type":"ack","index":${2 ** 32 - 1},"skipped":true,"heldMs":${MAX_HELD_MS}}`;
    expect(parseClientMessage(text)).toEqual({ type: 'ack', index: 2 ** 32 - 1, skipped: true, heldMs: 60_000 });
    expect(text.length).toBeLessThanOrEqual(MAX_ACK_LENGTH);
    expect(parseClientMessage('{"type":"ack","index":3,"heldMs":0}')).toEqual({ type: 'ack', index: 3, heldMs: 0 });
  });

  test('codecs lists are accepted from empty to every codec once; a keyframe request is just its type', () => {
    expect(parseClientMessage('{"type":"codecs","decode":[]}')).toEqual({ type: 'codecs', decode: [] });
    expect(parseClientMessage('{"type":"codecs","decode":["h264"],"x":1}')).toEqual({ type: 'codecs', decode: ['h264'] });
    expect(parseClientMessage('{"type":"keyframe"}')).toEqual({ type: 'keyframe' });
  });

  test('ack 1 and 2^32 - 1 are accepted; an event message carries the parsed event', () => {
    expect(parseClientMessage('{"type":"ack","index":1}')).toEqual({ type: 'ack', index: 1 });
    expect(parseClientMessage(`{"type":"ack","index":${2 ** 32 - 1}}`)).toEqual({ type: 'ack', index: 2 ** 32 - 1 });
    expect(parseClientMessage(JSON.stringify({ type: 'event', event: key({ extra: 1 }) })))
      .toEqual({ type: 'event', event: { type: 'key_down', timestamp: T, key: 'a', modifiers: [] } });
  });
});

describe('frame header codec', () => {
  const header: FrameHeader = {
    canvasId: '3f9a1c0d2b4e', index: 4_000_000_000, timestamp: 1234.5678, mimeType: 'image/jpeg',
    width: 1920, height: 1080, pixelRatio: 1.5, lossless: false, alpha: true,
  };

  function message(h: FrameHeader, image: Uint8Array): Uint8Array {
    const head = encodeFrameHeader(h);
    const out = new Uint8Array(head.length + image.length);
    out.set(head);
    out.set(image, head.length);
    return out;
  }

  test('round trip: every field, flags, and the image bytes after the header', () => {
    const image = Uint8Array.from([0xff, 0xd8, 0, 1, 2]);
    for (const flags of [{ lossless: false, alpha: false }, { lossless: true, alpha: false }, { lossless: false, alpha: true }, { lossless: true, alpha: true }]) {
      const h = { ...header, ...flags };
      const decoded = decodeFrameMessage(message(h, image));
      expect(decoded.header).toEqual(h);
      expect([...decoded.image]).toEqual([...image]);
    }
  });

  test('round trip of a partial frame (protocol 2): patch position and base index', () => {
    const h = { ...header, width: 64, height: 128, patch: { x: 128, y: 64, baseIndex: 3_999_999_999 } };
    const decoded = decodeFrameMessage(message(h, Uint8Array.from([7])));
    expect(decoded.header).toEqual(h);
    const bytes = encodeFrameHeader(h);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(bytes[1]! & 4).toBe(4); // flags: patch
    expect([view.getUint32(28, true), view.getUint32(32, true), view.getUint32(36, true)]).toEqual([128, 64, 3_999_999_999]);
    expect(decodeFrameMessage(message(header, Uint8Array.from([7]))).header.patch).toBeUndefined();
  });

  test('the layout is the documented one (little endian, 41 fixed bytes, then mime, id and the part table)', () => {
    const bytes = encodeFrameHeader({ ...header, lossless: true, alpha: false });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(bytes[0]).toBe(1); // kind: frame
    expect(bytes[1]).toBe(1); // flags: lossless
    expect(view.getUint16(2, true)).toBe(bytes.length);
    expect(bytes.length).toBe(41 + 'image/jpeg'.length + 1 + 12 + 1 + 4);
    expect(view.getUint32(4, true)).toBe(4_000_000_000);
    expect(view.getFloat64(8, true)).toBe(1234.5678);
    expect([view.getUint32(16, true), view.getUint32(20, true), view.getFloat32(24, true)]).toEqual([1920, 1080, 1.5]);
    expect([view.getUint32(28, true), view.getUint32(32, true), view.getUint32(36, true)]).toEqual([0, 0, 0]); // no patch
    expect(bytes[40]).toBe(10);
    const table = 41 + 10 + 1 + 12;
    expect(bytes[table]).toBe(1); // one part ...
    expect(view.getUint32(table + 1, true)).toBe(1080); // ... as tall as the image, taking every byte after the header
  });

  test('round trip of a frame in strips (protocol 3): the part table and each part\'s bytes', () => {
    const h = { ...header, height: 100, parts: [{ height: 48, length: 3 }, { height: 48, length: 0 }, { height: 4, length: 2 }] };
    const decoded = decodeFrameMessage(message(h, Uint8Array.from([1, 2, 3, 4, 5])));
    expect(decoded.header).toEqual(h);
    expect(decoded.parts.map((p) => [p.y, p.height, [...p.image]])).toEqual([[0, 48, [1, 2, 3]], [48, 48, []], [96, 4, [4, 5]]]);
    const bytes = encodeFrameHeader(h);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const table = 41 + 10 + 1 + 12;
    expect(bytes[table]).toBe(3);
    // heights, then the lengths of all but the last part (it takes the rest)
    expect([0, 1, 2, 3, 4].map((i) => view.getUint32(table + 1 + 4 * i, true))).toEqual([48, 48, 4, 3, 0]);
    expect(bytes.length).toBe(table + 1 + 20);
    // one part: no part table in the decoded header, `image` is the image
    const single = decodeFrameMessage(message(header, Uint8Array.from([9, 8])));
    expect(single.header.parts).toBeUndefined();
    expect(single.parts).toEqual([{ y: 0, height: 1080, image: single.image }]);
  });

  test('encoding refuses a part table that does not describe the image', () => {
    expect(() => encodeFrameHeader({ ...header, parts: [] })).toThrow(/parts must be an array of 1 to 64/);
    expect(() => encodeFrameHeader({ ...header, parts: Array.from({ length: 65 }, () => ({ height: 1, length: 0 })) })).toThrow(/1 to 64/);
    expect(() => encodeFrameHeader({ ...header, parts: [{ height: 1000, length: 1 }, { height: 79, length: 1 }] })).toThrow(/add up to the image height 1080, got 1079/);
    expect(() => encodeFrameHeader({ ...header, parts: [{ height: 0, length: 1 }, { height: 1080, length: 1 }] })).toThrow(/height: integer >= 1/);
    expect(() => encodeFrameHeader({ ...header, parts: [{ height: 1080, length: -1 }] })).toThrow(/length: integer >= 0/);
  });

  test('a decoded ArrayBuffer and a Uint8Array view into a larger buffer both work', () => {
    const m = message(header, Uint8Array.from([9]));
    expect(decodeFrameMessage(m.slice().buffer).header).toEqual(header);
    const padded = new Uint8Array(m.length + 7);
    padded.set(m, 7);
    expect(decodeFrameMessage(padded.subarray(7)).header).toEqual(header);
  });

  test('an empty image is allowed', () => {
    expect(decodeFrameMessage(encodeFrameHeader(header)).image.length).toBe(0);
  });

  const TABLE = 41 + 10 + 1 + 12; // the part count's offset in `header`'s message
  const malformed: [string, (m: Uint8Array) => Uint8Array, RegExp][] = [
    ['too short', (m) => m.subarray(0, 30), /frame message too short \(30 bytes\)/],
    ['unknown kind', (m) => { const c = m.slice(); c[0] = 2; return c; }, /unknown binary message kind 2/],
    ['header length beyond the message', (m) => { const c = m.slice(); new DataView(c.buffer).setUint16(2, 60000, true); return c; }, /lengths are inconsistent/],
    ['mime length past the end', (m) => { const c = m.slice(0, 52); c[40] = 200; return c; }, /lengths are inconsistent/],
    ['id length disagreeing with the header length', (m) => { const c = m.slice(); c[41 + 10] = 3; return c; }, /lengths are inconsistent/],
    ['a patch on no earlier frame', (m) => { const c = m.slice(); c[1] = c[1]! | 4; new DataView(c.buffer).setUint32(36, 4_000_000_000, true); return c; }, /must build on an earlier frame/],
    ['a patch on base 0', (m) => { const c = m.slice(); c[1] = c[1]! | 4; return c; }, /must build on an earlier frame/],
    ['no parts', (m) => { const c = m.slice(); c[TABLE] = 0; return c; }, /lengths are inconsistent/],
    ['a part count disagreeing with the header length', (m) => { const c = m.slice(); c[TABLE] = 2; return c; }, /lengths are inconsistent/],
    ['a part taller than the image', (m) => { const c = m.slice(); new DataView(c.buffer).setUint32(TABLE + 1, 1081, true); return c; }, /part table does not fit/],
    ['parts shorter than the image', (m) => { const c = m.slice(); new DataView(c.buffer).setUint32(TABLE + 1, 1079, true); return c; }, /add up to 1079, not the image height 1080/],
  ];
  test('refuses a part table whose lengths run past the message', () => {
    const m = message({ ...header, parts: [{ height: 540, length: 10 }, { height: 540, length: 1 }] }, Uint8Array.from([1, 2, 3]));
    expect(() => decodeFrameMessage(m)).toThrow(/part table does not fit/);
  });

  test.each(malformed)('refuses a message with %s (ProtocolError)', (_what, corrupt, text) => {
    const m = corrupt(message(header, Uint8Array.from([1, 2, 3])));
    expect(() => decodeFrameMessage(m)).toThrow(ProtocolError);
    expect(() => decodeFrameMessage(m)).toThrow(text);
  });

  test('round trip of video frames (protocol 4): the codec from the mime type, the key flag (8)', () => {
    for (const key of [true, false]) {
      const h: FrameHeader = { ...header, alpha: false, mimeType: 'video/h264', video: { codec: 'h264', key } };
      const m = message(h, Uint8Array.from([0, 0, 0, 1, 0x67]));
      expect(m[1]).toBe(key ? 8 : 0);
      const decoded = decodeFrameMessage(m);
      expect(decoded.header).toEqual(h);
      expect([...decoded.image]).toEqual([0, 0, 0, 1, 0x67]);
    }
    // An image has no video field.
    expect(decodeFrameMessage(message(header, Uint8Array.from([1]))).header.video).toBeUndefined();
  });

  test('encoding refuses video fields that do not fit the mime type, and video frames in patches, parts or lossless', () => {
    const video: FrameHeader = { ...header, alpha: false, mimeType: 'video/h264', video: { codec: 'h264', key: true } };
    expect(() => encodeFrameHeader({ ...video, video: undefined })).toThrow('a frame of mime type video/h264 needs video { codec, key }');
    expect(() => encodeFrameHeader({ ...video, mimeType: 'image/jpeg' })).toThrow(/frame header video must be \{ codec, key \} with codec one of h264 matching the mime type/);
    expect(() => encodeFrameHeader({ ...video, video: { codec: 'vp9' as 'h264', key: true } })).toThrow(InvalidArgumentError);
    expect(() => encodeFrameHeader({ ...video, video: { codec: 'h264', key: 1 as unknown as boolean } })).toThrow(/frame header video must be/);
    expect(() => encodeFrameHeader({ ...video, lossless: true })).toThrow('a video frame is whole, lossy and in one part (no patch, parts or lossless)');
    expect(() => encodeFrameHeader({ ...video, patch: { x: 0, y: 0, baseIndex: 1 } })).toThrow(/a video frame is whole/);
    expect(() => encodeFrameHeader({ ...video, parts: [{ height: 540, length: 1 }, { height: 540, length: 1 }] })).toThrow(/a video frame is whole/);
    expect(() => encodeFrameHeader({ ...video, parts: [{ height: 1080, length: 0 }] })).not.toThrow();
  });

  test.each([
    ['an unknown video codec', (h: FrameHeader) => ({ ...h, mimeType: 'video/h265' }), /unknown video codec in mime type "video\/h265"; known: h264/],
    ['the key flag on an image', (h: FrameHeader) => h, /only a video frame may have the key flag/],
  ])('decoding refuses %s (ProtocolError)', (_what, change, text) => {
    const h = change({ ...header, alpha: false });
    // Built as an image (the encoder refuses both), then given the flag or mime type by hand.
    const m = message({ ...h, mimeType: 'image/abcd' }, Uint8Array.from([1]));
    const mime = h.mimeType.padEnd(10).slice(0, 10);
    for (let i = 0; i < 10; i++) m[41 + i] = mime.charCodeAt(i);
    if (h.mimeType === 'image/jpeg') m[1] = m[1]! | 8;
    expect(() => decodeFrameMessage(m)).toThrow(ProtocolError);
    expect(() => decodeFrameMessage(m)).toThrow(text);
  });

  test('decoding refuses a video frame that is a patch', () => {
    const m = message({ ...header, alpha: false, mimeType: 'video/h264', video: { codec: 'h264', key: false } }, Uint8Array.from([1]));
    m[1] = m[1]! | 4;
    new DataView(m.buffer).setUint32(36, 1, true);
    expect(() => decodeFrameMessage(m)).toThrow('a video frame must be whole and in one part');
  });

  test('encoding refuses a mime type or canvas id that is not printable ASCII of <= 255 characters', () => {
    expect(() => encodeFrameHeader({ ...header, mimeType: 'image/jpég' })).toThrow(InvalidArgumentError);
    expect(() => encodeFrameHeader({ ...header, canvasId: 'x'.repeat(256) })).toThrow(/canvasId must be printable ASCII of at most 255/);
    expect(() => encodeFrameHeader({ ...header, canvasId: 'x'.repeat(255) })).not.toThrow();
  });
});

describe('videoCodecString: the codec string of a keyframe', () => {
  const sps = (profile: number, flags: number, level: number, startCode = [0, 0, 0, 1]): number[] => [...startCode, 0x67, profile, flags, level, 0xac, 0xd9];
  const slice = [0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33];

  test('reads profile, constraint flags and level from the sequence parameter set', () => {
    expect(videoCodecString('h264', Uint8Array.from([...sps(0x64, 0x00, 0x20), 0, 0, 0, 1, 0x68, 0xeb, ...slice]))).toBe('avc1.640020');
    expect(videoCodecString('h264', Uint8Array.from(sps(0x42, 0xc0, 0x1e, [0, 0, 1])))).toBe('avc1.42c01e');
  });

  test('finds the parameter set after other units (an access unit delimiter, SEI)', () => {
    expect(videoCodecString('h264', Uint8Array.from([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x06, 0x05, 0x01, 0x80, ...sps(0x4d, 0x40, 0x28)]))).toBe('avc1.4d4028');
  });

  test('drops an emulation prevention byte (00 00 03) inside the three bytes', () => {
    // Constraint flags 0x00 and a (made-up) level 0x00 would read 00 00: the stream carries 00 00 03 00.
    expect(videoCodecString('h264', Uint8Array.from([0, 0, 1, 0x67, 0x64, 0x00, 0x00, 0x03, 0x00, 0x01]))).toBe('avc1.640000');
  });

  test('without a whole parameter set: the protocol\'s codec string', () => {
    expect(videoCodecString('h264', Uint8Array.from(slice))).toBe(VIDEO_CODECS.h264);
    expect(videoCodecString('h264', Uint8Array.from([0, 0, 1, 0x67, 0x64, 0x00]))).toBe(VIDEO_CODECS.h264);
    expect(videoCodecString('h264', new Uint8Array(0))).toBe(VIDEO_CODECS.h264);
  });
});
