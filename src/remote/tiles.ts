// Dirty tiles: which part of a frame changed since the previous one. Frames are compared tile by
// tile (row slices compared with memcmp through Buffer.compare, stopping at a tile's first
// difference), and the changed tiles' bounding rectangle is what a partial frame carries. Tiles
// are 64 px, a multiple of JPEG's 16 px blocks, so a partial JPEG's blocks line up with a full one's.
import type { Pixels } from '../canvas/readback.js';

/** Tile edge in pixels. */
export const TILE_SIZE = 64;

/** A rectangle of a frame in pixels. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What changed between two frames of the same size. */
export interface FrameChange {
  /** Bounding rectangle of the changed tiles (clipped to the frame); undefined when nothing changed. */
  region: Region | undefined;
  /** Tiles that changed, and all tiles. */
  changedTiles: number;
  totalTiles: number;
}

function bytes(p: Pixels): Buffer {
  return Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength);
}

/**
 * Compares `current` with `previous` (both RGBA, same size) tile by tile.
 * @throws {RangeError} when the sizes differ (a resize always sends a whole frame).
 */
export function diffFrames(previous: Pixels, current: Pixels, tile = TILE_SIZE): FrameChange {
  const { width, height } = current;
  if (previous.width !== width || previous.height !== height) throw new RangeError('diffFrames: frames of different sizes');
  const a = bytes(previous);
  const b = bytes(current);
  const stride = width * 4;
  const cols = Math.ceil(width / tile);
  const rows = Math.ceil(height / tile);
  let changed = 0;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let ty = 0; ty < rows; ty++) {
    const yEnd = Math.min(height, (ty + 1) * tile);
    for (let tx = 0; tx < cols; tx++) {
      const start = tx * tile * 4;
      const end = Math.min(width, (tx + 1) * tile) * 4;
      for (let y = ty * tile; y < yEnd; y++) {
        const row = y * stride;
        if (a.compare(b, row + start, row + end, row + start, row + end) !== 0) {
          changed++;
          x0 = Math.min(x0, tx);
          y0 = Math.min(y0, ty);
          x1 = Math.max(x1, tx);
          y1 = Math.max(y1, ty);
          break;
        }
      }
    }
  }
  const region = changed === 0 ? undefined : {
    x: x0 * tile,
    y: y0 * tile,
    width: Math.min(width, (x1 + 1) * tile) - x0 * tile,
    height: Math.min(height, (y1 + 1) * tile) - y0 * tile,
  };
  return { region, changedTiles: changed, totalTiles: cols * rows };
}
