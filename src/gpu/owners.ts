// WebGPU objects don't say which device made them, but readBuffer/readTexture need it to encode
// the copy. Every buffer and texture is recorded against its device as it is created (weakly:
// the record never keeps either alive). The webgpu package patches createBuffer the same way.
import { InvalidArgumentError } from '../errors.js';

const owners = new WeakMap<object, GPUDevice>();
const views = new WeakMap<GPUTextureView, { texture: GPUTexture; descriptor: GPUTextureViewDescriptor }>();
const PATCHED = Symbol.for('dawn-rfb.tracksOwners');

/** Patches a GPUDevice class so buffers and textures remember their device. Idempotent. */
export function trackOwners(deviceClass: { prototype: GPUDevice } | undefined): void {
  const proto = deviceClass?.prototype as (GPUDevice & { [PATCHED]?: boolean }) | undefined;
  if (!proto || proto[PATCHED]) return;
  const { createBuffer, createTexture } = proto;
  proto.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    const buffer = createBuffer.call(this, descriptor);
    owners.set(buffer, this);
    return buffer;
  };
  proto.createTexture = function (this: GPUDevice, descriptor: GPUTextureDescriptor) {
    const texture = createTexture.call(this, descriptor);
    owners.set(texture, this);
    return texture;
  };
  proto[PATCHED] = true;
}

/** Patches a GPUTexture class so views remember their texture and descriptor. Idempotent. */
export function trackViews(textureClass: { prototype: GPUTexture } | undefined): void {
  const proto = textureClass?.prototype as (GPUTexture & { [PATCHED]?: boolean }) | undefined;
  if (!proto || proto[PATCHED]) return;
  const { createView } = proto;
  proto.createView = function (this: GPUTexture, descriptor?: GPUTextureViewDescriptor) {
    const view = createView.call(this, descriptor);
    views.set(view, { texture: this, descriptor: { ...descriptor } });
    return view;
  };
  proto[PATCHED] = true;
}

/** The texture a view was created from, and the view's descriptor; undefined for unknown objects. */
export function viewOrigin(view: GPUTextureView): { texture: GPUTexture; descriptor: GPUTextureViewDescriptor } | undefined {
  return view !== null && typeof view === 'object' ? views.get(view) : undefined;
}

/** The device that created a buffer or texture. */
export function deviceOf(object: GPUBuffer | GPUTexture): GPUDevice {
  const device = owners.get(object);
  if (!device) {
    throw new InvalidArgumentError(`${(object as { constructor?: { name?: string } })?.constructor?.name ?? typeof object} was not created by a WebGPU device of this process (pass a GPUBuffer or GPUTexture)`);
  }
  return device;
}
