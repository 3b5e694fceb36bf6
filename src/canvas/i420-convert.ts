// A frame's I420 planes made on the GPU, during the readback: a compute pass reads the frame's
// RGBA words (a storage copy of the texture, the one the tile comparison uses when it runs) and
// writes the Y, U and V planes, which go to the CPU with the pixels in the same map. A video
// encoder then takes the planes as they are, so the RGB -> YUV conversion (the encoder's serial
// step before x264's threads) and 2.7x the bytes through the encoder's input are gone. On a
// software GPU the pass runs on the CPU's cores and costs more than the encoder's conversion
// (lavapipe at 1280x720: 6.5-8 ms of CPU against 3.5: measured), so it is for hardware GPUs.
import { MATRIX, fitsI420, i420Bytes } from './i420.js';

/** Pixels per invocation: 8 x 2, so each writes whole 32-bit words of every plane. */
const BLOCK_W = 8;
/** Invocations per workgroup, along a row of blocks. */
const GROUP = 64;

/** Where the planes lie in the pass's output (rows padded to whole blocks). */
export interface I420Layout {
  /** Bytes per row of the Y plane (the width rounded up to 8). */
  strideY: number;
  /** Bytes per row of the U and V planes (half of strideY). */
  strideC: number;
  /** Where the U plane starts (after the Y plane), in bytes. */
  offsetU: number;
  /** Where the V plane starts (after the U plane), in bytes. */
  offsetV: number;
  /** Bytes of all three planes. */
  bytes: number;
}

/** The padded layout of a frame's planes in the pass's output. */
export function i420Layout(width: number, height: number): I420Layout {
  const strideY = Math.ceil(width / BLOCK_W) * BLOCK_W;
  const strideC = strideY / 2;
  const offsetU = strideY * height;
  const offsetV = offsetU + strideC * (height / 2);
  return { strideY, strideC, offsetU, offsetV, bytes: offsetV + strideC * (height / 2) };
}

/** Copies planes of the padded `layout` (from the mapped staging) into a tight I420 array. */
export function unpackI420(padded: Uint8Array, width: number, height: number, layout: I420Layout): Uint8Array {
  const out = new Uint8Array(i420Bytes(width, height));
  if (layout.strideY === width) {
    out.set(padded.subarray(0, out.length)); // no padding: the layout is already tight
    return out;
  }
  const half = width / 2;
  for (let y = 0; y < height; y++) out.set(padded.subarray(y * layout.strideY, y * layout.strideY + width), y * width);
  const u = width * height;
  const v = u + u / 4;
  for (let y = 0; y < height / 2; y++) {
    out.set(padded.subarray(layout.offsetU + y * layout.strideC, layout.offsetU + y * layout.strideC + half), u + y * half);
    out.set(padded.subarray(layout.offsetV + y * layout.strideC, layout.offsetV + y * layout.strideC + half), v + y * half);
  }
  return out;
}

const f32 = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));
const weights = (row: readonly number[]): string => `vec3f(${row.slice(0, 3).map(f32).join(', ')})`;
const level = (row: readonly number[], c: string): string => `u32(clamp(round(${f32(row[3]!)} + dot(${c}, ${weights(row)})), 0.0, 255.0))`;
const word = (values: string[]): string => values.map((v, i) => (i === 0 ? v : `(${v} << ${8 * i}u)`)).join(' | ');

// Unrolled (one block's 16 pixels by name): with arrays and loops lavapipe's compiler ran the
// pass 3x slower, and the pass is the same on any GPU either way.
function shader(): string {
  const loads: string[] = [];
  const top: string[] = [];
  const bottom: string[] = [];
  for (let i = 0; i < BLOCK_W; i++) {
    loads.push(`  let a${i} = px(r0, x0 + ${i}u);`, `  let b${i} = px(r1, x0 + ${i}u);`);
    top.push(level(MATRIX.y, `a${i}`));
    bottom.push(level(MATRIX.y, `b${i}`));
  }
  const means = [0, 1, 2, 3].map((j) => `  let m${j} = (a${2 * j} + a${2 * j + 1} + b${2 * j} + b${2 * j + 1}) * 0.25;`);
  const chroma = (row: readonly number[]): string => word([0, 1, 2, 3].map((j) => level(row, `m${j}`)));
  return /* wgsl */ `
struct Params { width: u32, height: u32, strideWords: u32, swap: u32, strideY: u32, strideC: u32, offsetU: u32, offsetV: u32 };
@group(0) @binding(0) var<storage, read> frame: array<u32>;
@group(0) @binding(1) var<storage, read_write> planes: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

// One pixel's RGB (0..1, as stored); columns past the width repeat the last one (padding).
fn px(row: u32, x: u32) -> vec3f {
  let c = unpack4x8unorm(frame[row + min(x, p.width - 1u)]);
  return select(c.rgb, c.bgr, p.swap == 1u);
}

@compute @workgroup_size(${GROUP})
fn main(@builtin(global_invocation_id) id: vec3u) {
  let x0 = id.x * ${BLOCK_W}u;
  let y0 = id.y * 2u;
  if (x0 >= p.width || y0 >= p.height) { return; }
  let r0 = y0 * p.strideWords;
  let r1 = r0 + p.strideWords;
${loads.join('\n')}
  let yw = (y0 * p.strideY + x0) / 4u;
  planes[yw] = ${word(top.slice(0, 4))};
  planes[yw + 1u] = ${word(top.slice(4))};
  planes[yw + p.strideY / 4u] = ${word(bottom.slice(0, 4))};
  planes[yw + p.strideY / 4u + 1u] = ${word(bottom.slice(4))};
${means.join('\n')}
  let cw = (id.y * p.strideC + x0 / 2u) / 4u;
  planes[p.offsetU / 4u + cw] = ${chroma(MATRIX.u)};
  planes[p.offsetV / 4u + cw] = ${chroma(MATRIX.v)};
}`;
}

interface Setup {
  width: number;
  height: number;
  stride: number;
  swap: boolean;
  layout: I420Layout;
  planes: GPUBuffer;
  params: GPUBuffer;
  /** Per source buffer (the tile comparison alternates between two). */
  bindGroups: Map<GPUBuffer, GPUBindGroup>;
}

/** The GPU side of the conversion for one canvas: the pipeline, the output buffer, a source copy when needed. */
export class I420Convert {
  readonly #device: GPUDevice;
  readonly #pipeline: GPUComputePipeline;
  #setup: Setup | undefined;
  /** The storage copy of the frame, when the conversion makes its own (no tile comparison). */
  #ownSource: GPUBuffer | undefined;

  constructor(device: GPUDevice) {
    this.#device = device;
    const module = device.createShaderModule({ label: 'dawn-rfb i420 convert', code: shader() });
    this.#pipeline = device.createComputePipeline({ label: 'dawn-rfb i420 convert', layout: 'auto', compute: { module, entryPoint: 'main' } });
  }

  /**
   * Whether frames of this size (rows of `stride` bytes) can be converted on this device: even
   * sides, the frame and its planes within a storage binding, and the readback's one staging
   * buffer for both within the largest buffer (a frame too large for that is read without planes).
   */
  fits(width: number, height: number, stride: number): boolean {
    if (!fitsI420(width, height)) return false;
    const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = this.#device.limits;
    const frame = stride * height;
    const planes = i420Layout(width, height).bytes;
    return frame <= Math.min(binding, buffer) && planes <= Math.min(binding, buffer) && frame + planes <= buffer;
  }

  /**
   * A storage buffer to copy a frame of `bytes` into, for {@link record} to read (when no tile
   * comparison made one): kept while frames keep that size.
   */
  sourceBuffer(bytes: number): GPUBuffer {
    if (this.#ownSource?.size !== bytes) {
      this.#ownSource?.destroy();
      this.#ownSource = this.#device.createBuffer({
        label: 'dawn-rfb i420 source frame', size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      });
    }
    return this.#ownSource;
  }

  /**
   * Records, into `encoder`, the conversion of the frame in `source` (RGBA or BGRA words, rows of
   * `stride` bytes) and the copy of its planes into `staging` at `offset`, in the layout
   * {@link i420Layout} gives. Call {@link fits} first.
   */
  record(encoder: GPUCommandEncoder, source: GPUBuffer, frame: { width: number; height: number; stride: number; bgra: boolean }, staging: GPUBuffer, offset: number): I420Layout {
    const setup = this.#prepare(source, frame.width, frame.height, frame.stride, frame.bgra);
    const pass = encoder.beginComputePass({ label: 'dawn-rfb i420 convert' });
    pass.setPipeline(this.#pipeline);
    pass.setBindGroup(0, setup.bindGroup);
    pass.dispatchWorkgroups(Math.ceil(Math.ceil(frame.width / BLOCK_W) / GROUP), frame.height / 2);
    pass.end();
    encoder.copyBufferToBuffer(setup.planes, 0, staging, offset, setup.layout.bytes);
    return setup.layout;
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    for (const b of [this.#setup?.planes, this.#setup?.params, this.#ownSource]) b?.destroy();
    this.#setup = undefined;
    this.#ownSource = undefined;
  }

  #prepare(source: GPUBuffer, width: number, height: number, stride: number, swap: boolean): { layout: I420Layout; planes: GPUBuffer; bindGroup: GPUBindGroup } {
    let s = this.#setup;
    if (!s || s.width !== width || s.height !== height || s.stride !== stride || s.swap !== swap) {
      const device = this.#device;
      const layout = i420Layout(width, height);
      let planes = s?.planes;
      if (!planes || planes.size !== layout.bytes) {
        planes?.destroy();
        planes = device.createBuffer({ label: 'dawn-rfb i420 planes', size: layout.bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      }
      const params = s?.params ?? device.createBuffer({ label: 'dawn-rfb i420 params', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(params, 0, new Uint32Array([width, height, stride / 4, swap ? 1 : 0, layout.strideY, layout.strideC, layout.offsetU, layout.offsetV]));
      s = this.#setup = { width, height, stride, swap, layout, planes, params, bindGroups: new Map() };
    }
    let bindGroup = s.bindGroups.get(source);
    if (!bindGroup) {
      if (s.bindGroups.size >= 3) s.bindGroups.clear(); // the comparison's two, its own: others are gone
      bindGroup = this.#device.createBindGroup({
        layout: this.#pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: source } },
          { binding: 1, resource: { buffer: s.planes } },
          { binding: 2, resource: { buffer: s.params } },
        ],
      });
      s.bindGroups.set(source, bindGroup);
    }
    return { layout: s.layout, planes: s.planes, bindGroup };
  }
}
