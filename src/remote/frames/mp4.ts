// Putting H.264 chunks into an MP4 file, for recordings (recording.ts). The video encoder
// (video-encoder.ts) writes Annex B (start codes, parameter sets in each keyframe), which is what
// the widget's decoder wants; an MP4 track wants length-prefixed NAL units and the parameter sets
// once, in the sample description (avcC). This module converts the one into the other and hands
// the samples to npm `mp4-muxer` (the container writing itself: boxes, sample tables). Only
// encoded chunks are kept, never raw frames, so a recording's memory is what its file weighs.
import { ArrayBufferTarget, Muxer } from 'mp4-muxer';
import { VideoEncoderError, type EncodedVideo } from './video-encoder.js';

/** NAL unit types of H.264 that matter here. */
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;

/** The NAL units of an Annex B chunk (start codes `00 00 01` / `00 00 00 01` removed). */
export function annexBUnits(data: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < data.length) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) units.push(trimZeros(data.subarray(start, i)));
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < data.length) units.push(data.subarray(start));
  return units.filter((u) => u.length > 0);
}

// A four-byte start code leaves a zero at the end of the unit before it.
function trimZeros(unit: Uint8Array): Uint8Array {
  let end = unit.length;
  while (end > 0 && unit[end - 1] === 0) end--;
  return unit.subarray(0, end);
}

/** An AVCDecoderConfigurationRecord (the avcC box's content) for one SPS and one PPS. */
export function avcDecoderConfig(sps: Uint8Array, pps: Uint8Array): Uint8Array {
  const out = new Uint8Array(11 + sps.length + pps.length);
  // version 1, profile, compatibility, level; 4-byte lengths (0xFF); one SPS (0xE1).
  out.set([1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1, sps.length >> 8, sps.length & 0xff]);
  out.set(sps, 8);
  out.set([1, pps.length >> 8, pps.length & 0xff], 8 + sps.length);
  out.set(pps, 11 + sps.length);
  return out;
}

/** Writes one H.264 video track of constant size and frame rate into an MP4 file in memory. */
export class Mp4Writer {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly #muxer: Muxer<ArrayBufferTarget>;
  #frames = 0;
  #configured = false;

  constructor(width: number, height: number, fps: number) {
    this.width = width;
    this.height = height;
    this.fps = fps;
    // 'in-memory': the index (moov) goes first, so a player starts before the whole file is read.
    this.#muxer = new Muxer({ target: new ArrayBufferTarget(), video: { codec: 'avc', width, height, frameRate: fps }, fastStart: 'in-memory' });
  }

  /** Samples written so far. */
  get frames(): number {
    return this.#frames;
  }

  /**
   * Adds the next frame's chunk (frame `frames`, shown for 1/fps s). The first must be a keyframe
   * with its parameter sets.
   * @throws {VideoEncoderError} for a first chunk without SPS / PPS, or a chunk of another size.
   */
  add(chunk: EncodedVideo): void {
    if (chunk.width !== this.width || chunk.height !== this.height) {
      throw new VideoEncoderError(`a ${chunk.width}x${chunk.height} chunk cannot go into a ${this.width}x${this.height} track`);
    }
    const units = annexBUnits(chunk.data);
    const sps = units.find((u) => (u[0]! & 0x1f) === NAL_SPS);
    const pps = units.find((u) => (u[0]! & 0x1f) === NAL_PPS);
    let meta: { decoderConfig: { codec: string; codedWidth: number; codedHeight: number; description: Uint8Array } } | undefined;
    if (!this.#configured) {
      if (!chunk.key || !sps || !pps) throw new VideoEncoderError('the first chunk of a recording must be a keyframe with its parameter sets (SPS and PPS)');
      const codec = `avc1.${[...sps.subarray(1, 4)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
      meta = { decoderConfig: { codec, codedWidth: this.width, codedHeight: this.height, description: avcDecoderConfig(sps, pps) } };
      this.#configured = true;
    }
    // Parameter sets live in avcC; access unit delimiters mean nothing in MP4.
    const kept = units.filter((u) => ![NAL_SPS, NAL_PPS, NAL_AUD].includes(u[0]! & 0x1f));
    const sample = new Uint8Array(kept.reduce((n, u) => n + 4 + u.length, 0));
    const view = new DataView(sample.buffer);
    let at = 0;
    for (const u of kept) {
      view.setUint32(at, u.length);
      sample.set(u, at + 4);
      at += 4 + u.length;
    }
    const duration = 1e6 / this.fps;
    // Timestamps in microseconds, from the frame count: the file plays at `fps` whenever the frames came.
    this.#muxer.addVideoChunkRaw(sample, chunk.key ? 'key' : 'delta', this.#frames * duration, duration, meta as never);
    this.#frames++;
  }

  /** Finishes the file and returns it (nothing may be added after). */
  finish(): Uint8Array {
    this.#muxer.finalize();
    return new Uint8Array(this.#muxer.target.buffer);
  }
}
