// Adaptive quality end to end: a RemoteCanvas streaming a busy scene (new noise every frame) on
// the real GPU to a client that acknowledges like a slow link would (each frame's bytes take
// their time at a fixed rate, one after another). The canvas must back off (lower quality, then
// a reduced resolution that reaches the client in the frame header) and come back to full
// quality and size once the client acknowledges at once. No timing assertions: only that it
// happens, within generous time limits.
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteCanvas } from '../src/index.js';
import { closeAllViews, drawFullScreen, openView, track, cleanup, until } from './helpers/remote.js';

const NOISE = /* wgsl */ `
@group(0) @binding(0) var<uniform> frame: vec4u;
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  return vec4f(vec2f(f32((i << 1u) & 2u), f32(i & 2u)) * 2.0 - 1.0, 0.0, 1.0);
}
@fragment fn fs(@builtin(position) p: vec4f) -> @location(0) vec4f {
  var h = u32(p.x) * 1664525u + u32(p.y) * 1013904223u + frame.x * 2654435761u;
  h = (h ^ (h >> 16u)) * 2246822519u;
  h = h ^ (h >> 13u);
  return vec4f(f32(h & 255u) / 255.0, f32((h >> 8u) & 255u) / 255.0, f32((h >> 16u) & 255u) / 255.0, 1.0);
}`;

function noiseCanvas(): Promise<RemoteCanvas> {
  const canvas = track(new RemoteCanvas({ size: [320, 240], updateMode: 'fastest', quality: 80, losslessDelayMs: Infinity }));
  let n = 0;
  return drawFullScreen(canvas, NOISE, 16, () => new Uint32Array([n++, 0, 0, 0]));
}

afterEach(() => {
  closeAllViews();
  cleanup();
});

describe('adaptive quality', () => {
  it('backs off over a slow client and recovers when it speeds up', async () => {
    const canvas = await noiseCanvas();
    const view = await openView(canvas, { autoAck: false, size: { width: 320, height: 240 } });
    // The emulated link: bytes leave one frame after another at `rate` bytes per second.
    let rate = 200_000;
    let linkFreeAt = 0;
    view.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const frame = view.frames[view.frames.length - 1]!;
      const now = performance.now();
      // In order, like a link: a frame's ack never overtakes an earlier frame's.
      const done = Math.max(now, linkFreeAt) + (Number.isFinite(rate) ? (data.length / rate) * 1000 : 0);
      linkFreeAt = done;
      setTimeout(() => view.ack(frame.header.index), done - now);
    });
    const adaptive = () => canvas.stats().views[0]?.adaptive;

    await until(() => (adaptive()?.quality ?? 80) < 80, 30_000, 'a lower quality');
    await until(() => (view.lastFrame()?.header.width ?? 320) < 320, 60_000, 'a frame of reduced resolution');
    const reduced = view.lastFrame()!.header;
    expect(reduced.width).toBeLessThan(320);
    expect(reduced.height).toBeLessThan(240);
    // Same CSS size: the pixel ratio shrinks with the image.
    expect(reduced.width / reduced.pixelRatio).toBeCloseTo(320, 0);
    expect(reduced.lossless).toBe(false);

    rate = Infinity;
    await until(() => adaptive()?.quality === 80 && adaptive()?.scale === 1, 60_000, 'full quality and scale again');
    view.skipFrames();
    const frame = await view.nextFrame(10_000);
    expect(frame.header.width).toBe(320);
    expect(frame.header.height).toBe(240);
  }, 180_000);

  it('can be turned off', () => {
    const canvas = track(new RemoteCanvas({ adaptive: false }));
    expect(canvas.stats().views).toEqual([]);
    expect(() => new RemoteCanvas({ adaptive: 'yes' as unknown as boolean })).toThrow(/adaptive must be true or false/);
  });
});
