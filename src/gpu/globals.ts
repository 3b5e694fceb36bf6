// WebGPU's global constants (GPUBufferUsage, GPUTextureUsage, GPUMapMode, GPUShaderStage, ...)
// exist in browsers, and code written for the web expects them; Node has none. Defining them, and
// patching GPUDevice so buffers and textures remember their device (and GPUTexture so views
// remember their texture), is an explicit step: importing
// dawn-rfb changes nothing global. requestAdapter() takes the step (so every device dawn-rfb
// hands out works with it); call installWebGpuGlobals() to take it without one.
import { globals } from 'webgpu';
import { trackOwners, trackViews } from './owners.js';

let installed = false;

/**
 * Defines WebGPU's global constants and classes that are missing from `globalThis` (never
 * replacing one that exists), and makes buffers and textures created from now on remember their
 * device (for `readBuffer` / `readTexture`). Idempotent; `requestAdapter`, `requestDevice` and
 * `getDefaultDevice` call it.
 */
export function installWebGpuGlobals(): void {
  if (installed) return;
  installed = true;
  for (const [name, value] of Object.entries(globals as Record<string, unknown>)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  trackOwners((globals as { GPUDevice?: { prototype: GPUDevice } }).GPUDevice);
  // Views remember their texture (for viewTexture / textureViewSize).
  trackViews((globals as { GPUTexture?: { prototype: GPUTexture } }).GPUTexture);
}
