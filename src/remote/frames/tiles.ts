// Dirty tiles: which part of a frame changed since the previous one. Frames are compared row by
// row (memcmp through Buffer.compare), and in a row that differs, runs of tiles at once, halved
// down to the tiles that differ; and the changed tiles' bounding rectangle is what a partial frame carries. Tiles
// are 64 px, declared once with the GPU's comparison (canvas/tile-compare.ts says why 64).
import type { Pixels } from '../../canvas/readback.js';
import { COMPARE_TILE } from '../../canvas/tile-compare.js';

/** Tile edge in pixels: the GPU comparison's {@link COMPARE_TILE}, under the name this layer uses. */
export const TILE_SIZE = COMPARE_TILE;

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
 * Compares `current` with `previous` (both RGBA, same size) tile by tile. Whole rows are compared
 * first (one memcmp each), and only the rows that differ are looked at tile by tile. When more
 * than `stopAbove` of the tiles changed it stops early (the region is then the frame's): the
 * caller sends the whole frame anyway.
 * @throws {RangeError} when the sizes differ (a resize always sends a whole frame).
 */
export function diffFrames(previous: Pixels, current: Pixels, tile = TILE_SIZE, stopAbove = 1): FrameChange {
  const { width, height } = current;
  if (previous.width !== width || previous.height !== height) throw new RangeError('diffFrames: frames of different sizes');
  const a = bytes(previous);
  const b = bytes(current);
  const stride = width * 4;
  const cols = Math.ceil(width / tile);
  const rows = Math.ceil(height / tile);
  const total = cols * rows;
  const changedInBand = new Uint8Array(cols);
  let changed = 0;
  let bandChanged = 0;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  // Marks the changed tiles among [lo, hi) (none marked yet) in the row starting at byte `row`:
  // one comparison for the whole run, halved only where it differs, so a row costs a few calls
  // rather than one per tile (the calls, not the bytes, were the cost).
  const markChanged = (row: number, lo: number, hi: number): void => {
    const start = row + lo * tile * 4;
    const end = row + Math.min(width, hi * tile) * 4;
    if (a.compare(b, start, end, start, end) === 0) return;
    if (hi - lo === 1) {
      changedInBand[lo] = 1;
      bandChanged++;
      x0 = Math.min(x0, lo);
      x1 = Math.max(x1, lo);
      return;
    }
    const mid = (lo + hi) >> 1;
    markChanged(row, lo, mid);
    markChanged(row, mid, hi);
  };
  for (let ty = 0; ty < rows; ty++) {
    changedInBand.fill(0);
    bandChanged = 0;
    const yEnd = Math.min(height, (ty + 1) * tile);
    for (let y = ty * tile; y < yEnd && bandChanged < cols; y++) {
      const row = y * stride;
      if (a.compare(b, row, row + stride, row, row + stride) === 0) continue;
      // Runs of tiles not known to have changed yet in this band.
      for (let tx = 0; tx < cols;) {
        if (changedInBand[tx]) {
          tx++;
          continue;
        }
        let end = tx + 1;
        while (end < cols && !changedInBand[end]) end++;
        markChanged(row, tx, end);
        tx = end;
      }
    }
    if (bandChanged > 0) {
      changed += bandChanged;
      y0 = Math.min(y0, ty);
      y1 = ty;
      if (changed > stopAbove * total) return { region: { x: 0, y: 0, width, height }, changedTiles: changed, totalTiles: total };
    }
  }
  const region = changed === 0 ? undefined : tileSpan(x0, y0, x1, y1, tile, width, height);
  return { region, changedTiles: changed, totalTiles: total };
}

/** The pixels of tiles x0..x1 by y0..y1 (inclusive), clipped to a `width` x `height` frame. */
function tileSpan(x0: number, y0: number, x1: number, y1: number, tile: number, width: number, height: number): Region {
  return {
    x: x0 * tile,
    y: y0 * tile,
    width: Math.min(width, (x1 + 1) * tile) - x0 * tile,
    height: Math.min(height, (y1 + 1) * tile) - y0 * tile,
  };
}

/**
 * The change that per-tile flags (one byte per tile, row by row: nonzero changed) describe, for
 * a frame of `width` x `height` in tiles of `tile` px: what {@link diffFrames} would find, when
 * the tiles were compared elsewhere (on the GPU).
 */
export function changeFromTileFlags(flags: Uint8Array, width: number, height: number, tile = TILE_SIZE): FrameChange {
  const cols = Math.ceil(width / tile);
  const rows = Math.ceil(height / tile);
  if (flags.length !== cols * rows) throw new RangeError(`changeFromTileFlags: ${flags.length} flags for a ${cols}x${rows} grid`);
  let changed = 0;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let ty = 0; ty < rows; ty++) {
    for (let tx = 0; tx < cols; tx++) {
      if (!flags[ty * cols + tx]) continue;
      changed++;
      x0 = Math.min(x0, tx);
      x1 = Math.max(x1, tx);
      y0 = Math.min(y0, ty);
      y1 = ty;
    }
  }
  const region = changed === 0 ? undefined : tileSpan(x0, y0, x1, y1, tile, width, height);
  return { region, changedTiles: changed, totalTiles: cols * rows };
}
