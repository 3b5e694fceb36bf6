// The MP4 writer's pure parts (frames/mp4.ts): splitting Annex B chunks into NAL units (three- and
// four-byte start codes), the avcC record's layout, and the checks on what goes into a track. The
// real encoder's chunks in a real file are test/recording.test.ts's.
import { describe, expect, it } from 'vitest';
import { annexBUnits, avcDecoderConfig, Mp4Writer } from '../src/remote/frames/mp4.js';
import { VideoEncoderError } from '../src/remote/frames/video-encoder.js';

const SPS = Uint8Array.of(0x67, 0x42, 0x00, 0x1f, 0xab, 0xcd);
const PPS = Uint8Array.of(0x68, 0xce, 0x38, 0x80);
const IDR = Uint8Array.of(0x65, 0x88, 0x84, 0x00, 0x21);

describe('annexBUnits', () => {
  it('splits on three- and four-byte start codes, keeping zeros inside a unit', () => {
    const data = Uint8Array.of(0, 0, 0, 1, ...SPS, 0, 0, 1, ...PPS, 0, 0, 0, 1, ...IDR);
    expect(annexBUnits(data)).toEqual([SPS, PPS, IDR]);
  });
  it('gives nothing for data without a start code', () => {
    expect(annexBUnits(Uint8Array.of(1, 2, 3, 4))).toEqual([]);
    expect(annexBUnits(new Uint8Array(0))).toEqual([]);
  });
});

describe('avcDecoderConfig', () => {
  it('is version 1, the SPS profile / compatibility / level, 4-byte lengths, one SPS and one PPS', () => {
    expect([...avcDecoderConfig(SPS, PPS)]).toEqual([1, 0x42, 0x00, 0x1f, 0xff, 0xe1, 0, 6, ...SPS, 1, 0, 4, ...PPS]);
  });
});

describe('Mp4Writer', () => {
  const chunk = (data: Uint8Array, key: boolean, width = 32, height = 16) => ({ data, key, width, height, encodeMs: 0 });
  it('refuses a first chunk that is not a keyframe with its parameter sets, and a chunk of another size', () => {
    const w = new Mp4Writer(32, 16, 10);
    expect(() => w.add(chunk(Uint8Array.of(0, 0, 1, ...IDR), false))).toThrow(VideoEncoderError);
    expect(() => w.add(chunk(Uint8Array.of(0, 0, 1, ...IDR), true))).toThrow('the first chunk of a recording must be a keyframe with its parameter sets (SPS and PPS)');
    expect(() => w.add(chunk(Uint8Array.of(0, 0, 1, ...SPS, 0, 0, 1, ...PPS, 0, 0, 1, ...IDR), true, 34, 16))).toThrow('a 34x16 chunk cannot go into a 32x16 track');
    expect(w.frames).toBe(0);
  });
  it('writes length-prefixed samples without the parameter sets (they live in avcC)', () => {
    const w = new Mp4Writer(32, 16, 10);
    w.add(chunk(Uint8Array.of(0, 0, 0, 1, ...SPS, 0, 0, 0, 1, ...PPS, 0, 0, 0, 1, ...IDR), true));
    w.add(chunk(Uint8Array.of(0, 0, 0, 1, 0x41, 0x9a, 0x02), false));
    expect(w.frames).toBe(2);
    const file = Buffer.from(w.finish());
    // The IDR sample as MP4 stores it: a 4-byte length, then the unit.
    expect(file.includes(Buffer.from([0, 0, 0, IDR.length, ...IDR]))).toBe(true);
    expect(file.includes(Buffer.from([0, 0, 0, 3, 0x41, 0x9a, 0x02]))).toBe(true);
    expect(file.includes(Buffer.from('avcC'))).toBe(true);
    expect(file.includes(Buffer.from(avcDecoderConfig(SPS, PPS)))).toBe(true);
    // The SPS appears once: in avcC, not in a sample.
    expect(file.indexOf(Buffer.from(SPS))).toBe(file.lastIndexOf(Buffer.from(SPS)));
  });
});
