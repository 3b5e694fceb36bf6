// The colour format video encoders take: I420 (planar YUV 4:2:0), declared once. The matrix and
// the plane layout live here, and both conversions come from them: the GPU's compute pass
// (i420-convert.ts, whose WGSL is generated from MATRIX) and rgbaToI420 on the CPU (the
// reference the GPU pass is tested against, and what an encoder uses for a frame that came
// without planes). A video encoder given RGBA converts it itself (the npm package with
// libswscale, ffmpeg in its process): about 3.5 ms of CPU a frame at 1280x720 and 6-7 ms at
// 1920x1080 on the development machine, serial before x264's threads start (measured).

/**
 * RGB (each 0..1, as stored: sRGB-encoded) to Y'CbCr: BT.601, limited range. That is what x264
 * and libswscale assume for a stream that declares no colours, so a decoder shows these planes
 * as it showed the encoders' own conversion. Each row: the R, G and B weights, then the offset.
 */
export const MATRIX = {
  y: [65.481, 128.553, 24.966, 16],
  u: [-37.797, -74.203, 112, 128],
  v: [112, -93.786, -18.214, 128],
} as const;

/** Bytes of a tightly packed I420 frame: the Y plane, then U and V at a quarter of it each. */
export function i420Bytes(width: number, height: number): number {
  return width * height * 3 / 2;
}

/** Whether frames of this size have I420 planes: 4:2:0 needs even sides. */
export function fitsI420(width: number, height: number): boolean {
  return width % 2 === 0 && height % 2 === 0 && width > 0 && height > 0;
}

function channel(row: readonly number[], r: number, g: number, b: number): number {
  const v = Math.round(row[3]! + (row[0]! * r + row[1]! * g + row[2]! * b) / 255);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Converts RGBA pixels (width x height x 4 bytes, alpha ignored) to tightly packed I420 with
 * {@link MATRIX}: one Y per pixel, one U and one V per 2x2 block (the block's mean colour).
 * Returns `out` (allocated when not given).
 * @throws {RangeError} for odd sides or arrays of the wrong length.
 */
export function rgbaToI420(rgba: Uint8Array, width: number, height: number, out?: Uint8Array): Uint8Array {
  if (!fitsI420(width, height)) throw new RangeError(`I420 needs even sides, got ${width}x${height}`);
  if (rgba.length !== width * height * 4) throw new RangeError(`a ${width}x${height} RGBA frame has ${width * height * 4} bytes, got ${rgba.length}`);
  const size = i420Bytes(width, height);
  const planes = out ?? new Uint8Array(size);
  if (planes.length !== size) throw new RangeError(`a ${width}x${height} I420 frame has ${size} bytes, got ${planes.length}`);
  const uOffset = width * height;
  const vOffset = uOffset + uOffset / 4;
  const half = width / 2;
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of BLOCK) {
        const i = ((y + dy) * width + x + dx) * 4;
        const pr = rgba[i]!;
        const pg = rgba[i + 1]!;
        const pb = rgba[i + 2]!;
        planes[(y + dy) * width + x + dx] = channel(MATRIX.y, pr, pg, pb);
        r += pr;
        g += pg;
        b += pb;
      }
      const c = (y / 2) * half + x / 2;
      planes[uOffset + c] = channel(MATRIX.u, r / 4, g / 4, b / 4);
      planes[vOffset + c] = channel(MATRIX.v, r / 4, g / 4, b / 4);
    }
  }
  return planes;
}

const BLOCK = [[0, 0], [1, 0], [0, 1], [1, 1]] as const;
