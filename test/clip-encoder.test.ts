// The recordings' file writers: the clip encoder (frames/clip-encoder.ts) with the real encoders and muxers of @napi-rs/webcodecs,
// no GPU: synthetic RGBA frames in, a file out, read back two independent ways: by the tests' own
// container readers (helpers/clip-files.ts: an MP4's boxes, a WebM's EBML blocks: count, size,
// keyframes, times, duration) and by the package's demuxer + decoder (every frame decodes, at its
// size). Animated WebP (frames/webp-clip.ts, sharp): its delays, its caps, its pages read back.
// Playing in Chromium is test/recording.test.ts's.
import { afterEach, describe, expect, it } from 'vitest';
import * as webcodecs from '@napi-rs/webcodecs';
import { CLIP_FORMATS, ClipEncoder, loadClipCodecs, type VideoClipFormat } from '../src/remote/frames/clip-encoder.js';
import { VIDEO_MODULE_ENV, VideoEncoderError } from '../src/remote/frames/video-encoder.js';
import { InvalidArgumentError } from '../src/errors.js';
import { WebpClipWriter, webpDelays, webpFrameCap } from '../src/remote/frames/webp-clip.js';
import sharp from 'sharp';
import { expectMp4, readMp4, readWebm } from './helpers/clip-files.js';

afterEach(() => {
  delete process.env[VIDEO_MODULE_ENV];
});

/** A w x h RGBA frame of one colour, different for each k. */
function frame(k: number, width = 96, height = 64): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([(k * 23) % 256, 255 - ((k * 23) % 256), 128, 255], p * 4);
  return { width, height, data };
}

async function encode(format: VideoClipFormat, frames: number, fps = 10, size: [number, number] = [96, 64]): Promise<Uint8Array> {
  const clip = new ClipEncoder(await loadClipCodecs(), format, size[0], size[1], fps, 1_000_000);
  for (let i = 0; i < frames; i++) {
    const f = frame(i, ...size);
    const added = clip.add(f, i === 0);
    f.data.fill(0); // the pixels were copied before add() returned
    await added;
  }
  expect(clip.frames).toBe(frames);
  return clip.finish();
}

/** Demuxes and decodes `data` with the package itself: the decoded frames' sizes and timestamps. */
async function decodeBack(data: Uint8Array, format: VideoClipFormat): Promise<{ codec: string; frames: { width: number; height: number; timestamp: number }[] }> {
  const decoded: { width: number; height: number; timestamp: number }[] = [];
  const errors: Error[] = [];
  const decoder = new webcodecs.VideoDecoder({
    output: (f) => { decoded.push({ width: f.codedWidth, height: f.codedHeight, timestamp: f.timestamp }); f.close(); },
    error: (e) => errors.push(e),
  });
  const chunks: webcodecs.EncodedVideoChunk[] = [];
  const Demuxer = format === 'mp4' ? webcodecs.Mp4Demuxer : webcodecs.WebMDemuxer;
  const demuxer = new Demuxer({ videoOutput: (c) => chunks.push(c), error: (e) => errors.push(e) });
  await demuxer.loadBuffer(data);
  const config = demuxer.videoDecoderConfig!;
  await demuxer.demuxAsync();
  demuxer.close();
  decoder.configure(config as webcodecs.VideoDecoderConfig);
  for (const c of chunks) decoder.decode(c);
  await decoder.flush();
  decoder.close();
  expect(errors).toEqual([]);
  return { codec: config.codec, frames: decoded };
}

describe('ClipEncoder: MP4 (H.264)', () => {
  it('10 frames at 10 fps: 10 samples of 96x64, moov first, 1 s; all 10 decode back', async () => {
    const data = await encode('mp4', 10);
    const mp4 = readMp4(data);
    expectMp4(mp4, 10, [96, 64], 1);
    const back = await decodeBack(data, 'mp4');
    expect(back.codec).toMatch(/^avc1\./);
    expect(back.frames).toHaveLength(10);
    expect(back.frames.every((f) => f.width === 96 && f.height === 64)).toBe(true);
    expect(back.frames.map((f) => f.timestamp)).toEqual(Array.from({ length: 10 }, (_, i) => i * 100_000));
  });

  it('at 30 fps the duration is frames / 30', async () => {
    const mp4 = readMp4(await encode('mp4', 45, 30, [32, 16]));
    expect(mp4.samples).toBe(45);
    expect(mp4.mdhdDuration / mp4.timescale).toBeCloseTo(1.5, 2);
  });
});

describe('ClipEncoder: WebM (VP9)', () => {
  it('10 frames at 10 fps: 10 blocks 100 ms apart, a keyframe first, 96x64, 1 s; all 10 decode back', async () => {
    const data = await encode('webm', 10);
    const webm = readWebm(data);
    expect(webm.docType).toBe('webm');
    expect(webm.codecId).toBe('V_VP9');
    expect([webm.width, webm.height]).toEqual([96, 64]);
    expect(webm.blocks).toHaveLength(10);
    expect(webm.blocks.map((b) => b.ms)).toEqual(Array.from({ length: 10 }, (_, i) => i * 100));
    expect(webm.blocks[0]!.key).toBe(true);
    expect(webm.blocks.every((b) => b.bytes > 0)).toBe(true);
    expect(webm.durationMs).toBeCloseTo(1000, -1);
    const back = await decodeBack(data, 'webm');
    expect(back.codec).toMatch(/^vp09\./);
    expect(back.frames).toHaveLength(10);
    expect(back.frames.every((f) => f.width === 96 && f.height === 64)).toBe(true);
  });

  it('a clip longer than the encoder holds back (VP9 keeps ~24 frames until the flush): every frame is in the file', async () => {
    const webm = readWebm(await encode('webm', 40, 20, [32, 32]));
    expect(webm.blocks).toHaveLength(40);
    expect(webm.blocks.at(-1)!.ms).toBe(39 * 50);
    expect(webm.durationMs).toBeCloseTo(2000, -1);
  });
});

describe('ClipEncoder bad input', () => {
  it('sizes the codecs cannot take, a frame of another size, finish without frames, use after finish', async () => {
    const mod = await loadClipCodecs();
    expect(() => new ClipEncoder(mod, 'mp4', 63, 48, 10, 1_000_000)).toThrow(InvalidArgumentError);
    expect(() => new ClipEncoder(mod, 'webm', 64, 14, 10, 1_000_000)).toThrow('video frames need even sides of at least 16 pixels, got 64x14');
    expect(() => new ClipEncoder(mod, 'avi' as never, 64, 48, 10, 1_000_000)).toThrow(`a clip's format is one of mp4, webm, got "avi"`);
    const clip = new ClipEncoder(mod, 'mp4', 32, 16, 10, 1_000_000);
    await expect(clip.finish()).rejects.toThrow('a clip needs at least one frame');
    await expect(clip.add(frame(1, 34, 16), true)).rejects.toThrow('a 34x16 frame cannot go into a 32x16 clip');
    await clip.add(frame(1, 32, 16), true);
    expect(readMp4(await clip.finish()).samples).toBe(1);
    await expect(clip.add(frame(2, 32, 16), false)).rejects.toThrow(VideoEncoderError);
    await expect(clip.finish()).rejects.toThrow('finish(): the clip is finished or closed');
  });

  it('a package without the muxers (a WebCodecs module with VideoEncoder / VideoFrame only): VideoEncoderError', async () => {
    process.env[VIDEO_MODULE_ENV] = new URL('./helpers/breaking-webcodecs.mjs', import.meta.url).pathname;
    await expect(loadClipCodecs()).rejects.toThrow(VideoEncoderError);
    await expect(loadClipCodecs()).rejects.toThrow('the video encoder package has no Mp4Muxer / WebMMuxer (they came with @napi-rs/webcodecs 1.3)');
    expect(CLIP_FORMATS.webm.mimeType).toBe('video/webm');
  });
});

describe('WebpClipWriter (sharp, animated WebP)', () => {
  it('delays are whole ms whose running sum follows i x 1000 / fps', () => {
    expect(webpDelays(3, 30)).toEqual([33, 34, 33]);
    expect(webpDelays(30, 30).reduce((a, b) => a + b, 0)).toBe(1000);
    expect(webpDelays(4, 10)).toEqual([100, 100, 100, 100]);
    expect(webpDelays(7, 120).reduce((a, b) => a + b, 0)).toBe(58);
  });
  it('caps frames at 300 and at 256 MB of raw pixels', () => {
    expect(webpFrameCap(96, 64)).toBe(300);
    expect(webpFrameCap(640, 480)).toBe(218);
    expect(webpFrameCap(8192, 8192)).toBe(1);
  });
  it('writes the frames it was given (copied at add), refuses other sizes, frames past its cap, use after finish', async () => {
    const w = new WebpClipWriter(32, 16, 20);
    const f = frame(1, 32, 16);
    await w.add(f, true);
    f.data.fill(0);
    await w.add(frame(2, 32, 16), false);
    await expect(w.add(frame(3, 34, 16), false)).rejects.toThrow('a 34x16 frame cannot go into a 32x16 clip');
    const file = await w.finish();
    const meta = await sharp(file, { animated: true }).metadata();
    expect([meta.format, meta.pages, meta.pageHeight, meta.delay]).toEqual(['webp', 2, 16, [50, 50]]);
    const { data } = await sharp(file, { page: 0 }).raw().toBuffer({ resolveWithObject: true });
    expect(Math.abs(data[0]! - 23)).toBeLessThanOrEqual(12); // frame 1's red, not the zeros written after add
    await expect(w.add(frame(4, 32, 16), false)).rejects.toThrow('add(): the clip is finished or closed');
    await expect(new WebpClipWriter(32, 16, 20).finish()).rejects.toThrow('a clip needs at least one frame');
    const full = new WebpClipWriter(8192, 8192, 10); // 256 MB a frame: one fits
    expect(full.cap).toBe(1);
    expect(() => new WebpClipWriter(0, 16, 10)).toThrow(InvalidArgumentError);
  });
});
