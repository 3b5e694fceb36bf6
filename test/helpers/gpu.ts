// Fixtures of the GPU suites: real GPU (Dawn on lavapipe) offscreen canvases and frame checks.
// The general helpers (waits, reporter capture, thrown) are in common.ts, re-exported here.
import { expect } from 'vitest';
import { getDefaultDevice, OffscreenCanvas, type CanvasOptions, type Frame } from '../../src/index.js';
import type { RGBA } from './common.js';

export * from './common.js';

/** Records a clear of the texture to `color` (linear, 0..1) and submits it. */
export function clearTexture(device: GPUDevice, texture: GPUTexture, color: RGBA): void {
  const encoder = device.createCommandEncoder({ label: 'test clear' });
  encoder.beginRenderPass({
    colorAttachments: [{ view: texture.createView(), loadOp: 'clear', storeOp: 'store', clearValue: [...color] }],
  }).end();
  device.queue.submit([encoder.finish()]);
}

export interface ClearCanvas {
  canvas: OffscreenCanvas;
  device: GPUDevice;
  /** The colour the next draw clears to; change it between draws. */
  color: RGBA;
  /** Number of times the draw function ran. */
  calls: number;
  /** Physical size seen by each call of the draw function. */
  sizes: [number, number][];
  /** When each call of the draw function started (performance.now(), ms). */
  times: number[];
}

/**
 * An OffscreenCanvas configured on the default device whose draw function clears the current
 * texture to `state.color`. The draw function is set without requesting a draw unless the
 * update mode asks for it (it is set with requestDraw(fn), which draws in ondemand mode).
 */
export async function makeClearCanvas(size: readonly [number, number], color: RGBA = [1, 0, 0, 1],
  format?: GPUTextureFormat, options: CanvasOptions = { updateMode: 'manual' }): Promise<ClearCanvas> {
  const device = await getDefaultDevice();
  const canvas = new OffscreenCanvas({ ...options, size });
  const context = canvas.getContext();
  context.configure({ device, format });
  const state: ClearCanvas = { canvas, device, color, calls: 0, sizes: [], times: [] };
  canvas.requestDraw(() => {
    state.calls++;
    state.times.push(performance.now());
    state.sizes.push(canvas.getPhysicalSize());
    clearTexture(device, context.getCurrentTexture(), state.color);
  });
  return state;
}

/** The RGBA bytes of pixel (x, y) of a frame. */
export function pixel(frame: Frame, x: number, y: number): number[] {
  const i = (y * frame.width + x) * 4;
  return [...frame.data.subarray(i, i + 4)];
}

/** Asserts every pixel of a frame equals `rgba` (bytes), reporting the first one that differs. */
export function expectUniform(frame: Frame, rgba: readonly number[]): void {
  expect(frame.data.length).toBe(frame.width * frame.height * 4);
  for (let i = 0; i < frame.data.length; i += 4) {
    if (frame.data[i] !== rgba[0] || frame.data[i + 1] !== rgba[1] || frame.data[i + 2] !== rgba[2] || frame.data[i + 3] !== rgba[3]) {
      const p = i / 4;
      expect({ x: p % frame.width, y: Math.floor(p / frame.width), rgba: [...frame.data.subarray(i, i + 4)] })
        .toEqual({ x: p % frame.width, y: Math.floor(p / frame.width), rgba: [...rgba] });
    }
  }
}
