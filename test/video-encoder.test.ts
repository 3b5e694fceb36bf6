// The video encoder module with the real encoder (npm @napi-rs/webcodecs): one chunk per frame,
// keyframes when asked and after a size change, decodable (by the same package's decoder) to within
// a stated PSNR of the input; bad bitrates and sizes refused; a module that does not load rejects
// with a VideoEncoderError.
import { afterEach, describe, expect, it } from 'vitest';
import { rgbaToI420 } from '../src/canvas/i420.js';
import { decodeH264, rgbPsnr, scene } from './helpers/video.js';
import { InvalidArgumentError } from '../src/errors.js';
import { findFfmpeg, FfmpegFrameEncoder } from '../src/remote/frames/ffmpeg-encoder.js';
import { checkVideoBitrate, loadVideoCodecs, type FrameVideoEncoder, VIDEO_HARDWARE_ENV, VIDEO_MODULE_ENV, VideoEncoderError, VideoFrameEncoder } from '../src/remote/frames/video-encoder.js';

afterEach(() => {
  delete process.env[VIDEO_MODULE_ENV];
  delete process.env[VIDEO_HARDWARE_ENV];
});

// The same contract for both backends (video-backend.ts): the package in-process, ffmpeg as a subprocess.
const makers: [string, (bitrate: number) => Promise<FrameVideoEncoder>][] = [
  ['VideoFrameEncoder (the WebCodecs package)', async (bitrate) => new VideoFrameEncoder(await loadVideoCodecs(), 'h264', bitrate)],
  ['FfmpegFrameEncoder (an ffmpeg subprocess)', async (bitrate) => new FfmpegFrameEncoder(await findFfmpeg(), 'h264', bitrate)],
];

describe.each(makers)('%s (real H.264 encoder)', (_name, make) => {
  it('gives one chunk per frame, a keyframe first and when asked, and decodes to >= 35 dB PSNR', async () => {
    const encoder = await make(2_000_000);
    const [w, h] = [320, 240];
    const inputs = Array.from({ length: 12 }, (_, t) => scene(w, h, t));
    const chunks = [];
    for (const [t, data] of inputs.entries()) chunks.push(await encoder.encode({ width: w, height: h, data }, t === 7));
    encoder.close();
    expect(chunks).toHaveLength(12);
    expect(chunks[0]!.key).toBe(true);
    expect(chunks[7]!.key).toBe(true);
    expect(chunks[1]!.key).toBe(false);
    // Delta frames of a slowly moving scene are much smaller than the keyframe.
    expect(chunks[1]!.data.length).toBeLessThan(chunks[0]!.data.length / 2);
    const decoded = await decodeH264(chunks, w, h);
    expect(decoded).toHaveLength(12);
    for (const [t, rgba] of decoded.entries()) expect(rgbPsnr(inputs[t]!, rgba)).toBeGreaterThan(35);
  });

  it('takes I420 planes (as the GPU readback makes them) and RGBA in one stream, mixed, and decodes both to >= 35 dB', async () => {
    const encoder = await make(2_000_000);
    const [w, h] = [320, 240];
    const inputs = Array.from({ length: 8 }, (_, t) => scene(w, h, t));
    // Planes from frame 2 on, one frame without them in between (a readback that did not make them).
    const withPlanes = (t: number) => t >= 2 && t !== 5;
    const chunks = [];
    for (const [t, data] of inputs.entries()) {
      chunks.push(await encoder.encode({ width: w, height: h, data, ...(withPlanes(t) ? { i420: rgbaToI420(data, w, h) } : {}) }, false));
    }
    encoder.close();
    expect(chunks.map((c) => c.key)).toEqual([true, false, false, false, false, false, false, false]);
    const decoded = await decodeH264(chunks, w, h);
    for (const [t, rgba] of decoded.entries()) expect(rgbPsnr(inputs[t]!, rgba)).toBeGreaterThan(35);
  });

  it('uses the planes, not the RGBA, when a frame has both', async () => {
    // Planes of another picture than the RGBA: what decodes is the planes' picture.
    const encoder = await make(2_000_000);
    const [w, h] = [320, 240];
    const shown = scene(w, h, 9);
    const chunk = await encoder.encode({ width: w, height: h, data: scene(w, h, 0), i420: rgbaToI420(shown, w, h) }, true);
    encoder.close();
    const [decoded] = await decodeH264([chunk], w, h);
    expect(rgbPsnr(shown, decoded!)).toBeGreaterThan(35);
    expect(rgbPsnr(scene(w, h, 0), decoded!)).toBeLessThan(25);
  });

  it('a frame of another size reconfigures it and comes out as a keyframe of that size', async () => {
    const encoder = await make(1_000_000);
    await encoder.encode({ width: 320, height: 240, data: scene(320, 240, 0) }, false);
    const delta = await encoder.encode({ width: 320, height: 240, data: scene(320, 240, 1) }, false);
    const resized = await encoder.encode({ width: 160, height: 96, data: scene(160, 96, 2) }, false);
    encoder.close();
    expect(delta.key).toBe(false);
    expect([resized.key, resized.width, resized.height]).toEqual([true, 160, 96]);
    const decoded = await decodeH264([resized], 160, 96);
    expect(rgbPsnr(scene(160, 96, 2), decoded[0]!)).toBeGreaterThan(30);
  });

  it('a lower bitrate takes effect from the next frame, which is a keyframe; later frames are smaller', async () => {
    const encoder = await make(8_000_000);
    const [w, h] = [320, 240];
    const high = [];
    for (let t = 0; t < 6; t++) high.push(await encoder.encode({ width: w, height: h, data: scene(w, h, t * 3) }, false));
    encoder.setBitrate(150_000);
    expect(encoder.bitrate).toBe(150_000);
    expect(() => encoder.setBitrate(50_000)).toThrow(/videoBitrate must be an integer number of bits a second from 100000/);
    const low = [];
    for (let t = 6; t < 12; t++) low.push(await encoder.encode({ width: w, height: h, data: scene(w, h, t * 3) }, false));
    encoder.close();
    expect(low[0]!.key).toBe(true);
    const mean = (c: { data: Uint8Array }[]): number => c.reduce((sum, x) => sum + x.data.length, 0) / c.length;
    expect(mean(low.slice(1).filter((c) => !c.key))).toBeLessThan(mean(high.slice(1).filter((c) => !c.key)) / 2);
  });

  it('refuses odd sizes, bad bitrates and unknown codecs; after close, encodes reject', async () => {
    expect(VideoFrameEncoder.fits(321, 240)).toBe(false);
    expect(VideoFrameEncoder.fits(320, 240)).toBe(true);
    const encoder = await make(1_000_000);
    await expect(encoder.encode({ width: 321, height: 240, data: new Uint8Array(321 * 240 * 4) }, false)).rejects.toThrow(/even sides of at least 16 pixels, got 321x240/);
    for (const bad of [99_999, 200_000_001, 1.5e6 + 0.5, '4000000', Number.NaN]) {
      expect(() => checkVideoBitrate(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => checkVideoBitrate(99_999)).toThrow('videoBitrate must be an integer number of bits a second from 100000 to 200000000, got 99999');
    expect(checkVideoBitrate(100_000)).toBe(100_000);
    expect(checkVideoBitrate(200_000_000)).toBe(200_000_000);
    const other = await make(1_000_000);
    expect(() => other.setBitrate(50_000)).toThrow(InvalidArgumentError);
    other.close();
    encoder.close();
    await expect(encoder.encode({ width: 320, height: 240, data: scene(320, 240, 0) }, false)).rejects.toThrow(VideoEncoderError);
  });

  it('keyframes only where asked over a long run (the package\'s realtime mode put one every 10 frames)', async () => {
    const encoder = await make(1_000_000);
    const keys: number[] = [];
    for (let t = 0; t < 40; t++) if ((await encoder.encode({ width: 160, height: 96, data: scene(160, 96, t) }, t === 0 || t === 25)).key) keys.push(t);
    encoder.close();
    expect(keys).toEqual([0, 25]);
  });

});

describe('VideoFrameEncoder (the WebCodecs package) alone', () => {
  it('refuses unknown codecs', async () => {
    const mod = await loadVideoCodecs();
    expect(() => new VideoFrameEncoder(mod, 'vp9' as 'h264', 1_000_000)).toThrow('video codec must be one of h264, got "vp9"');
  });

  it(`${VIDEO_HARDWARE_ENV}: prefer-hardware falls back to the CPU where there is no GPU encoder; an unknown value fails the encoder with the values allowed`, async () => {
    const mod = await loadVideoCodecs();
    process.env[VIDEO_HARDWARE_ENV] = 'prefer-hardware';
    const encoder = new VideoFrameEncoder(mod, 'h264', 1_000_000);
    expect((await encoder.encode({ width: 160, height: 96, data: scene(160, 96, 0) }, true)).key).toBe(true);
    encoder.close();
    process.env[VIDEO_HARDWARE_ENV] = 'gpu';
    const bad = new VideoFrameEncoder(mod, 'h264', 1_000_000);
    await expect(bad.encode({ width: 160, height: 96, data: scene(160, 96, 0) }, true)).rejects.toThrow(`${VIDEO_HARDWARE_ENV} must be one of no-preference, prefer-hardware, prefer-software, got "gpu"`);
  });

  it('a module that does not load rejects with a VideoEncoderError saying how to install the encoder', async () => {
    process.env[VIDEO_MODULE_ENV] = 'dawn-rfb-no-such-video-module';
    await expect(loadVideoCodecs()).rejects.toThrow(VideoEncoderError);
    await expect(loadVideoCodecs()).rejects.toThrow(/did not load: .*npm install @napi-rs\/webcodecs.*stills \(JPEG\)/);
  });
});
