// Reading H.264 out of an FLV byte stream: the framing the ffmpeg encoder's output comes in
// (ffmpeg-encoder.ts). FLV is chosen for its framing alone: every packet is a tag whose header
// gives its length, so a frame is known to be complete the moment its last byte arrives, with no
// wait for the next frame's start code (raw Annex B has no other end marker). FLV carries H.264
// as AVCC (length-prefixed NAL units) with the parameter sets once, in a sequence header; the
// widget's decoder takes Annex B with the parameter sets in each keyframe, so both are converted
// here. Layout from the FLV specification v10.1 (E.4.1 FLV tag, E.4.3.1 VIDEODATA) and ISO
// 14496-15 (5.2.4.1 AVCDecoderConfigurationRecord).
import { DawnRfbError } from '../../errors.js';

/** The bytes are not the FLV (or H.264 in FLV) this reader expects. */
export class FlvFormatError extends DawnRfbError {}

/** One H.264 packet out of an FLV stream. */
export interface FlvVideoPacket {
  /** 0: AVC sequence header (an AVCDecoderConfigurationRecord); 1: NAL units; 2: end of sequence. */
  packetType: number;
  /** FLV frame type 1: a keyframe. */
  key: boolean;
  /** The payload after VIDEODATA's five header bytes. */
  payload: Uint8Array;
}

const FILE_HEADER_BYTES = 9 + 4; // 'FLV', version, flags, header size; then PreviousTagSize0
const TAG_HEADER_BYTES = 11;
const TAG_TRAILER_BYTES = 4; // PreviousTagSize
const TAG_VIDEO = 9;
const CODEC_AVC = 7;
/** Largest tag accepted (FLV's own limit is 2^24 - 1 bytes; a 4K keyframe is well under it). */
const MAX_TAG_BYTES = 0xffffff;

/**
 * Splits an FLV byte stream, fed in pieces of any size, into its H.264 video packets (script
 * and audio tags are skipped). Pure bookkeeping: bytes in, packets out, no I/O.
 */
export class FlvReader {
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #headerRead = false;

  /** Adds `bytes`; returns the video packets completed by them, in order. Throws {@link FlvFormatError} on bytes that are not FLV. */
  push(bytes: Uint8Array): FlvVideoPacket[] {
    if (bytes.length > 0) {
      this.#pending.push(bytes);
      this.#pendingBytes += bytes.length;
    }
    const out: FlvVideoPacket[] = [];
    for (;;) {
      if (!this.#headerRead) {
        if (this.#pendingBytes < FILE_HEADER_BYTES) return out;
        const head = this.#take(FILE_HEADER_BYTES);
        if (head[0] !== 0x46 || head[1] !== 0x4c || head[2] !== 0x56) throw new FlvFormatError(`not an FLV stream: it starts with bytes ${[...head.subarray(0, 3)].join(' ')}, not 'FLV'`);
        this.#headerRead = true;
        continue;
      }
      if (this.#pendingBytes < TAG_HEADER_BYTES) return out;
      const header = this.#peek(TAG_HEADER_BYTES);
      const size = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
      if (size > MAX_TAG_BYTES) throw new FlvFormatError(`FLV tag of ${size} bytes`);
      if (this.#pendingBytes < TAG_HEADER_BYTES + size + TAG_TRAILER_BYTES) return out;
      const tag = this.#take(TAG_HEADER_BYTES + size + TAG_TRAILER_BYTES);
      if (header[0] !== TAG_VIDEO) continue;
      const data = tag.subarray(TAG_HEADER_BYTES, TAG_HEADER_BYTES + size);
      if (data.length < 5) throw new FlvFormatError(`FLV video tag of ${data.length} bytes: shorter than its 5-byte header`);
      if ((data[0]! & 0x0f) !== CODEC_AVC) throw new FlvFormatError(`FLV video tag with codec id ${data[0]! & 0x0f}, not AVC (7)`);
      out.push({ packetType: data[1]!, key: data[0]! >> 4 === 1, payload: data.subarray(5) });
    }
  }

  #peek(n: number): Uint8Array {
    if (this.#pending[0]!.length >= n) return this.#pending[0]!.subarray(0, n);
    const joined = concat(this.#pending, this.#pendingBytes);
    this.#pending = [joined];
    return joined.subarray(0, n);
  }

  #take(n: number): Uint8Array {
    const bytes = this.#peek(n);
    const first = this.#pending[0]!;
    if (first.length === n) this.#pending.shift();
    else this.#pending[0] = first.subarray(n);
    this.#pendingBytes -= n;
    return bytes;
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What a decoder needs from an AVCDecoderConfigurationRecord. */
export interface AvcConfig {
  /** Bytes of each NAL unit's length prefix in the packets (1, 2 or 4). */
  lengthSize: number;
  /** The sequence and picture parameter sets, as NAL units (no prefix). */
  parameterSets: Uint8Array[];
}

/** Reads an AVCDecoderConfigurationRecord (an FLV sequence header's payload). */
export function parseAvcConfig(record: Uint8Array): AvcConfig {
  const short = (): never => { throw new FlvFormatError(`AVC configuration record of ${record.length} bytes ends early`); };
  if (record.length < 7) short();
  if (record[0] !== 1) throw new FlvFormatError(`AVC configuration record version ${record[0]}, not 1`);
  const lengthSize = (record[4]! & 3) + 1;
  if (lengthSize === 3) throw new FlvFormatError('AVC configuration record with 3-byte NAL lengths (allowed: 1, 2, 4)');
  const parameterSets: Uint8Array[] = [];
  let at = 5;
  for (const countMask of [0x1f, 0xff]) { // SPS count (5 bits), then PPS count (8 bits)
    if (at >= record.length) short();
    const count = record[at]! & countMask;
    at++;
    for (let i = 0; i < count; i++) {
      if (at + 2 > record.length) short();
      const len = (record[at]! << 8) | record[at + 1]!;
      at += 2;
      if (at + len > record.length) short();
      parameterSets.push(record.subarray(at, at + len));
      at += len;
    }
  }
  return { lengthSize, parameterSets };
}

const START_CODE = [0, 0, 0, 1] as const;

/**
 * Rewrites length-prefixed NAL units (`lengthSize`-byte big-endian lengths) as Annex B (each
 * behind a 4-byte start code), with `prefix` NAL units (the parameter sets, for a keyframe)
 * first.
 */
export function avccToAnnexB(payload: Uint8Array, lengthSize: number, prefix: readonly Uint8Array[] = []): Uint8Array {
  const units: Uint8Array[] = [...prefix];
  let at = 0;
  while (at < payload.length) {
    if (at + lengthSize > payload.length) throw new FlvFormatError(`NAL unit length cut off at byte ${at} of ${payload.length}`);
    let len = 0;
    for (let i = 0; i < lengthSize; i++) len = len * 256 + payload[at + i]!;
    at += lengthSize;
    if (at + len > payload.length) throw new FlvFormatError(`NAL unit of ${len} bytes at byte ${at} runs past the packet's ${payload.length}`);
    units.push(payload.subarray(at, at + len));
    at += len;
  }
  const out = new Uint8Array(units.reduce((n, u) => n + START_CODE.length + u.length, 0));
  let o = 0;
  for (const u of units) {
    out.set(START_CODE, o);
    out.set(u, o + START_CODE.length);
    o += START_CODE.length + u.length;
  }
  return out;
}
