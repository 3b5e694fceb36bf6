// Readers of the video files that recordings write, enough for the tests to check what the file
// itself says: an MP4's boxes (sample count and sizes, the track's size, keyframes, duration) and a
// WebM's EBML elements (SimpleBlocks and their keyframe flags and times, the track's size and
// codec, the segment's duration). Independent of the muxer that wrote them (FFmpeg's, through
// @napi-rs/webcodecs), so a file that a muxer got wrong fails here.
import { expect } from 'vitest';

// ---- MP4 ---------------------------------------------------------------------------------------

interface Box { type: string; start: number; end: number; body: number }
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

/** Every box of the file, containers opened (stsd's entries too), in file order. */
function boxes(data: Uint8Array, start = 0, end = data.length, out: Box[] = []): Box[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = start;
  while (at + 8 <= end) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(...data.subarray(at + 4, at + 8));
    let body = at + 8;
    if (size === 1) { size = Number(view.getBigUint64(at + 8)); body += 8; }
    if (size === 0) size = end - at;
    expect(size, `box ${type} at ${at}`).toBeGreaterThanOrEqual(8);
    out.push({ type, start: at, end: at + size, body });
    if (CONTAINERS.has(type)) boxes(data, body, at + size, out);
    if (type === 'stsd') boxes(data, body + 8, at + size, out); // version/flags, entry count
    at += size;
  }
  expect(at, 'boxes end where their parent does').toBe(end);
  return out;
}

/** What an MP4 of one H.264 track says about itself. */
export interface Mp4Facts {
  brand: string;
  /** Top-level box types in file order (moov before mdat: fast start). */
  topLevel: string[];
  samples: number; sampleSizes: number[]; avc1: [number, number]; tkhd: [number, number];
  keyframes: number; timescale: number; mdhdDuration: number;
}

/** The types of the file's top-level boxes, in order. */
function topLevel(data: Uint8Array): string[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const types: string[] = [];
  for (let at = 0; at + 8 <= data.length;) {
    const size = view.getUint32(at);
    types.push(String.fromCharCode(...data.subarray(at + 4, at + 8)));
    at += size === 1 ? Number(view.getBigUint64(at + 8)) : size === 0 ? data.length - at : size;
  }
  return types;
}

/** Reads an MP4 of one H.264 track; fails the test where a box is missing or malformed. */
export function readMp4(data: Uint8Array): Mp4Facts {
  const all = boxes(data);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const one = (type: string): Box => {
    const found = all.filter((b) => b.type === type);
    expect(found, `one ${type} box`).toHaveLength(1);
    return found[0]!;
  };
  const ftyp = one('ftyp');
  const stsz = one('stsz');
  const fixedSize = view.getUint32(stsz.body + 4);
  const samples = view.getUint32(stsz.body + 8);
  const sampleSizes = fixedSize !== 0 ? new Array<number>(samples).fill(fixedSize)
    : Array.from({ length: samples }, (_, i) => view.getUint32(stsz.body + 12 + 4 * i));
  const avc1 = one('avc1'); // reserved 6, data reference 2, pre-defined and reserved 16, then width, height
  const tkhd = one('tkhd'); // ends with width and height, 16.16 fixed point
  const stss = all.find((b) => b.type === 'stss');
  const mdhd = one('mdhd');
  const version = data[mdhd.body]!;
  const timescale = view.getUint32(mdhd.body + (version === 1 ? 20 : 12));
  const mdhdDuration = version === 1 ? Number(view.getBigUint64(mdhd.body + 24)) : view.getUint32(mdhd.body + 16);
  return {
    brand: String.fromCharCode(...data.subarray(ftyp.body, ftyp.body + 4)),
    topLevel: topLevel(data),
    samples, sampleSizes,
    avc1: [view.getUint16(avc1.body + 24), view.getUint16(avc1.body + 26)],
    tkhd: [view.getUint32(tkhd.end - 8) / 65536, view.getUint32(tkhd.end - 4) / 65536],
    keyframes: stss ? view.getUint32(stss.body + 4) : samples,
    timescale, mdhdDuration,
  };
}

// ---- WebM (EBML) -------------------------------------------------------------------------------

const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const VIDEO = 0xe0;
const CLUSTER = 0x1f43b675;
const BLOCK_GROUP = 0xa0;
const MASTERS = new Set([EBML, SEGMENT, INFO, TRACKS, TRACK_ENTRY, VIDEO, CLUSTER, BLOCK_GROUP]);

interface Element { id: number; start: number; body: number; end: number; parent: number | undefined }

/** A variable-length integer at `at`: its value and length; `keepMarker` for element IDs. */
function vint(data: Uint8Array, at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } {
  const first = data[at]!;
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  expect(length, `EBML variable-length integer at ${at}`).toBeLessThanOrEqual(keepMarker ? 4 : 8);
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    value = value * 256 + data[at + i]!;
    allOnes &&= data[at + i] === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

/** Every EBML element of the file, masters opened, in file order. */
function elements(data: Uint8Array, start = 0, end = data.length, parent?: number, out: Element[] = []): Element[] {
  let at = start;
  while (at < end) {
    const id = vint(data, at, true);
    const size = vint(data, at + id.length, false);
    const body = at + id.length + size.length;
    // An unknown size (live muxing) runs to the parent's end.
    const elementEnd = size.unknown ? end : body + size.value;
    expect(elementEnd, `element 0x${id.value.toString(16)} at ${at} ends inside its parent`).toBeLessThanOrEqual(end);
    out.push({ id: id.value, start: at, body, end: elementEnd, parent });
    if (MASTERS.has(id.value)) elements(data, body, elementEnd, id.value, out);
    at = elementEnd;
  }
  expect(at, 'elements end where their parent does').toBe(end);
  return out;
}

/**
 * Checks what every MP4 a recording writes must be: an ISO base media file (FFmpeg's muxer writes
 * brand iso4) with its index before the data (it plays before it is all read), `samples` H.264
 * samples of `size`, at least one keyframe, lasting `seconds`.
 */
export function expectMp4(mp4: Mp4Facts, samples: number, size: [number, number], seconds: number): void {
  expect(mp4.brand).toMatch(/^iso[m2-6]$/);
  expect(mp4.topLevel.indexOf('moov')).toBeLessThan(mp4.topLevel.indexOf('mdat'));
  expect(mp4.samples).toBe(samples);
  expect(mp4.sampleSizes.every((s) => s > 0)).toBe(true);
  expect(mp4.avc1).toEqual(size);
  expect(mp4.tkhd).toEqual(size);
  expect(mp4.keyframes).toBeGreaterThanOrEqual(1);
  expect(mp4.mdhdDuration / mp4.timescale).toBeCloseTo(seconds, 2);
}

/** What a WebM of one video track says about itself. */
export interface WebmFacts {
  docType: string;
  codecId: string;
  width: number;
  height: number;
  /** One per SimpleBlock (or Block), in file order: its time in ms and whether it is a keyframe. */
  blocks: { ms: number; key: boolean; bytes: number }[];
  /** The segment's duration in ms (Info's Duration x TimecodeScale / 1e6). */
  durationMs: number;
}

/** Reads a WebM of one video track; fails the test where an element is missing or malformed. */
export function readWebm(data: Uint8Array): WebmFacts {
  const all = elements(data);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const uint = (e: Element): number => { let v = 0; for (let i = e.body; i < e.end; i++) v = v * 256 + data[i]!; return v; };
  const str = (e: Element): string => String.fromCharCode(...data.subarray(e.body, e.end)).replace(/\0+$/, '');
  const one = (id: number, name: string): Element => {
    const found = all.filter((e) => e.id === id);
    expect(found, `one ${name} element`).toHaveLength(1);
    return found[0]!;
  };
  const durationEl = one(0x4489, 'Duration');
  const duration = durationEl.end - durationEl.body === 8 ? view.getFloat64(durationEl.body) : view.getFloat32(durationEl.body);
  const scaleEl = all.find((e) => e.id === 0x2ad7b1);
  const scale = scaleEl ? uint(scaleEl) : 1_000_000;
  expect(all.filter((e) => e.id === TRACK_ENTRY), 'one track').toHaveLength(1);
  const blocks: WebmFacts['blocks'] = [];
  let clusterMs = 0;
  for (const e of all) {
    if (e.id === 0xe7 && e.parent === CLUSTER) clusterMs = uint(e) * scale / 1e6;
    if (e.id === 0xa3 || e.id === 0xa1) {
      const track = vint(data, e.body, false);
      const relative = view.getInt16(e.body + track.length);
      const flags = data[e.body + track.length + 2]!;
      // A SimpleBlock says keyframe in its flags; a Block (in a BlockGroup) is one when its group
      // has no ReferenceBlock (0xFB).
      const group = e.id === 0xa1 ? all.find((g) => g.id === BLOCK_GROUP && g.start < e.start && e.end <= g.end) : undefined;
      const key = e.id === 0xa3 ? (flags & 0x80) !== 0 : !all.some((r) => r.id === 0xfb && group && r.start > group.start && r.end <= group.end);
      blocks.push({ ms: clusterMs + relative * scale / 1e6, key, bytes: e.end - e.body });
    }
  }
  return {
    docType: str(one(0x4282, 'DocType')), codecId: str(one(0x86, 'CodecID')),
    width: uint(one(0xb0, 'PixelWidth')), height: uint(one(0xba, 'PixelHeight')),
    blocks, durationMs: duration * scale / 1e6,
  };
}
