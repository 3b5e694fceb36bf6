// A small scene rendered on the real (software) GPU for the image-testing suites: a triangle
// (optionally multisampled, shifted by a fraction of a pixel) and an optional white square.
import { getDefaultDevice, OffscreenCanvas, type Frame } from '../../src/index.js';

export interface SceneOptions {
  size?: [number, number];
  /** Triangle colour, RGB 0..1. */
  colour?: [number, number, number];
  /** Horizontal shift of the triangle in pixels (fractions move its anti-aliased edges). */
  shiftPx?: number;
  /** 4 for 4x MSAA (anti-aliased edges), 1 for none. */
  samples?: 1 | 4;
  /** A white square at [x, y, size] in pixels. */
  square?: [number, number, number];
}

/** Renders the scene once and returns the frame's RGBA pixels. */
export async function renderScene(o: SceneOptions = {}): Promise<Frame> {
  const device = await getDefaultDevice();
  const [W, H] = o.size ?? [96, 64];
  const [r, g, b] = o.colour ?? [1, 0.5, 0];
  const samples = o.samples ?? 4;
  const dx = ((o.shiftPx ?? 0) * 2) / W;
  const canvas = new OffscreenCanvas({ size: [W, H], updateMode: 'manual' });
  const context = canvas.getContext();
  context.configure({ device, format: 'rgba8unorm' });
  const module = device.createShaderModule({
    code: /* wgsl */ `
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  var p = array(vec2f(0.05, 0.85), vec2f(-0.75, -0.7), vec2f(0.8, -0.55));
  return vec4f(p[i].x + ${dx.toFixed(6)}, p[i].y, 0.0, 1.0);
}
@fragment fn fs() -> @location(0) vec4f { return vec4f(${r.toFixed(4)}, ${g.toFixed(4)}, ${b.toFixed(4)}, 1.0); }
@vertex fn vsFull(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  var p = array(vec2f(-1.0, -1.0), vec2f(3.0, -1.0), vec2f(-1.0, 3.0));
  return vec4f(p[i], 0.0, 1.0);
}
@fragment fn fsWhite() -> @location(0) vec4f { return vec4f(1.0); }`,
  });
  const pipeline = device.createRenderPipeline({
    layout: 'auto', vertex: { module, entryPoint: 'vs' }, fragment: { module, entryPoint: 'fs', targets: [{ format: 'rgba8unorm' }] },
    multisample: { count: samples },
  });
  const white = device.createRenderPipeline({
    layout: 'auto', vertex: { module, entryPoint: 'vsFull' }, fragment: { module, entryPoint: 'fsWhite', targets: [{ format: 'rgba8unorm' }] },
    multisample: { count: samples },
  });
  const msaa = samples > 1
    ? device.createTexture({ size: [W, H], format: 'rgba8unorm', sampleCount: samples, usage: GPUTextureUsage.RENDER_ATTACHMENT })
    : undefined;
  canvas.requestDraw(() => {
    const target = context.getCurrentTexture();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginRenderPass({
      colorAttachments: [{
        view: msaa ? msaa.createView() : target.createView(), ...(msaa ? { resolveTarget: target.createView() } : {}),
        loadOp: 'clear', storeOp: 'store', clearValue: [0.05, 0.05, 0.2, 1],
      }],
    });
    pass.setPipeline(pipeline);
    pass.draw(3);
    if (o.square) {
      // A full-screen triangle clipped to the square by the scissor rectangle.
      const [x, y, s] = o.square;
      pass.setScissorRect(x, y, s, s);
      pass.setPipeline(white);
      pass.draw(3);
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
  });
  try {
    return await canvas.draw();
  } finally {
    canvas.close();
    msaa?.destroy();
  }
}
