// The ffmpeg video backend's own behaviour, beyond the encoder contract that
// test/video-encoder.test.ts checks for both backends: its processes (a standby for keyframes,
// none left behind), ffmpeg missing or without libx264, ffmpeg dying or sending what does not
// parse mid-stream; and the backend choice (DAWN_RFB_VIDEO_ENCODER).
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FFMPEG_ENV, FfmpegFrameEncoder, findFfmpeg, X264_PRESET_ENV } from '../src/remote/frames/ffmpeg-encoder.js';
import { AUTO_FFMPEG_MIN_CORES, autoOrder, loadVideoBackend, VIDEO_ENCODER_ENV } from '../src/remote/frames/video-backend.js';
import os from 'node:os';
import { VIDEO_MODULE_ENV, VideoEncoderError } from '../src/remote/frames/video-encoder.js';
import { sleep, until } from './helpers/common.js';
import { rgbaToI420 } from '../src/canvas/i420.js';
import { decodeH264, rgbPsnr, scene } from './helpers/video.js';

const [W, H] = [160, 96];
const frame = (t: number) => {
  const d = new Uint8Array(W * H * 4);
  for (let i = 0; i < d.length; i += 4) { d[i] = (i / 4 + t * 7) & 255; d[i + 1] = (i / 40) & 255; d[i + 2] = 90; d[i + 3] = 255; }
  return { width: W, height: H, data: d };
};

/** Process ids of the ffmpeg processes this test process started that are still running (from /proc: no `ps` needed). */
function ffmpegChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (comm === 'ffmpeg' && Number(ppid) === process.pid && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

// Links to test/helpers/broken-ffmpeg.mjs whose names say how each one fails.
const links = mkdtempSync(join(tmpdir(), 'dawn-rfb-ffmpeg-'));
const broken = (mode: string) => {
  const path = join(links, `broken-ffmpeg-${mode}`);
  try { symlinkSync(new URL('./helpers/broken-ffmpeg.mjs', import.meta.url).pathname, path); } catch { /* made already */ }
  return path;
};
afterAll(() => rmSync(links, { recursive: true, force: true }));
afterEach(() => {
  delete process.env[FFMPEG_ENV];
  delete process.env[VIDEO_ENCODER_ENV];
  delete process.env[VIDEO_MODULE_ENV];
  delete process.env[X264_PRESET_ENV];
});

describe('FfmpegFrameEncoder processes', () => {
  it('keeps one standby beside the active process, serves key requests from it, and leaves none running after close()', async () => {
    const before = ffmpegChildren().length;
    const encoder = new FfmpegFrameEncoder(await findFfmpeg(), 'h264', 1_000_000);
    const keys: number[] = [];
    for (let t = 0; t < 12; t++) {
      const key = t % 3 === 0;
      const chunk = await encoder.encode(frame(t), key);
      if (chunk.key) keys.push(t);
      expect(chunk.key).toBe(key); // keyframes exactly where asked, each from a fresh process
    }
    expect(keys).toEqual([0, 3, 6, 9]);
    // The retired processes exit by themselves once their input ends: the active one and its standby stay.
    await until(() => ffmpegChildren().length - before === 2, 3000, 'two ffmpeg processes (active and standby)');
    encoder.close();
    await until(() => ffmpegChildren().length === before, 3000, 'no ffmpeg process left');
    await expect(encoder.encode(frame(99), false)).rejects.toThrow('the video encoder was closed');
  });

  it('a process reads the input its first frame came in (RGBA, or planes from the GPU); the standby follows what frames come as', async () => {
    const inputOf = (pid: number): string => {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return args[args.indexOf('-pix_fmt') + 1]!; // the first -pix_fmt is the input's
    };
    const inputs = () => ffmpegChildren().map(inputOf).sort();
    const before = ffmpegChildren();
    expect(before).toEqual([]);
    const encoder = new FfmpegFrameEncoder(await findFfmpeg(), 'h264', 1_000_000);
    const rgba = (t: number) => ({ width: W, height: H, data: scene(W, H, t) });
    const planar = (t: number) => ({ ...rgba(t), i420: rgbaToI420(scene(W, H, t), W, H) });
    await encoder.encode(rgba(0), true);
    await until(() => inputs().join() === 'rgba,rgba', 3000, 'an RGBA process and an RGBA standby');
    // Planes arrive: the running process goes on with RGBA (no keyframe for it), the standby switches to planes.
    expect((await encoder.encode(planar(1), false)).key).toBe(false);
    await until(() => inputs().join() === 'rgba,yuv420p', 3000, 'the RGBA process and a standby for planes');
    // The next keyframe comes from the standby, which reads planes; a frame without planes then is converted.
    expect((await encoder.encode(planar(2), true)).key).toBe(true);
    expect((await encoder.encode(rgba(3), false)).key).toBe(false);
    await until(() => inputs().join() === 'yuv420p,yuv420p', 3000, 'a process of planes and its standby (the RGBA one retired)');
    const chunks = [await encoder.encode(planar(4), true), await encoder.encode(rgba(5), false), await encoder.encode(planar(6), false)];
    encoder.close();
    const decoded = await decodeH264(chunks, W, H);
    for (const [i, t] of [4, 5, 6].entries()) expect(rgbPsnr(scene(W, H, t), decoded[i]!)).toBeGreaterThan(35);
    await until(() => ffmpegChildren().length === 0, 3000, 'no ffmpeg process left');
  });

  it('ffmpeg killed between frames: the next frame comes from a new process, as a keyframe', async () => {
    const encoder = new FfmpegFrameEncoder(await findFfmpeg(), 'h264', 1_000_000);
    await encoder.encode(frame(0), true);
    await encoder.encode(frame(1), false);
    for (const pid of ffmpegChildren()) process.kill(pid, 'SIGKILL');
    await until(() => ffmpegChildren().length === 0, 3000, 'the killed processes gone');
    await sleep(50); // their exit events reach the encoder
    const next = await encoder.encode(frame(2), false);
    expect(next.key).toBe(true);
    expect((await encoder.encode(frame(3), false)).key).toBe(false);
    encoder.close();
  });

  it('ffmpeg killed while a frame is in it: that frame rejects saying so, and every later one too', async () => {
    const encoder = new FfmpegFrameEncoder(await findFfmpeg(), 'h264', 1_000_000);
    await encoder.encode(frame(0), true);
    const inFlight = encoder.encode(frame(1), false); // handed to the process in a microtask, after the kill
    for (const pid of ffmpegChildren()) process.kill(pid, 'SIGKILL');
    await expect(inFlight).rejects.toThrow(/ffmpeg exited \(signal SIGKILL\) while encoding 160x96/);
    await expect(encoder.encode(frame(2), true)).rejects.toThrow(VideoEncoderError);
    await until(() => ffmpegChildren().length === 0, 3000, 'no ffmpeg process left');
  });

  it('an ffmpeg that exits on the first frame, or sends bytes that are not FLV: a VideoEncoderError naming the cause', async () => {
    const exits = new FfmpegFrameEncoder(broken('exit'), 'h264', 1_000_000);
    await expect(exits.encode(frame(0), true)).rejects.toThrow(/ffmpeg exited \(code 1\) while encoding 160x96: \[libx264 @ 0x1\] broken on purpose/);
    const garbage = new FfmpegFrameEncoder(broken('garbage'), 'h264', 1_000_000);
    await expect(garbage.encode(frame(0), true)).rejects.toThrow("ffmpeg's output did not parse: not an FLV stream");
    garbage.close();
  });

  it('refuses frames whose bytes do not match their size, and codecs other than h264', async () => {
    const encoder = new FfmpegFrameEncoder(await findFfmpeg(), 'h264', 1_000_000);
    await expect(encoder.encode({ width: W, height: H, data: new Uint8Array(10) }, true)).rejects.toThrow('a 160x96 RGBA frame has 61440 bytes, got 10');
    encoder.close();
    expect(() => new FfmpegFrameEncoder('ffmpeg', 'vp9' as 'h264', 1_000_000)).toThrow('video codec must be one of h264, got "vp9"');
  });
});

describe('findFfmpeg', () => {
  it('says how to install ffmpeg when it is missing, and what is wrong with one that has no libx264', async () => {
    process.env[FFMPEG_ENV] = join(links, 'no-such-ffmpeg');
    await expect(findFfmpeg()).rejects.toThrow(/ffmpeg \(.*no-such-ffmpeg\) was not found: install it \(Debian: apt-get install ffmpeg\) or set DAWN_RFB_FFMPEG to its path/);
    process.env[FFMPEG_ENV] = broken('no-x264');
    await expect(findFfmpeg()).rejects.toThrow(/has no libx264 encoder/);
    process.env[FFMPEG_ENV] = broken('garbage');
    await expect(findFfmpeg()).resolves.toBe(broken('garbage'));
  });
});

describe('loadVideoBackend (DAWN_RFB_VIDEO_ENCODER)', () => {
  it('auto tries ffmpeg first from 4 cores, the package first below; falls back to the other; each can be asked for by name', async () => {
    expect(AUTO_FFMPEG_MIN_CORES).toBe(4);
    expect(autoOrder(2)).toEqual(['webcodecs', 'ffmpeg']);
    expect(autoOrder(3)).toEqual(['webcodecs', 'ffmpeg']);
    expect(autoOrder(4)).toEqual(['ffmpeg', 'webcodecs']);
    expect(autoOrder(64)).toEqual(['ffmpeg', 'webcodecs']);
    const [first, second] = autoOrder(os.availableParallelism());
    expect((await loadVideoBackend()).name).toBe(first);
    process.env[VIDEO_ENCODER_ENV] = 'webcodecs';
    expect((await loadVideoBackend()).name).toBe('webcodecs');
    process.env[VIDEO_ENCODER_ENV] = 'ffmpeg';
    expect((await loadVideoBackend()).name).toBe('ffmpeg');
    // The first choice missing: auto takes the other.
    process.env[VIDEO_ENCODER_ENV] = 'auto';
    if (first === 'ffmpeg') process.env[FFMPEG_ENV] = join(links, 'no-such-ffmpeg');
    else process.env[VIDEO_MODULE_ENV] = 'dawn-rfb-no-such-video-module';
    expect((await loadVideoBackend()).name).toBe(second);
  });

  it('with neither, or a name it does not know: an error saying why', async () => {
    process.env[FFMPEG_ENV] = join(links, 'no-such-ffmpeg');
    process.env[VIDEO_MODULE_ENV] = 'dawn-rfb-no-such-video-module';
    await expect(loadVideoBackend()).rejects.toThrow(/no video encoder loaded: .*(ffmpeg .* was not found.*; and the video encoder \(npm dawn-rfb-no-such-video-module|npm dawn-rfb-no-such-video-module.*; and ffmpeg .* was not found)/);
    process.env[VIDEO_ENCODER_ENV] = 'ffmpeg';
    await expect(loadVideoBackend()).rejects.toThrow(/was not found/);
    process.env[VIDEO_ENCODER_ENV] = 'x264';
    await expect(loadVideoBackend()).rejects.toThrow('DAWN_RFB_VIDEO_ENCODER must be one of auto, ffmpeg, webcodecs, got "x264"');
    // A bad preset fails auto too, rather than falling back to the package without a word.
    delete process.env[FFMPEG_ENV];
    process.env[VIDEO_ENCODER_ENV] = 'auto';
    process.env[X264_PRESET_ENV] = 'placebo-fast';
    await expect(loadVideoBackend()).rejects.toThrow('DAWN_RFB_X264_PRESET must be one of ultrafast, superfast, veryfast, faster, fast, medium, got "placebo-fast"');
  });

  it('DAWN_RFB_X264_PRESET reaches x264: one preset twice gives the same bytes, another gives others', async () => {
    process.env[VIDEO_ENCODER_ENV] = 'ffmpeg';
    const keyframe = async (preset: string) => {
      process.env[X264_PRESET_ENV] = preset;
      const encoder = (await loadVideoBackend()).create('h264', 1_000_000);
      const chunks = [await encoder.encode(frame(0), true), await encoder.encode(frame(1), false)];
      encoder.close();
      return Buffer.concat(chunks.map((c) => c.data)).toString('hex');
    };
    expect(await keyframe('veryfast')).toBe(await keyframe('veryfast')); // x264 is deterministic
    expect(await keyframe('ultrafast')).not.toBe(await keyframe('veryfast'));
    expect(() => new FfmpegFrameEncoder('ffmpeg', 'h264', 1_000_000, 'slowest')).toThrow('x264 preset must be one of ultrafast, superfast, veryfast, faster, fast, medium, got "slowest"');
  });
});
