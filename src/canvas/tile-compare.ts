// Which 64 px tiles of a canvas changed since its previous readback, found on the GPU: a
// readback copies the texture into one of two storage buffers (ping-pong), a compute pass
// compares it word by word with the other one (the previous frame) and sets a flag per tile,
// and both the pixels and the flags go to the CPU. The comparison then costs the CPU nothing and
// runs on the GPU alongside the copy, instead of a memcmp pass over two frames on the JS thread
// (the remote stream's dirty tiles). Everything is submitted in readback order on one queue, so
// each comparison sees exactly the previous read's pixels.

/**
 * Tile edge in pixels: of this comparison, and of the remote stream's dirty tiles (src/remote/
 * tiles.ts reads it from here, as remote builds on canvas), so flags from the GPU always describe
 * the tiles a partial frame is made of. 64: a multiple of JPEG's 16 px blocks (a partial JPEG's
 * blocks line up with a full one's), and one workgroup of 64 invocations per tile.
 */
export const COMPARE_TILE = 64;

/** What changed since the previous read, tile by tile. */
export interface TileChanges {
  /** The `readIndex` of the read compared with. */
  since: number;
  /** Tile edge in pixels. */
  tile: number;
  /** Tiles per row and rows of tiles. */
  cols: number;
  rows: number;
  /** One byte per tile, row by row: 1 changed, 0 the same. */
  changed: Uint8Array;
}

const SHADER = /* wgsl */ `
struct Params { strideWords: u32, width: u32, height: u32, cols: u32 };
@group(0) @binding(0) var<storage, read> current: array<u32>;
@group(0) @binding(1) var<storage, read> previous: array<u32>;
@group(0) @binding(2) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> p: Params;

// One workgroup per tile, one invocation per row of it.
@compute @workgroup_size(${COMPARE_TILE})
fn main(@builtin(workgroup_id) tile: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let y = tile.y * ${COMPARE_TILE}u + local.x;
  if (y >= p.height) { return; }
  let x0 = tile.x * ${COMPARE_TILE}u;
  let x1 = min(x0 + ${COMPARE_TILE}u, p.width);
  let row = y * p.strideWords;
  for (var x = x0; x < x1; x++) {
    if (current[row + x] != previous[row + x]) {
      atomicOr(&flags[tile.y * p.cols + tile.x], 1u);
      return;
    }
  }
}`;

interface Size {
  width: number;
  height: number;
  stride: number;
}

/** The GPU side of the comparison for one canvas: two frame buffers, the flags, the pipeline. */
export class TileCompare {
  readonly #device: GPUDevice;
  readonly #pipeline: GPUComputePipeline;
  #size: Size | undefined;
  #frames: [GPUBuffer, GPUBuffer] | undefined;
  #flags: GPUBuffer | undefined;
  #params: GPUBuffer | undefined;
  #bindGroups: [GPUBindGroup, GPUBindGroup] | undefined;
  #next = 0; // which frame buffer the next read copies into
  #hasPrevious = false;
  #current: GPUBuffer | undefined;

  constructor(device: GPUDevice) {
    this.#device = device;
    const module = device.createShaderModule({ label: 'dawn-rfb tile compare', code: SHADER });
    this.#pipeline = device.createComputePipeline({ label: 'dawn-rfb tile compare', layout: 'auto', compute: { module, entryPoint: 'main' } });
  }

  /** Whether frames of `bytes` (padded rows) fit a storage binding on this device. */
  fits(bytes: number): boolean {
    return bytes <= this.#device.limits.maxStorageBufferBindingSize && bytes <= this.#device.limits.maxBufferSize;
  }

  /** Tiles per row and rows for a frame size. */
  static grid(width: number, height: number): { cols: number; rows: number } {
    return { cols: Math.ceil(width / COMPARE_TILE), rows: Math.ceil(height / COMPARE_TILE) };
  }

  /**
   * Records, into `encoder`: the copy of `texture` into the next frame buffer, the comparison with
   * the previous one (when there is one of this size), and the copies of the frame into
   * `staging` and of the flags into `flagsStaging` (4 bytes per tile). Returns whether flags were
   * produced.
   */
  record(encoder: GPUCommandEncoder, texture: GPUTexture, stride: number, staging: GPUBuffer, flagsStaging: GPUBuffer): boolean {
    const { width, height } = texture;
    this.#resize({ width, height, stride });
    const frames = this.#frames!;
    const target = frames[this.#next]!;
    encoder.copyTextureToBuffer({ texture }, { buffer: target, bytesPerRow: stride, rowsPerImage: height }, [width, height]);
    const compared = this.#hasPrevious;
    if (compared) {
      const { cols, rows } = TileCompare.grid(width, height);
      encoder.clearBuffer(this.#flags!);
      const pass = encoder.beginComputePass({ label: 'dawn-rfb tile compare' });
      pass.setPipeline(this.#pipeline);
      pass.setBindGroup(0, this.#bindGroups![this.#next]!);
      pass.dispatchWorkgroups(cols, rows);
      pass.end();
      encoder.copyBufferToBuffer(this.#flags!, 0, flagsStaging, 0, cols * rows * 4);
    }
    encoder.copyBufferToBuffer(target, 0, staging, 0, stride * height);
    this.#current = target;
    this.#next = 1 - this.#next;
    this.#hasPrevious = true;
    return compared;
  }

  /** The storage buffer the last {@link record} copied the frame into (a compute pass may read it next). */
  get current(): GPUBuffer | undefined {
    return this.#current;
  }

  /** Flag buffer bytes for a frame size (what `flagsStaging` must hold). */
  static flagBytes(width: number, height: number): number {
    const { cols, rows } = TileCompare.grid(width, height);
    return cols * rows * 4;
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    for (const b of [...(this.#frames ?? []), this.#flags, this.#params]) b?.destroy();
    this.#frames = undefined;
    this.#current = undefined;
    this.#size = undefined;
    this.#hasPrevious = false;
  }

  #resize(size: Size): void {
    const s = this.#size;
    if (s && s.width === size.width && s.height === size.height && s.stride === size.stride) return;
    this.destroy();
    const device = this.#device;
    const bytes = size.stride * size.height;
    const frame = (): GPUBuffer => device.createBuffer({
      label: 'dawn-rfb tile compare frame', size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
    this.#frames = [frame(), frame()];
    this.#flags = device.createBuffer({
      label: 'dawn-rfb tile flags', size: TileCompare.flagBytes(size.width, size.height), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.#params = device.createBuffer({ label: 'dawn-rfb tile compare params', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(this.#params, 0, new Uint32Array([size.stride / 4, size.width, size.height, TileCompare.grid(size.width, size.height).cols]));
    const layout = this.#pipeline.getBindGroupLayout(0);
    // Bind group i compares frame buffer i (just written) with the other one.
    const group = (i: 0 | 1): GPUBindGroup => device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: this.#frames![i] } },
        { binding: 1, resource: { buffer: this.#frames![1 - i]! } },
        { binding: 2, resource: { buffer: this.#flags! } },
        { binding: 3, resource: { buffer: this.#params! } },
      ],
    });
    this.#bindGroups = [group(0), group(1)];
    this.#next = 0;
    this.#size = size;
  }
}
