// diffFrames on its own: which tiles changed, their bounding rectangle (clipped at the frame's
// edges), the early stop, and the refusal of frames of different sizes.
import { describe, expect, it } from 'vitest';
import { changeFromTileFlags, diffFrames, TILE_SIZE } from '../src/remote/frames/tiles.js';

function frame(width: number, height: number, fill = 0): { width: number; height: number; data: Uint8Array } {
  return { width, height, data: new Uint8Array(width * height * 4).fill(fill) };
}

function poke(f: { width: number; data: Uint8Array }, x: number, y: number): void {
  f.data[(y * f.width + x) * 4 + 1]! ^= 0xff;
}

describe('diffFrames', () => {
  it('finds nothing in identical frames', () => {
    expect(diffFrames(frame(200, 150), frame(200, 150))).toEqual({ region: undefined, changedTiles: 0, totalTiles: 12 });
  });

  it('gives the tile of a single changed pixel', () => {
    const b = frame(200, 150);
    poke(b, 70, 130); // tile (1, 2)
    expect(diffFrames(frame(200, 150), b)).toEqual({ region: { x: 64, y: 128, width: 64, height: 22 }, changedTiles: 1, totalTiles: 12 });
  });

  it('gives the bounding rectangle of changed tiles, clipped at the right edge', () => {
    const b = frame(200, 150);
    poke(b, 0, 70); // tile (0, 1)
    poke(b, 199, 0); // tile (3, 0), 8 px wide
    expect(diffFrames(frame(200, 150), b)).toEqual({ region: { x: 0, y: 0, width: 200, height: 128 }, changedTiles: 2, totalTiles: 12 });
  });

  it('finds a change in the last row and column of a tile', () => {
    const b = frame(256, 256);
    poke(b, TILE_SIZE - 1, TILE_SIZE - 1);
    expect(diffFrames(frame(256, 256), b).region).toEqual({ x: 0, y: 0, width: 64, height: 64 });
  });

  it('stops early once more than the given share of tiles changed', () => {
    const r = diffFrames(frame(256, 256, 0), frame(256, 256, 1), TILE_SIZE, 0.5);
    expect(r.changedTiles).toBeLessThan(16);
    expect(r.changedTiles).toBeGreaterThan(8);
    expect(r.region).toEqual({ x: 0, y: 0, width: 256, height: 256 });
  });

  it('refuses frames of different sizes', () => {
    expect(() => diffFrames(frame(10, 10), frame(10, 11))).toThrow(RangeError);
  });

  it('agrees with a pixel-by-pixel count on random changes, frame sizes and tile sizes', () => {
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    for (let round = 0; round < 60; round++) {
      const [width, height, tile] = [1 + random(300), 1 + random(200), [8, 16, 64][random(3)]!];
      const a = frame(width, height);
      const b = frame(width, height);
      for (let i = random(40); i > 0; i--) poke(b, random(width), random(height));
      const cols = Math.ceil(width / tile);
      const changedTiles = new Set<number>();
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) if (a.data[(y * width + x) * 4 + 1] !== b.data[(y * width + x) * 4 + 1]) changedTiles.add(Math.floor(y / tile) * cols + Math.floor(x / tile));
      }
      const got = diffFrames(a, b, tile);
      expect(got.changedTiles, `round ${round}`).toBe(changedTiles.size);
      // The same change from per-tile flags (what the GPU comparison gives).
      const flags = new Uint8Array(cols * Math.ceil(height / tile));
      for (const t of changedTiles) flags[t] = 1;
      expect(changeFromTileFlags(flags, width, height, tile), `round ${round}`).toEqual(got);
      expect(got.totalTiles).toBe(cols * Math.ceil(height / tile));
      if (changedTiles.size === 0) {
        expect(got.region).toBeUndefined();
        continue;
      }
      const txs = [...changedTiles].map((t) => t % cols);
      const tys = [...changedTiles].map((t) => Math.floor(t / cols));
      const [tx0, tx1, ty0, ty1] = [Math.min(...txs), Math.max(...txs), Math.min(...tys), Math.max(...tys)];
      expect(got.region, `round ${round}`).toEqual({
        x: tx0 * tile, y: ty0 * tile, width: Math.min(width, (tx1 + 1) * tile) - tx0 * tile, height: Math.min(height, (ty1 + 1) * tile) - ty0 * tile,
      });
    }
  });

  it('changeFromTileFlags refuses flags of another grid', () => {
    expect(() => changeFromTileFlags(new Uint8Array(3), 128, 64)).toThrow(/3 flags for a 2x1 grid/);
  });
});
