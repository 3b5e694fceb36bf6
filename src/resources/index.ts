// The resources layer's public API (re-exported by src/index.ts).
export { DeviceMismatchError } from './errors.js';
export { parseFormat, type BufferData, type ParsedFormat } from './format.js';
export { Buffer, type BufferOptions, type BufferWrite } from './buffer.js';
export {
  GlooBuffer, DataBuffer, VertexBuffer, IndexBuffer,
  type GlooDataOptions, type GlooSubdataOptions, type GlooAppliedOp, type DataBufferOptions, type VertexBufferOptions,
} from './gloo.js';
