// The FLV reader of the ffmpeg video backend (src/remote/frames/flv.ts), on hand-built streams:
// tags split at every byte, tags it skips, and bytes that are not what it expects.
import { describe, expect, it } from 'vitest';
import { avccToAnnexB, FlvFormatError, FlvReader, parseAvcConfig } from '../src/remote/frames/flv.js';

const FILE_HEADER = [0x46, 0x4c, 0x56, 1, 1, 0, 0, 0, 9, 0, 0, 0, 0];

function tag(type: number, data: number[]): number[] {
  const size = data.length;
  return [type, size >> 16, (size >> 8) & 255, size & 255, 0, 0, 0, 0, 0, 0, 0, ...data, 0, 0, (size + 11) >> 8, (size + 11) & 255];
}
/** A VIDEODATA tag: frame type (1 key, 2 inter), AVC, packet type, composition time 0. */
const video = (frameType: number, packetType: number, payload: number[]) => tag(9, [(frameType << 4) | 7, packetType, 0, 0, 0, ...payload]);

const SPS = [0x67, 0x64, 0x00, 0x1f, 0xac];
const PPS = [0x68, 0xee, 0x3c, 0xb0];
const RECORD = [1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0, SPS.length, ...SPS, 1, 0, PPS.length, ...PPS];
const IDR = [0x65, 0x88, 0x84, 0x00];
const SLICE = [0x41, 0x9a, 0x02];
const len4 = (nal: number[]) => [0, 0, 0, nal.length, ...nal];

const stream = [
  ...FILE_HEADER,
  ...tag(18, [2, 0, 10, ...Array(10).fill(0x61)]), // script data (onMetaData): skipped
  ...video(1, 0, RECORD),
  ...video(1, 1, len4(IDR)),
  ...tag(8, [0xaf, 1, 1, 2]), // audio: skipped
  ...video(2, 1, [...len4(SLICE), ...len4(SLICE)]),
];

describe('FlvReader', () => {
  it('gives the video packets of a stream fed whole, and the same fed one byte at a time', () => {
    const whole = new FlvReader().push(Uint8Array.from(stream));
    expect(whole.map((p) => [p.packetType, p.key, [...p.payload]])).toEqual([
      [0, true, RECORD],
      [1, true, len4(IDR)],
      [1, false, [...len4(SLICE), ...len4(SLICE)]],
    ]);
    const reader = new FlvReader();
    const byByte = stream.flatMap((b) => reader.push(Uint8Array.of(b)));
    expect(byByte.map((p) => [p.packetType, p.key, [...p.payload]])).toEqual(whole.map((p) => [p.packetType, p.key, [...p.payload]]));
  });

  it('a packet comes out only once its last byte arrived', () => {
    const reader = new FlvReader();
    const bytes = Uint8Array.from([...FILE_HEADER, ...video(1, 1, len4(IDR))]);
    expect(reader.push(bytes.subarray(0, bytes.length - 1))).toEqual([]);
    expect(reader.push(bytes.subarray(bytes.length - 1))).toHaveLength(1);
    expect(reader.push(new Uint8Array(0))).toEqual([]);
  });

  it('refuses what is not FLV, a video tag shorter than its header, and a codec other than AVC', () => {
    expect(() => new FlvReader().push(Uint8Array.from([0x47, 0x40, 0, 0x10, ...Array(20).fill(0)]))).toThrow(new FlvFormatError("not an FLV stream: it starts with bytes 71 64 0, not 'FLV'"));
    expect(() => new FlvReader().push(Uint8Array.from([...FILE_HEADER, ...tag(9, [0x17, 1])]))).toThrow('FLV video tag of 2 bytes: shorter than its 5-byte header');
    expect(() => new FlvReader().push(Uint8Array.from([...FILE_HEADER, ...tag(9, [0x12, 1, 0, 0, 0, 1])]))).toThrow('FLV video tag with codec id 2, not AVC (7)');
  });
});

describe('parseAvcConfig and avccToAnnexB', () => {
  it('read the parameter sets and rewrite a keyframe as Annex B with them first', () => {
    const config = parseAvcConfig(Uint8Array.from(RECORD));
    expect(config.lengthSize).toBe(4);
    expect(config.parameterSets.map((s) => [...s])).toEqual([SPS, PPS]);
    const key = avccToAnnexB(Uint8Array.from(len4(IDR)), config.lengthSize, config.parameterSets);
    expect([...key]).toEqual([0, 0, 0, 1, ...SPS, 0, 0, 0, 1, ...PPS, 0, 0, 0, 1, ...IDR]);
    const delta = avccToAnnexB(Uint8Array.from([...len4(SLICE), ...len4(SLICE)]), 4);
    expect([...delta]).toEqual([0, 0, 0, 1, ...SLICE, 0, 0, 0, 1, ...SLICE]);
    // 2-byte lengths, as a record with lengthSizeMinusOne = 1 declares
    expect([...avccToAnnexB(Uint8Array.from([0, SLICE.length, ...SLICE]), 2)]).toEqual([0, 0, 0, 1, ...SLICE]);
  });

  it('refuse records and packets that end early or declare what H.264 does not allow', () => {
    expect(() => parseAvcConfig(Uint8Array.from(RECORD.slice(0, 10)))).toThrow(`AVC configuration record of 10 bytes ends early`);
    expect(() => parseAvcConfig(Uint8Array.from([2, ...RECORD.slice(1)]))).toThrow('AVC configuration record version 2, not 1');
    expect(() => parseAvcConfig(Uint8Array.from([1, 0x64, 0, 0x1f, 0xfe, 0xe0, 0]))).toThrow('3-byte NAL lengths');
    expect(() => avccToAnnexB(Uint8Array.from([0, 0, 0, 9, 1, 2]), 4)).toThrow('NAL unit of 9 bytes at byte 4 runs past the packet\'s 6');
    expect(() => avccToAnnexB(Uint8Array.from([0, 0]), 4)).toThrow('NAL unit length cut off at byte 0 of 2');
  });
});
