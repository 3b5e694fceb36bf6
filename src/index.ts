/// <reference types="@webgpu/types" preserve="true" />
/// <reference types="node" preserve="true" />
// dawn-rfb's public API. The references keep the published types whole for a consumer whose
// compiler includes no @types by default (TypeScript >= 6: `types: []`); for TypeScript >= 6 the
// build drops the @webgpu/types one (scripts/build-dom-types.mjs).
export * from './errors.js';
export { setReporter, reportError, endReportScope, type Reporter } from './report.js';
export {
  requestAdapter, enumerateAdapters, formatAdapterSummary, type FeatureLevel, type AdapterOptions,
  type AdapterSummary, type FoundAdapter, type EnumeratedAdapter, type EnumerateOptions,
} from './gpu/adapter.js';
export { BACKENDS, parseBackends, parseWgpuBackendType, resolveBackends, type Backend } from './gpu/backends.js';
export {
  requestDevice, getDefaultDevice, deviceSummary, deviceAdapter, adapterSummary, type DeviceOptions,
} from './gpu/device.js';
export { installWebGpuGlobals } from './gpu/globals.js';
export { createBufferWithData, readBuffer, type BufferSource } from './gpu/buffers.js';
export { readMapped, writeMapped } from './gpu/mapped.js';
export { readTexture, texelBytes, textureSize, textureViewSize, viewTexture, type ReadTextureLayout } from './gpu/textures.js';
export { computeWithBuffers, type ComputeOptions, type OutputSpec, type OutputArray, type TypedArrayConstructor } from './gpu/compute.js';
export * from './canvas/events.js';
export { EventEmitter, mergeEvents, type EventHandler, type EventControl, type HandlerFor } from './canvas/emitter.js';
export { UPDATE_MODES, type UpdateMode, type ScheduleOptions } from './canvas/scheduler.js';
export { CanvasContext, type ContextConfiguration, type GpuPassChoice, type ReadbackOptions } from './canvas/context.js';
export type { Pixels } from './canvas/readback.js';
export { CanvasBase, CURSORS, type Cursor, type CanvasOptions, type Frame } from './canvas/base.js';
export { OffscreenCanvas } from './canvas/offscreen.js';
export { encodeFrame, encodeFrameParts, checkQuality, IMAGE_FORMATS, MIME_TYPES, type ImageFormat, type EncodeOptions, type EncodedImage, type EncodedParts, type PngEffort } from './remote/frames/image-encoder.js';
export {
  PROTOCOL_VERSION, MAX_FRAME_PARTS, COMM_METADATA, CloseCode, MAX_CLIENT_MESSAGE_BYTES, MAX_COORDINATE, WIRE_EVENT_TYPES, ProtocolError,
  MIN_DISPLAY_HZ, MAX_DISPLAY_HZ, MAX_HELD_MS,
  encodeFrameHeader, decodeFrameMessage, parseClientMessage, parseEvent, socketPath, VIDEO_CODECS, videoCodecString, type VideoCodecName,
  type FrameHeader, type FramePart, type FramePartLayout, type DecodedFrameMessage, type ServerMessage, type ClientMessage, type DisplayMessage, type HelloMessage, type WireEvent, type WireEventType,
} from './remote/protocol.js';
export { getServer, FrameServer, type ServerOptions } from './remote/transport/server.js';
export { websocketChannel, type ViewChannel, type WebSocketLike } from './remote/transport/channel.js';
export type { ViewStats } from './remote/transport/view.js';
export { RemoteCanvas, type RemoteCanvasOptions, type RemoteCanvasStats } from './remote/canvas.js';
export { VideoEncoderError } from './remote/frames/video-encoder.js';
export { Recording, RecordingSession, FileExistsError, RECORD_OPTION_NAMES, START_RECORDING_OPTION_NAMES, RECORDING_FORMATS, MAX_RECORD_SECONDS, MAX_RECORD_FPS, type RecordOptions, type StartRecordingOptions, type RecordingFormat, type RecordingEnd, type SaveOptions } from './remote/recording.js';
export * from './resources/index.js';
export {
  compareImages, resolveCompareOptions,
  type CompareOptions, type ResolvedCompareOptions, type ComparisonResult, type PixelComparison, type SizeMismatch, type ComparisonImages, type MaskRect,
} from './testing/compare.js';
export { decodeImage, DEFAULT_MAX_DECODE_PIXELS, encodePng, type DecodeOptions, type ImageInput, type RgbaImage } from './testing/image.js';
export { ImageDecodeError, NotebookTestError, KernelDiedError } from './testing/errors.js';
export { adapterClassOf, currentAdapterClass, ADAPTER_CLASS_ENV } from './testing/adapter-class.js';
export { SNAPSHOT_UPDATE_MODES, UPDATE_MODE_ENV, parseUpdateMode, resolveUpdateMode, type SnapshotUpdateMode } from './testing/update-mode.js';
export { checkBaseline, describeComparison, type BaselineCheck, type BaselineStatus, type CheckBaselineOptions, type Artifacts } from './testing/baseline.js';
export { testNotebooks, type TestNotebooksOptions, type TestNotebooksResult } from './testing/notebook/index.js';
export { NotebookInputError, type CellTestOptions } from './testing/notebook/read.js';
export type { TestSummary, NotebookResult, CellResult, ImageResult, TextResult } from './testing/notebook/types.js';

declare global {
  /**
   * An empty declaration that merges with the DOM lib's VideoFrame where there is one. It is
   * here for TypeScript 5.0 (tslab's compiler), whose DOM lib lacks VideoFrame although
   * @webgpu/types names it: without it a consumer with `skipLibCheck: false` gets
   * "Cannot find name 'VideoFrame'" inside @webgpu/types. dawn-rfb itself never uses it.
   */
  interface VideoFrame {}
}
