// The wire protocol between a RemoteCanvas and its browser views (documented in
// docs/protocol.md). This module is shared by the server and the widget bundle, so it must run in
// both Node and the browser: no Node imports, and from the rest of src only the two leaves that
// run anywhere (the event vocabulary and the error classes).
//
// Server -> view: binary frame messages (a small header, then the encoded image) and JSON
// control messages. View -> server: JSON only. Everything a view sends is untrusted: the parse
// functions here validate every field and copy only what they checked.
import { DawnRfbError, InvalidArgumentError } from '../errors.js';
import { readEventFields, WIRE_EVENT_TYPES, type WireEvent } from '../events/vocabulary.js';

// The widget imports the vocabulary from here, so it shares exactly one module with src.
export * from '../events/vocabulary.js';

/** Protocol version; a view refuses a server that speaks another. */
export const PROTOCOL_VERSION = 4;

/**
 * Jupyter message metadata the widget sets on the Jupyter path and the dawn-rfb kernel's comm
 * layer (kernel-ext/comms.cjs, which declares the same names) reads:
 * - `noStatus` on a comm_msg: handle it without busy / idle statuses (acknowledgements and
 *   events: no reply, nobody waits on them; three small messages per frame stalled the Jupyter
 *   server's websocket on Nagle's algorithm).
 * - `replyOnShell` on a comm_open: send this comm's messages on the shell channel to the
 *   connection that opened it (only that websocket gets them; iopub goes to every client).
 */
export const COMM_METADATA = Object.freeze({ noStatus: 'dawn_rfb_no_status', replyOnShell: 'dawn_rfb_reply_on_shell' } as const);

/** Largest message a view may send, in bytes; the server refuses bigger ones. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/**
 * Query parameter of a probe: a websocket without the token to `/ws/<id>?probe=1`, which only
 * asks whether the route reaches a dawn-rfb server. The server answers a {@link ProbeMessage} and
 * closes; the widget then connects with the token, which so never goes to a route that may not
 * exist (a proxy path that 404s would log it).
 */
export const PROBE_PARAM = 'probe';

/** Close codes the server uses (4000-4999 are free for applications). */
export const CloseCode = {
  /** Normal close (the canvas closed, or the server shuts down). */
  normal: 1000,
  /** The view speaks another protocol version. */
  protocolMismatch: 4000,
  /** No canvas with that id (closed, or never existed). */
  unknownCanvas: 4001,
  /** The token in the URL is missing or wrong. */
  badToken: 4003,
} as const;

/**
 * The close reason of a view whose canvas closed: with code 1000 to a live view, with code 4001
 * to a view that asks for it later. Views say "canvas closed" and keep the last frame.
 */
export const CANVAS_CLOSED_REASON = 'canvas closed';

/** First byte of a binary message: its kind. */
export const MessageKind = { frame: 1 } as const;

/** Frame header flags (`key`: a video keyframe, protocol 4). */
export const FrameFlags = { lossless: 1, alpha: 2, patch: 4, key: 8 } as const;

/**
 * Video codecs frames may be sent in, by the name used in options and messages, with the
 * WebCodecs codec string a view checks support for before it announces the codec. Both video
 * backends send H.264 High profile without B-frames, at the level x264 picks for the size
 * (measured: profile 100 at every size, level 3.1 at 640x480 to 5.2 at 3840x2160, whatever
 * profile the package is asked for), so the string is High at level 4.0 (1920x1080); a view
 * configures its decoder with the string of each keyframe's own parameters
 * ({@link videoCodecString}). A video frame's mime type is `video/<name>`. Protocol 4.
 */
export const VIDEO_CODECS = Object.freeze({ h264: 'avc1.640028' } as const);
/** A video codec's name (a key of {@link VIDEO_CODECS}). */
export type VideoCodecName = keyof typeof VIDEO_CODECS;
/** Video codec names, in the order a view lists them. */
export const VIDEO_CODEC_NAMES = Object.keys(VIDEO_CODECS) as VideoCodecName[];
/**
 * The WebCodecs codec string a decoder must be configured with for a keyframe of `codec`: for
 * H.264 (Annex B) `avc1.PPCCLL` from the keyframe's sequence parameter set (profile_idc, the
 * constraint flags, level_idc), so that a decoder that cares (a hardware one may) is set up for the
 * profile and level really sent; {@link VIDEO_CODECS}' string where the keyframe holds no
 * parameter set. Scans to the first parameter set: meant for keyframes, which start with one.
 */
export function videoCodecString(codec: VideoCodecName, keyframe: Uint8Array): string {
  for (let i = 0; i + 3 < keyframe.length; i++) {
    // A start code (00 00 01; a 4-byte one ends the same way) before a NAL unit of type 7 (SPS).
    if (keyframe[i] !== 0 || keyframe[i + 1] !== 0 || keyframe[i + 2] !== 1 || (keyframe[i + 3]! & 0x1f) !== 7) continue;
    const bytes: number[] = [];
    let zeros = 0;
    for (let j = i + 4; j < keyframe.length && bytes.length < 3; j++) {
      const b = keyframe[j]!;
      // An emulation prevention byte (00 00 03) is not part of the payload.
      if (zeros >= 2 && b === 3) {
        zeros = 0;
        continue;
      }
      bytes.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    if (bytes.length === 3) return `avc1.${bytes.map((b) => b.toString(16).padStart(2, '0')).join('')}`;
    break;
  }
  return VIDEO_CODECS[codec];
}

/** Mime type of a video frame of `codec`. */
export const videoMimeType = (codec: VideoCodecName): string => `video/${codec}`;

/** The video codec of a frame's mime type; undefined for an image (or an unknown video codec). */
export function videoCodecOf(mimeType: string): VideoCodecName | undefined {
  const name = mimeType.startsWith('video/') ? mimeType.slice(6) : '';
  return (VIDEO_CODEC_NAMES as string[]).includes(name) ? name as VideoCodecName : undefined;
}

/** The header of a binary frame message. */
export interface FrameHeader {
  canvasId: string;
  /** Sequence number of the frame on this canvas (1, 2, ...): the view acknowledges it. */
  index: number;
  /** Seconds (server clock) when the frame's drawing started. */
  timestamp: number;
  mimeType: string;
  /** Physical pixels. */
  width: number;
  height: number;
  pixelRatio: number;
  lossless: boolean;
  /** Whether the image has a meaningful alpha channel. */
  alpha: boolean;
  /**
   * A partial frame (dirty tiles): the image covers only the rectangle at (`x`, `y`) of frame
   * `baseIndex` (the previous message), which the view keeps and draws the image onto. Absent for
   * a whole frame. Protocol 2.
   */
  patch?: { x: number; y: number; baseIndex: number };
  /**
   * The image in horizontal strips encoded apart (in parallel), top to bottom: each strip's height
   * in pixels and its encoded size in bytes. Absent for an image in one piece. Protocol 3.
   */
  parts?: FramePartLayout[];
  /**
   * A video frame (mime type `video/<codec>`): whether it is a keyframe. A delta frame builds on
   * every frame of its codec before it, back to the last keyframe, so a view must decode them all
   * in order. Absent for an image. Protocol 4.
   */
  video?: { codec: VideoCodecName; key: boolean };
}

/** One strip of a frame's image on the wire: its height (pixels) and encoded size (bytes). */
export interface FramePartLayout {
  height: number;
  length: number;
}

/** One strip of a decoded frame message: where it goes in the image, and its encoded bytes. */
export interface FramePart {
  /** Top row of the strip in the image (add the patch's y for a partial frame). */
  y: number;
  height: number;
  image: Uint8Array;
}

/** Most strips a frame's image may be sent in. */
export const MAX_FRAME_PARTS = 64;

// Layout (little endian), protocol 3 and 4 (4 adds the key flag and video mime types):
//   0 u8 kind (1) | 1 u8 flags (lossless 1, alpha 2, patch 4, key 8) | 2 u16 header length (bytes before the image)
//   4 u32 index | 8 f64 timestamp | 16 u32 width | 20 u32 height | 24 f32 pixel ratio
//   28 u32 patch x | 32 u32 patch y | 36 u32 patch base index (all 0 unless flags has patch)
//   40 u8 mime length | mime (ascii) | u8 canvas-id length | canvas id (ascii)
//   u8 part count P (1..64) | P x u32 part height | (P-1) x u32 part length | image bytes
// width/height are the image's; for a patch, the whole frame keeps the base frame's size. The
// image is P horizontal strips, top to bottom, each a complete image of the given format; the
// part heights add up to the height, and the last part takes the bytes the others leave.
const FIXED = 41;
const MIME_LENGTH_AT = 40;

/** Bytes of a part table of `count` parts: the count, every height, every length but the last. */
const partTableBytes = (count: number): number => 1 + 4 * count + 4 * (count - 1);

function ascii(s: string, what: string): Uint8Array {
  if (typeof s !== 'string' || s.length > 255 || !/^[\x20-\x7e]*$/.test(s)) throw new InvalidArgumentError(`${what} must be printable ASCII of at most 255 characters`);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function readAscii(bytes: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(bytes[start + i]!);
  return s;
}

/** Builds the header of a frame message; the image bytes follow it on the wire. */
export function encodeFrameHeader(h: FrameHeader): Uint8Array {
  if (typeof h !== 'object' || h === null) throw new InvalidArgumentError('encodeFrameHeader takes a FrameHeader { canvasId, index, timestamp, mimeType, width, height, pixelRatio, lossless, alpha }');
  for (const key of ['index', 'width', 'height'] as const) {
    const v = h[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidArgumentError(`frame header ${key} must be an integer from 0 to 2^32-1, got ${String(v)}`);
  }
  for (const key of ['timestamp', 'pixelRatio'] as const) {
    if (typeof h[key] !== 'number' || !Number.isFinite(h[key])) throw new InvalidArgumentError(`frame header ${key} must be a finite number, got ${String(h[key])}`);
  }
  const mime = ascii(h.mimeType, 'mimeType');
  const id = ascii(h.canvasId, 'canvasId');
  const parts = checkParts(h);
  checkVideo(h);
  const tableAt = FIXED + mime.length + 1 + id.length;
  const length = tableAt + partTableBytes(parts.length);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint8(0, MessageKind.frame);
  view.setUint8(1, (h.lossless ? FrameFlags.lossless : 0) | (h.alpha ? FrameFlags.alpha : 0) | (h.patch ? FrameFlags.patch : 0) | (h.video?.key ? FrameFlags.key : 0));
  view.setUint16(2, length, true);
  view.setUint32(4, h.index, true);
  view.setFloat64(8, h.timestamp, true);
  view.setUint32(16, h.width, true);
  view.setUint32(20, h.height, true);
  view.setFloat32(24, h.pixelRatio, true);
  if (h.patch) {
    view.setUint32(28, h.patch.x, true);
    view.setUint32(32, h.patch.y, true);
    view.setUint32(36, h.patch.baseIndex, true);
  }
  view.setUint8(MIME_LENGTH_AT, mime.length);
  out.set(mime, FIXED);
  out[FIXED + mime.length] = id.length;
  out.set(id, FIXED + mime.length + 1);
  view.setUint8(tableAt, parts.length);
  parts.forEach((p, i) => view.setUint32(tableAt + 1 + 4 * i, p.height, true));
  parts.slice(0, -1).forEach((p, i) => view.setUint32(tableAt + 1 + 4 * parts.length + 4 * i, p.length ?? 0, true));
  return out;
}

/** A video frame's fields, checked: its codec matches the mime type, whole, in one part. */
function checkVideo(h: FrameHeader): void {
  const codec = videoCodecOf(h.mimeType);
  if (h.video === undefined) {
    if (codec !== undefined) throw new InvalidArgumentError(`a frame of mime type ${h.mimeType} needs video { codec, key }`);
    return;
  }
  if (typeof h.video !== 'object' || h.video === null || codec === undefined || h.video.codec !== codec || typeof h.video.key !== 'boolean') {
    throw new InvalidArgumentError(`frame header video must be { codec, key } with codec one of ${VIDEO_CODEC_NAMES.join(', ')} matching the mime type video/<codec>, got ${JSON.stringify(h.video)} with ${JSON.stringify(h.mimeType)}`);
  }
  if (h.patch || (h.parts && h.parts.length > 1) || h.lossless) throw new InvalidArgumentError('a video frame is whole, lossy and in one part (no patch, parts or lossless)');
}

/** The header's part table, checked; one part covering the image when it has none. */
function checkParts(h: FrameHeader): readonly { height: number; length?: number }[] {
  if (h.parts === undefined) return [{ height: h.height }];
  if (!Array.isArray(h.parts) || h.parts.length < 1 || h.parts.length > MAX_FRAME_PARTS) {
    throw new InvalidArgumentError(`frame header parts must be an array of 1 to ${MAX_FRAME_PARTS} { height, length } strips, got ${String(h.parts)}`);
  }
  let rows = 0;
  for (const p of h.parts) {
    const ok = typeof p === 'object' && p !== null && Number.isInteger(p.height) && p.height >= 1 && Number.isInteger(p.length) && p.length >= 0 && p.length <= 0xffffffff;
    if (!ok) throw new InvalidArgumentError(`each frame part must be { height: integer >= 1, length: integer >= 0 }, got ${JSON.stringify(p)}`);
    rows += p.height;
  }
  if (rows !== h.height) throw new InvalidArgumentError(`frame part heights must add up to the image height ${h.height}, got ${rows}`);
  return h.parts;
}

/** A binary frame message taken apart by {@link decodeFrameMessage}. */
export interface DecodedFrameMessage {
  header: FrameHeader;
  /**
   * Every image byte after the header: the encoded image when it is in one part (the usual case
   * below ~1 megapixel); otherwise the parts back to back (use `parts`).
   */
  image: Uint8Array;
  /** The image's strips, top to bottom (one for an image in one piece). */
  parts: FramePart[];
}

/** Splits a binary frame message into its header and image parts; throws {@link ProtocolError} on malformed input. */
export function decodeFrameMessage(message: ArrayBuffer | Uint8Array): DecodedFrameMessage {
  const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
  if (bytes.length < FIXED + 2) throw new ProtocolError(`frame message too short (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== MessageKind.frame) throw new ProtocolError(`unknown binary message kind ${view.getUint8(0)}`);
  const flags = view.getUint8(1);
  const length = view.getUint16(2, true);
  const mimeLength = view.getUint8(MIME_LENGTH_AT);
  const idLength = bytes[FIXED + mimeLength];
  const tableAt = FIXED + mimeLength + 1 + (idLength ?? 0);
  const partCount = bytes[tableAt];
  if (idLength === undefined || partCount === undefined || length !== tableAt + partTableBytes(partCount) || length > bytes.length) {
    throw new ProtocolError('frame header lengths are inconsistent');
  }
  if (partCount < 1 || partCount > MAX_FRAME_PARTS) throw new ProtocolError(`a frame has 1 to ${MAX_FRAME_PARTS} parts, got ${partCount}`);
  const height = view.getUint32(20, true);
  const parts: FramePart[] = [];
  const layout: FramePartLayout[] = [];
  let [y, at] = [0, length];
  for (let i = 0; i < partCount; i++) {
    const h = view.getUint32(tableAt + 1 + 4 * i, true);
    const n = i < partCount - 1 ? view.getUint32(tableAt + 1 + 4 * partCount + 4 * i, true) : bytes.length - at;
    if ((h < 1 && height > 0) || y + h > height || n < 0 || at + n > bytes.length) throw new ProtocolError('frame part table does not fit the image (heights or lengths out of range)');
    parts.push({ y, height: h, image: bytes.subarray(at, at + n) });
    layout.push({ height: h, length: n });
    y += h;
    at += n;
  }
  if (y !== height) throw new ProtocolError(`frame part heights add up to ${y}, not the image height ${height}`);
  const patch = (flags & FrameFlags.patch) !== 0
    ? { x: view.getUint32(28, true), y: view.getUint32(32, true), baseIndex: view.getUint32(36, true) }
    : undefined;
  if (patch && (patch.baseIndex === 0 || patch.baseIndex >= view.getUint32(4, true))) {
    throw new ProtocolError('a partial frame must build on an earlier frame (its base index is 0 or not below its own)');
  }
  const mimeType = readAscii(bytes, FIXED, mimeLength);
  const codec = videoCodecOf(mimeType);
  if (mimeType.startsWith('video/') && codec === undefined) throw new ProtocolError(`unknown video codec in mime type ${JSON.stringify(mimeType)}; known: ${VIDEO_CODEC_NAMES.join(', ')}`);
  if (codec !== undefined && (patch || partCount > 1)) throw new ProtocolError('a video frame must be whole and in one part');
  if (codec === undefined && (flags & FrameFlags.key) !== 0) throw new ProtocolError('only a video frame may have the key flag');
  return {
    header: {
      ...(patch ? { patch } : {}),
      index: view.getUint32(4, true),
      timestamp: view.getFloat64(8, true),
      width: view.getUint32(16, true),
      height: view.getUint32(20, true),
      pixelRatio: view.getFloat32(24, true),
      mimeType,
      canvasId: readAscii(bytes, FIXED + mimeLength + 1, idLength),
      lossless: (flags & FrameFlags.lossless) !== 0,
      alpha: (flags & FrameFlags.alpha) !== 0,
      ...(partCount > 1 ? { parts: layout } : {}),
      ...(codec !== undefined ? { video: { codec, key: (flags & FrameFlags.key) !== 0 } } : {}),
    },
    image: bytes.subarray(length),
    parts,
  };
}

// ---- JSON control messages -----------------------------------------------------------------

/** Server -> view: sent once on connect. */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  canvasId: string;
  /** This connection's id, for stats and logs. */
  viewId: string;
  title: string;
  cursor: string;
  /** CSS size the view should take, e.g. ["640px", "480px"]. */
  cssSize: [string, string];
  resizable: boolean;
}
/** Server -> probe: this route reaches a dawn-rfb server speaking `protocol` (then a normal close). */
export interface ProbeMessage { type: 'probe'; protocol: number }
/** Server -> view: the title changed. */
export interface TitleMessage { type: 'title'; title: string }
/** Server -> view: the cursor changed (a CSS cursor name). */
export interface CursorMessage { type: 'cursor'; cursor: string }
/** Server -> view: the canvas asks for this CSS size (setLogicalSize). */
export interface CssSizeMessage { type: 'css_size'; width: string; height: string }
/** Any JSON message from the server. */
export type ServerMessage = HelloMessage | TitleMessage | CursorMessage | CssSizeMessage;

/** View -> server: an input event (see the event vocabulary; validated by {@link parseEvent}). */
export interface EventMessage { type: 'event'; event: WireEvent }
/** Longest time a view may say it held a frame (an ack's `heldMs`), ms. */
export const MAX_HELD_MS = 60_000;

/**
 * View -> server: frame `index` was decoded and drawn on the view's canvas, or, with `skipped`,
 * dropped undrawn because a newer frame arrived while it waited (it settles the frame all the same).
 * `heldMs` (optional, whole ms, 0..MAX_HELD_MS): how long the frame was in the view, from its
 * arrival to this ack (waiting, decoding, drawing). The server takes it off the frame's roundtrip
 * to tell the link's delay from the client's: a busy browser on loopback is not a long link.
 */
export interface AckMessage { type: 'ack'; index: number; skipped?: true; heldMs?: number }

/** Slowest display refresh a view may report, Hz. */
export const MIN_DISPLAY_HZ = 1;
/** Fastest display refresh a view may report, Hz (the fastest monitors sold run at 500-540). */
export const MAX_DISPLAY_HZ = 1000;

/**
 * View -> server: the refresh rate of the display the view is shown on, as the view measured it
 * (the median interval of `requestAnimationFrame`), `hz` from {@link MIN_DISPLAY_HZ} to
 * {@link MAX_DISPLAY_HZ}. A view sends it when it has measured one and again when it changes; the
 * canvas then draws no more often than its fastest visible view can show.
 */
export interface DisplayMessage { type: 'display'; hz: number }

/**
 * View -> server: the video codecs this view can decode (it asked its `VideoDecoder.isConfigSupported`
 * for each of {@link VIDEO_CODECS}); sent after each hello, an empty list when none (no WebCodecs).
 * Until it sends one, a view gets stills. Protocol 4.
 */
export interface CodecsMessage { type: 'codecs'; decode: VideoCodecName[] }
/**
 * View -> server: its video decoder lost its state (a decode error): the next video frame it gets
 * must be a keyframe. Only from a view that announced a video codec. Protocol 4.
 */
export interface KeyframeMessage { type: 'keyframe' }

/** Any JSON message from a view, after validation. */
export type ClientMessage = { type: 'event'; event: WireEvent } | AckMessage | DisplayMessage | CodecsMessage | KeyframeMessage;

/**
 * A message (from a view, or a malformed frame from a server) that breaks the protocol; the
 * message says which rule.
 */
export class ProtocolError extends DawnRfbError {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(o: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ProtocolError(`field "${key}" must be an integer from ${min} to ${max}`);
  }
  return v;
}

/**
 * Validates an event from a view and returns a clean, typed copy, by the event field table
 * (`EVENT_FIELDS`, which the canvas's `checkEvent` reads too, so whatever this accepts the canvas
 * accepts): only the table's fields; coordinates and deltas clamped to ±`MAX_COORDINATE`, a
 * negative timestamp to 0, pressure to 0..1, ratio to `RATIO_RANGE`; modifiers in spec order and
 * buttons sorted, each once; `ntouches` counted from `touches`. Throws {@link ProtocolError}
 * saying which field broke which rule (the first one; the message carries no value, so the
 * server's reports of a broken view stay one per kind of problem). Physical resize sizes are
 * returned as sent (integers 0..`MAX_PHYSICAL`); the canvas clamps them to its device.
 */
export function parseEvent(raw: unknown): WireEvent {
  if (!isRecord(raw)) throw new ProtocolError('an event must be a JSON object');
  const type = raw.type;
  const known = WIRE_EVENT_TYPES.find((t) => t === type);
  if (known === undefined) {
    throw new ProtocolError(`unknown event type ${JSON.stringify(type)?.slice(0, 40)}; valid: ${WIRE_EVENT_TYPES.join(', ')}`);
  }
  const { fields, problems } = readEventFields(known, raw, true);
  const first = problems[0];
  if (first !== undefined) throw new ProtocolError(`field ${first.field} must be ${first.expected}`);
  return fields as unknown as WireEvent;
}

/**
 * Parses and validates a JSON message from a view. Throws {@link ProtocolError} saying what was
 * wrong (malformed JSON, unknown type, bad fields).
 */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError('malformed JSON');
  }
  if (!isRecord(raw)) throw new ProtocolError('a message must be a JSON object');
  switch (raw.type) {
    case 'event':
      return { type: 'event', event: parseEvent(raw.event) };
    case 'ack':
      return parseAck(raw);
    case 'display':
      return { type: 'display', hz: displayHz(raw) };
    case 'codecs':
      return { type: 'codecs', decode: codecList(raw.decode) };
    case 'keyframe':
      if (Object.keys(raw).length !== 1) throw new ProtocolError('a keyframe message has no fields but "type"');
      return { type: 'keyframe' };
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(raw.type)?.slice(0, 40)}; valid: event, ack, display, codecs, keyframe`);
  }
}

function parseAck(raw: Record<string, unknown>): AckMessage {
  const ack: AckMessage = { type: 'ack', index: int(raw, 'index', 1, 2 ** 32 - 1) };
  if (raw.skipped !== undefined) {
    if (raw.skipped !== true) throw new ProtocolError('field "skipped" of an ack must be true when present');
    ack.skipped = true;
  }
  if (raw.heldMs !== undefined) ack.heldMs = int(raw, 'heldMs', 0, MAX_HELD_MS);
  return ack;
}

/** A codecs message's list: known video codec names, each once. */
function codecList(v: unknown): VideoCodecName[] {
  if (!Array.isArray(v) || v.length > VIDEO_CODEC_NAMES.length) {
    throw new ProtocolError(`field "decode" of a codecs message must be a list of at most ${VIDEO_CODEC_NAMES.length} video codec names (${VIDEO_CODEC_NAMES.join(', ')})`);
  }
  const out: VideoCodecName[] = [];
  for (const name of v) {
    if (!(VIDEO_CODEC_NAMES as unknown[]).includes(name)) throw new ProtocolError(`unknown video codec in field "decode"; known: ${VIDEO_CODEC_NAMES.join(', ')}`);
    if (out.includes(name as VideoCodecName)) throw new ProtocolError('field "decode" names a codec twice');
    out.push(name as VideoCodecName);
  }
  return out;
}

/** A display rate: a finite number of Hz in range (not clamped: a rate outside is a broken view). */
function displayHz(raw: Record<string, unknown>): number {
  const v = raw.hz;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < MIN_DISPLAY_HZ || v > MAX_DISPLAY_HZ) {
    throw new ProtocolError(`field "hz" of a display message must be a number of Hz from ${MIN_DISPLAY_HZ} to ${MAX_DISPLAY_HZ}`);
  }
  return v;
}

/** The websocket path of a canvas: `/ws/<canvasId>`; the token and version go in the query. */
export function socketPath(canvasId: string, token: string): string {
  if (typeof canvasId !== 'string' || canvasId === '' || typeof token !== 'string' || token === '') {
    throw new InvalidArgumentError('socketPath takes a canvas id and its token (non-empty strings)');
  }
  return `/ws/${encodeURIComponent(canvasId)}?token=${encodeURIComponent(token)}&protocol=${PROTOCOL_VERSION}`;
}
