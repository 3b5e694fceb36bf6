// Reading textures back to the CPU. WebGPU demands bytesPerRow be a multiple of 256 for
// texture-to-buffer copies; these helpers hide that: the caller gets tightly packed rows (or the
// layout it asked for), whatever the width.
import { InvalidArgumentError } from '../errors.js';
import { deviceOf, viewOrigin } from './owners.js';
import { checked, mapBuffer } from './scopes.js';

/** WebGPU's alignment of bytesPerRow in texture/buffer copies. */
export const COPY_BYTES_PER_ROW_ALIGNMENT = 256;

// Bytes per texel of the uncompressed formats a copy can read back.
const TEXEL_BYTES: Record<string, number> = {
  r8unorm: 1, r8snorm: 1, r8uint: 1, r8sint: 1, stencil8: 1,
  rg8unorm: 2, rg8snorm: 2, rg8uint: 2, rg8sint: 2, r16uint: 2, r16sint: 2, r16float: 2,
  r16unorm: 2, r16snorm: 2, depth16unorm: 2,
  rgba8unorm: 4, 'rgba8unorm-srgb': 4, rgba8snorm: 4, rgba8uint: 4, rgba8sint: 4,
  bgra8unorm: 4, 'bgra8unorm-srgb': 4, rgb10a2unorm: 4, rgb10a2uint: 4, rg11b10ufloat: 4,
  rgb9e5ufloat: 4, rg16uint: 4, rg16sint: 4, rg16float: 4, rg16unorm: 4, rg16snorm: 4,
  r32uint: 4, r32sint: 4, r32float: 4, depth32float: 4,
  rg32uint: 8, rg32sint: 8, rg32float: 8, rgba16uint: 8, rgba16sint: 8, rgba16float: 8,
  rgba16unorm: 8, rgba16snorm: 8,
  rgba32uint: 16, rgba32sint: 16, rgba32float: 16,
};

/** Bytes per texel of an uncompressed texture format; throws for others. */
export function texelBytes(format: GPUTextureFormat): number {
  const n = TEXEL_BYTES[format];
  if (n === undefined) {
    throw new InvalidArgumentError(`cannot read back texture format "${format}": only uncompressed color and depth32float/depth16unorm/stencil8 formats are supported`);
  }
  return n;
}

/** Rounds a row's byte length up to WebGPU's 256-byte copy alignment. */
export function alignedBytesPerRow(bytesPerRow: number): number {
  return Math.ceil(bytesPerRow / COPY_BYTES_PER_ROW_ALIGNMENT) * COPY_BYTES_PER_ROW_ALIGNMENT;
}

/**
 * Copies `rows` rows of `rowBytes` bytes from `src` (rows `srcStride` apart) to `dst` (rows
 * `dstStride` apart, starting at `dstOffset`): strips the copy padding in one pass.
 */
export function copyRows(src: Uint8Array, srcStride: number, dst: Uint8Array, dstOffset: number,
  dstStride: number, rowBytes: number, rows: number): void {
  if (srcStride === rowBytes && dstStride === rowBytes) {
    dst.set(src.subarray(0, rowBytes * rows), dstOffset);
    return;
  }
  for (let y = 0; y < rows; y++) {
    dst.set(src.subarray(y * srcStride, y * srcStride + rowBytes), dstOffset + y * dstStride);
  }
}

/** Where in the returned array {@link readTexture} puts the data. All fields optional. */
export interface ReadTextureLayout {
  /** Byte offset of the first texel in the result. Default 0. */
  offset?: number;
  /** Bytes from one row to the next. Default: width x bytes per texel (no alignment needed). */
  bytesPerRow?: number;
  /** Rows from one image (depth slice) to the next. Default: the copy height. */
  rowsPerImage?: number;
}

function extent(size: GPUExtent3D): [number, number, number] {
  if (size === null || typeof size !== 'object') throw new InvalidArgumentError(`readTexture: size must be [width, height?, depth?] or { width, height, depthOrArrayLayers }, got ${String(size)}`);
  const [w, h = 1, d = 1] = Array.isArray(size)
    ? (size as number[])
    : [(size as GPUExtent3DDict).width, (size as GPUExtent3DDict).height, (size as GPUExtent3DDict).depthOrArrayLayers];
  for (const [name, v] of [['width', w], ['height', h], ['depthOrArrayLayers', d]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`readTexture: size.${name} must be a positive integer, got ${v}`);
  }
  return [w!, h, d];
}

/**
 * Reads a region of a texture into a new Uint8Array, in the layout asked for (tightly packed by
 * default). Unlike `copyTextureToBuffer`, any `bytesPerRow` works: the 256-byte padding is
 * handled here. The texture needs `COPY_SRC` usage.
 * @param source texture, mip level, origin and aspect, as in `copyTextureToBuffer`.
 * @param layout where to put the data in the result; see {@link ReadTextureLayout}.
 * @param size width, height and depth of the region.
 */
export async function readTexture(source: GPUTexelCopyTextureInfo, layout: ReadTextureLayout = {},
  size?: GPUExtent3D): Promise<Uint8Array> {
  if (source === null || typeof source !== 'object') throw new InvalidArgumentError('readTexture: source must be { texture, mipLevel?, origin?, aspect? }');
  checkTexture(source.texture, 'readTexture: source.texture');
  if (layout === null || typeof layout !== 'object') throw new InvalidArgumentError('readTexture: layout must be an object { offset?, bytesPerRow?, rowsPerImage? }');
  if (size === undefined) throw new InvalidArgumentError('readTexture: size is required: [width, height?, depthOrArrayLayers?] or { width, height, depthOrArrayLayers }');
  const device = deviceOf(source.texture);
  const [width, height, depth] = extent(size);
  const bpt = texelBytes(source.texture.format);
  const rowBytes = width * bpt;
  const offset = layout.offset ?? 0;
  const dstStride = layout.bytesPerRow ?? rowBytes;
  const rowsPerImage = layout.rowsPerImage ?? height;
  if (!Number.isInteger(offset) || offset < 0) throw new InvalidArgumentError(`readTexture: layout.offset must be a non-negative integer, got ${offset}`);
  if (!Number.isInteger(dstStride) || dstStride < rowBytes) throw new InvalidArgumentError(`readTexture: layout.bytesPerRow must be an integer >= ${rowBytes} (width x ${bpt} bytes), got ${dstStride}`);
  if (!Number.isInteger(rowsPerImage) || rowsPerImage < height) throw new InvalidArgumentError(`readTexture: layout.rowsPerImage must be an integer >= ${height}, got ${rowsPerImage}`);

  const srcStride = alignedBytesPerRow(rowBytes);
  const staging = device.createBuffer({
    label: 'dawn-rfb readTexture staging',
    size: srcStride * height * depth,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  try {
    await checked(device, 'readTexture', () => {
      const encoder = device.createCommandEncoder({ label: 'dawn-rfb readTexture' });
      encoder.copyTextureToBuffer(source, { buffer: staging, bytesPerRow: srcStride, rowsPerImage: height }, [width, height, depth]);
      device.queue.submit([encoder.finish()]);
    });
    await mapBuffer(staging, GPUMapMode.READ, 'readTexture');
    const src = new Uint8Array(staging.getMappedRange());
    const out = new Uint8Array(offset + dstStride * (rowsPerImage * (depth - 1) + height - 1) + rowBytes);
    for (let z = 0; z < depth; z++) {
      copyRows(src.subarray(z * srcStride * height), srcStride, out, offset + z * rowsPerImage * dstStride, dstStride, rowBytes, height);
    }
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}

// ---- sizes of textures and views (the seed's GPUTexture.size, GPUTextureView.size/.texture) ---

function checkTexture(texture: unknown, what: string): asserts texture is GPUTexture {
  if (texture === null || typeof texture !== 'object' || typeof (texture as GPUTexture).createView !== 'function') {
    throw new InvalidArgumentError(`${what}: expected a GPUTexture, got ${texture === null ? 'null' : typeof texture}`);
  }
}

/** A texture's size: [width, height, depthOrArrayLayers] (the seed's `GPUTexture.size`). */
export function textureSize(texture: GPUTexture): [number, number, number] {
  checkTexture(texture, 'textureSize');
  return [texture.width, texture.height, texture.depthOrArrayLayers];
}

/**
 * The texture a view was created from (the seed's `GPUTextureView.texture`); works for the
 * canvas's views too (`context.getCurrentTexture().createView()`).
 * @throws {InvalidArgumentError} for objects that are not views made in this process.
 */
export function viewTexture(view: GPUTextureView): GPUTexture {
  const origin = viewOrigin(view);
  if (!origin) throw new InvalidArgumentError('viewTexture: expected a GPUTextureView made with texture.createView() in this process');
  return origin.texture;
}

/**
 * A view's size: [width, height, depthOrArrayLayers] of the mip level it starts at, and the
 * layers it covers (the seed's `GPUTextureView.size`, which is what a render pass on it draws to).
 * @throws {InvalidArgumentError} for objects that are not views made in this process.
 */
export function textureViewSize(view: GPUTextureView): [number, number, number] {
  const origin = viewOrigin(view);
  if (!origin) throw new InvalidArgumentError('textureViewSize: expected a GPUTextureView made with texture.createView() in this process');
  const { texture, descriptor } = origin;
  const mip = descriptor.baseMipLevel ?? 0;
  const width = Math.max(1, texture.width >> mip);
  const height = texture.dimension === '1d' ? 1 : Math.max(1, texture.height >> mip);
  const depth = texture.dimension === '3d'
    ? Math.max(1, texture.depthOrArrayLayers >> mip)
    : descriptor.arrayLayerCount ?? (descriptor.dimension === undefined || descriptor.dimension.endsWith('array') || descriptor.dimension.startsWith('cube')
      ? texture.depthOrArrayLayers - (descriptor.baseArrayLayer ?? 0) : 1);
  return [width, height, depth];
}
