// The resources layer's public API (re-exported by src/index.ts).
export { DeviceMismatchError, UnknownUniformFieldError, UniformValueError } from './errors.js';
export {
  UniformLayout, UniformWriter,
  type UniformField, type UniformFields, type UniformType, type UniformElementType, type UniformScalar, type UniformVector, type UniformMatrix,
} from './uniform-layout.js';
export { parseFormat, type BufferData, type ParsedFormat } from './format.js';
export { Buffer, type BufferOptions, type BufferWrite } from './buffer.js';
export {
  GlooBuffer, DataBuffer, VertexBuffer, IndexBuffer,
  type GlooDataOptions, type GlooSubdataOptions, type GlooAppliedOp, type DataBufferOptions, type VertexBufferOptions,
} from './gloo.js';
export { ALPHA_MODES, presetConfig, blendState, autoDepthWrite, autoRenderQueue, sortsFrontToBack, type AlphaMode, type AlphaMethod, type AlphaConfig } from './alpha.js';
export {
  Material, MeshBasicMaterial, MeshPhongMaterial, PointsMaterial, LineMaterial, COMPARES, MAX_CLIPPING_PLANES, MATERIAL_UNIFORM_BYTES,
  type MaterialOptions, type MeshPhongMaterialOptions, type PointsMaterialOptions, type LineMaterialOptions, type Compare, type Plane, type Color,
} from './material.js';
export { WorldObject, Group, Scene, DrawableObject, Mesh, Points, Line, type Geometry } from './objects.js';
export { planeGeometry, boxGeometry, sphereGeometry } from './geometry.js';
export {
  Camera, PerspectiveCamera, OrthographicCamera, type CameraOptions, type PerspectiveCameraOptions, type OrthographicCameraOptions,
} from './camera.js';
export { Renderer, type RendererOptions, type RenderStats } from './renderer.js';
export type { PickInfo } from './picking.js';
export type { Mat4, Vec3, Quat } from './mat4.js';
export { OrbitController, type OrbitOptions } from './orbit.js';
