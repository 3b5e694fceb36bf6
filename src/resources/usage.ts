// WebGPU's flag values (from the spec), so resources can be created before any device exists:
// importing dawn-rfb defines no globals (GPUBufferUsage & co. appear only with a device).

/** GPUBufferUsage flags. */
export const BufferUsage = { COPY_SRC: 0x4, COPY_DST: 0x8, INDEX: 0x10, VERTEX: 0x20, UNIFORM: 0x40, STORAGE: 0x80 } as const;
/** GPUTextureUsage flags. */
export const TextureUsage = { COPY_SRC: 0x1, COPY_DST: 0x2, TEXTURE_BINDING: 0x4, STORAGE_BINDING: 0x8, RENDER_ATTACHMENT: 0x10 } as const;
/** GPUShaderStage flags. */
export const ShaderStage = { VERTEX: 0x1, FRAGMENT: 0x2, COMPUTE: 0x4 } as const;
/** GPUColorWrite.ALL. */
export const COLOR_WRITE_ALL = 0xf;
