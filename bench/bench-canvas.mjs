// The canvas side of a pipeline benchmark run, one module for both places it runs: in the
// benchmark's own process (the direct transport) and inside a dawn-rfb kernel under Jupyter (the
// Jupyter transport, loaded with require() from a cell). A BenchCanvas times its stages and maps
// pointer moves to the frames that show them; a BenchRun adds the scene and samples the canvas's
// statistics over the measured window, so both transports measure the same things the same way.
import { RemoteCanvas, getDefaultDevice } from '../dist/index.js';
import { createScene } from './scenes.mjs';

const median = (xs) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const mean = (xs) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** A RemoteCanvas that times its stages and maps pointer moves to the frames that show them. */
export class BenchCanvas extends RemoteCanvas {
  measuring = false;
  renderMs = [];
  readbackMs = [];
  moves = [];
  #pendingMoves = [];
  #renderStart = 0;

  constructor(options) {
    super(options);
    this.addEventHandler((e) => { if (this.measuring) this.#pendingMoves.push(e.timestamp); }, 'pointer_move');
    this.addEventHandler((e) => {
      for (const t of this.#pendingMoves) this.moves.push([t, e.timestamp]);
      this.#pendingMoves = [];
    }, 'before_draw');
  }

  drawFrame() {
    const t0 = performance.now();
    super.drawFrame();
    this.#renderStart = performance.now();
    if (this.measuring) this.renderMs.push(this.#renderStart - t0);
  }

  _rfbPresentFrame(frame) {
    if (this.measuring) this.readbackMs.push(performance.now() - this.#renderStart);
    return super._rfbPresentFrame(frame);
  }
}

/**
 * One run's canvas and scene. `options`: the BenchCanvas's options; `scene`: a scene name of
 * bench/scenes.mjs; `device`: the GPU device (default: getDefaultDevice()).
 */
export class BenchRun {
  ticking = true;
  #samples = { encodeMs: [], roundtripMs: [] };
  #sampler;
  #cpuStart;
  #t0 = 0;
  #sent0 = 0;

  static async create({ options, scene, device }) {
    const run = new BenchRun();
    run.device = device ?? await getDefaultDevice();
    run.canvas = new BenchCanvas(options);
    run.scene = createScene(scene, run.device, run.canvas.getContext().getPreferredFormat());
    run.scene.attach(run.canvas);
    run.canvas.addEventHandler(() => { if (run.ticking) run.scene.tick(); }, 'before_draw');
    return run;
  }

  /** Starts the measured window. */
  start() {
    this.#sampler = setInterval(() => {
      const s = this.canvas.stats();
      this.#samples.encodeMs.push(s.encodeMs);
      if (s.views[0]) this.#samples.roundtripMs.push(s.views[0].roundtripMs);
    }, 250);
    this.#cpuStart = process.cpuUsage();
    this.#t0 = performance.now();
    this.#sent0 = this.canvas.stats().framesSent;
    this.canvas.measuring = true;
  }

  /** Ends the measured window; what the canvas saw in it (JSON-safe). */
  stop() {
    this.canvas.measuring = false;
    clearInterval(this.#sampler);
    const wallMs = performance.now() - this.#t0;
    const cpu = process.cpuUsage(this.#cpuStart);
    const s = this.canvas.stats();
    const adaptive = s.views[0]?.adaptive;
    return {
      wallMs, moves: this.canvas.moves,
      renderMs: median(this.canvas.renderMs), readbackMs: median(this.canvas.readbackMs),
      encodeMs: mean(this.#samples.encodeMs), roundtripMs: mean(this.#samples.roundtripMs),
      cpuServer: (cpu.user + cpu.system) / 1000 / wallMs,
      framesComparedOnGpu: s.framesComparedOnGpu, framesSent: s.framesSent, framesPatched: s.framesPatched,
      framesVideo: s.framesVideo, framesVideoGpuConverted: s.framesVideoGpuConverted, keyframesVideo: s.keyframesVideo, videoCodec: s.videoCodec, videoEncoder: s.videoEncoder,
      framesSentMeasured: s.framesSent - this.#sent0,
      adaptive: adaptive && { window: s.views[0].window, quality: adaptive.quality, scale: adaptive.scale, baseRttMs: adaptive.baseRttMs, queueDelayMs: adaptive.queueDelayMs },
      rssMB: { end: process.memoryUsage().rss / 2 ** 20, peak: process.resourceUsage().maxRSS / 1024 },
    };
  }

  close() {
    clearInterval(this.#sampler);
    this.canvas.close();
    this.scene.destroy();
  }
}
