// Pipeline cache: one GPURenderPipeline per distinct pipeline-shaping state (material key,
// geometry layout, target format, sample count, pass). Cheap material changes never land here.
import { blendState } from './alpha.js';
import type { Material } from './material.js';
import type { DrawableObject } from './objects.js';
import { shaderCode, type ShaderVariant } from './wgsl.js';
import { ShaderStage, COLOR_WRITE_ALL } from './usage.js';

/** Formats and sample count of the pass a pipeline draws in. */
export interface PassTargets {
  colorFormat: GPUTextureFormat;
  sampleCount: number;
  pass: 'main' | 'weighted';
}

/** Depth format of the renderer's depth buffer. */
export const DEPTH_FORMAT: GPUTextureFormat = 'depth24plus';
/** Format of the pick texture: object id, index low 16 bits, index high 16 bits, written flag. */
export const PICK_FORMAT: GPUTextureFormat = 'rgba16uint';
/** Formats of the weighted-transparency targets. */
export const ACCUM_FORMAT: GPUTextureFormat = 'rgba16float';
export const REVEAL_FORMAT: GPUTextureFormat = 'r8unorm';

/** Caches render pipelines by key. */
export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #layout: GPUBindGroupLayout;
  readonly #pipelineLayout: GPUPipelineLayout;
  readonly #pipelines = new Map<string, GPURenderPipeline>();
  readonly #modules = new Map<string, GPUShaderModule>();
  /** How many pipelines were created (a changed opacity must not add one). */
  created = 0;

  constructor(device: GPUDevice) {
    this.#device = device;
    const entry = (binding: number): GPUBindGroupLayoutEntry => ({
      binding, visibility: ShaderStage.VERTEX | ShaderStage.FRAGMENT, buffer: { type: 'uniform' },
    });
    this.#layout = device.createBindGroupLayout({ label: 'dawn-rfb resources', entries: [entry(0), entry(1), entry(2)] });
    this.#pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [this.#layout] });
  }

  /** The bind group layout every pipeline uses: camera, object, material uniforms. */
  get bindGroupLayout(): GPUBindGroupLayout {
    return this.#layout;
  }
  /** Number of cached pipelines. */
  get size(): number {
    return this.#pipelines.size;
  }

  /** The pipeline for drawing `object` in a pass with `targets`. */
  get(object: DrawableObject, targets: PassTargets): GPURenderPipeline {
    const m = object.material;
    const g = object.geometry;
    const variant: ShaderVariant = {
      kind: m.kind,
      hasNormals: m.kind === 'phong' && g.normals !== undefined,
      hasColors: g.colors !== undefined,
      indexed: g.indices !== undefined && m.kind !== 'points',
      lineMode: m.kind === 'line' ? (m as unknown as { mode: 'strip' | 'segments' }).mode : 'segments',
      alpha: m.alphaConfig,
      pass: targets.pass,
      materialUniforms: m.uniformLayout,
    };
    const stripIndex = variant.kind === 'line' && variant.lineMode === 'strip' && variant.indexed ? g.indices!.indexFormat : undefined;
    const key = JSON.stringify([m.pipelineKey(), variant.hasNormals, variant.hasColors, variant.indexed, g.colors?.format, stripIndex, targets]);
    let pipeline = this.#pipelines.get(key);
    if (!pipeline) {
      pipeline = this.#create(variant, m, targets, stripIndex, g.colors?.itemsize);
      this.#pipelines.set(key, pipeline);
      this.created++;
    }
    return pipeline;
  }

  #create(v: ShaderVariant, m: Material, t: PassTargets, stripIndex: GPUIndexFormat | undefined, colorSize: number | undefined): GPURenderPipeline {
    const code = shaderCode(v);
    let module = this.#modules.get(code);
    if (!module) {
      module = this.#device.createShaderModule({ label: `dawn-rfb ${v.kind} shader`, code });
      this.#modules.set(code, module);
    }
    const stepMode: GPUVertexStepMode = v.kind === 'points' ? 'instance' : 'vertex';
    const buffers: GPUVertexBufferLayout[] = [{ arrayStride: 12, stepMode, attributes: [{ shaderLocation: 0, offset: 0, format: 'float32x3' }] }];
    if (v.hasNormals) buffers.push({ arrayStride: 12, stepMode, attributes: [{ shaderLocation: 1, offset: 0, format: 'float32x3' }] });
    if (v.hasColors) {
      buffers.push({ arrayStride: colorSize!, stepMode, attributes: [{ shaderLocation: 2, offset: 0, format: colorSize === 16 ? 'float32x4' : 'float32x3' }] });
    }
    const pickTarget: GPUColorTargetState = { format: PICK_FORMAT, writeMask: m.pickWrite ? COLOR_WRITE_ALL : 0 };
    const targets: GPUColorTargetState[] = t.pass === 'weighted'
      ? [
        { format: ACCUM_FORMAT, blend: { color: { srcFactor: 'one', dstFactor: 'one' }, alpha: { srcFactor: 'one', dstFactor: 'one' } } },
        { format: REVEAL_FORMAT, blend: { color: { srcFactor: 'zero', dstFactor: 'one-minus-src' }, alpha: { srcFactor: 'zero', dstFactor: 'one-minus-src' } } },
        pickTarget,
      ]
      : [{ format: t.colorFormat, blend: blendState(v.alpha) }, pickTarget];
    const topology: GPUPrimitiveTopology = v.kind === 'line' ? (v.lineMode === 'strip' ? 'line-strip' : 'line-list') : 'triangle-list';
    return this.#device.createRenderPipeline({
      label: `dawn-rfb ${v.kind} ${v.alpha.mode} ${t.pass}`,
      layout: this.#pipelineLayout,
      vertex: { module, entryPoint: 'vs', buffers },
      fragment: { module, entryPoint: 'fs', targets },
      primitive: { topology, cullMode: 'none', stripIndexFormat: stripIndex },
      depthStencil: {
        format: DEPTH_FORMAT,
        depthCompare: m.gpuDepthCompare,
        // The weighted pass tests against the opaque depth but never writes it.
        depthWriteEnabled: t.pass === 'weighted' ? false : m.depthWrite,
      },
      multisample: { count: t.sampleCount },
    });
  }
}
