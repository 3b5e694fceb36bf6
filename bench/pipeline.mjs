// The whole-pipeline benchmark (`npm run bench`, `dawn-rfb bench`): a RemoteCanvas renders a
// standard scene on Dawn, encodes with sharp and streams to a real client, which decodes, draws
// and acknowledges: a Node client (sharp decode, own process) or headless Chromium with the real
// widget. Over the direct websocket to the canvas's server, or (--transports jupyter) through a
// stock Jupyter Notebook 6 server, or (jupyterlab4) the tests' JupyterLab 4 front end on Debian's
// jupyter_server (test/lab4/): the canvas then lives in a dawn-rfb kernel and the view takes the
// Jupyter path (Chromium: the real widget in a real notebook page, its direct route made
// unreachable; Node: comms over a kernel channels websocket, as the widget's own websocket speaks
// them). Optionally over an emulated slow link (bench/link.mjs). Per run: painted frames per
// second, input latency from a pointer event in the client to the first painted frame that
// reflects it (p50/p95/p99), stage timings, bytes, CPU of server and client, RSS. Prints a table,
// writes JSON (--json) and a chart (--chart).
//
//   npm run bench                      # the default set (a few minutes on 2 cores)
//   npm run bench -- --full            # every scene x size x format x client, and both slow links
//   npm run bench -- --scenes cube --sizes 1920x1080 --formats jpeg --clients chromium --links none,20mbit/40ms
//   npm run bench -- --sizes 640x480,1280x720 --transports direct,jupyter --soak 0
import os from 'node:os';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemoteCanvas, getDefaultDevice, deviceSummary, formatAdapterSummary } from '../dist/index.js';
import { createScene, SCENES } from './scenes.mjs';
import { BenchCanvas, BenchRun } from './bench-canvas.mjs';
import { freePort, kernelChannels, serverOfView, startJupyter } from './jupyter.mjs';
import { openLink, parseLink } from './link.mjs';
import { renderChart } from './chart.mjs';
import { benchArgs, frameSize, list, oneOf, positiveNumber, wholeNumber } from './cli-args.mjs';

// Over an emulated link the client reaches the server as a remote machine would: by the address
// of its namespace's peer (10.x), which the relay passes on in the Host header. The server
// refuses Host names that are not loopback unless they are allowed (DNS-rebinding defence), so
// the benchmark allows them, as a user serving beyond loopback does (README: Security).
process.env.DAWN_RFB_ALLOWED_HOSTS ??= '*';

const HELP = `Usage: npm run bench -- [options]
  --scenes LIST     cube,chart,noise,mesh (mesh: a lit torus knot, spheres and a floor, camera orbiting)
  --sizes LIST      640x480,1280x720,1920x1080
  --formats LIST    jpeg (q80, codec 'jpeg': stills only), webp (q80), png, h264 (video at
                    4 Mbit/s to the clients that decode it: Chromium's widget through WebCodecs,
                    and the Node client, which then announces H.264 and decodes it through
                    @napi-rs/webcodecs' VideoDecoder), auto (the canvas's default, codec 'auto':
                    JPEG q80 stills, video where the view is link-bound and the content busy)
  --clients LIST    node,chromium
  --links LIST      none, or RATE(k|m)bit/RTTms such as 20mbit/40ms,5mbit/100ms
  --transports LIST direct (the canvas's own websocket; default), notebook-direct (the canvas in
                    a dawn-rfb kernel shown in a Notebook 6 page, the widget on its direct
                    websocket: the Jupyter path's baseline), jupyter (the Jupyter path
                    through a stock Jupyter Notebook 6 server, the canvas in a dawn-rfb kernel),
                    jupyterlab4 (the same through JupyterLab 4 on jupyter_server: test/lab4/,
                    built by \`node scripts/setup.mjs --browser --jupyter-tests\`)
  --seconds N       measured seconds per run (default 5; runs over a slow link: --link-seconds, default 20)
  --soak N          frames of the RSS run (Node client, cube 640x480 JPEG; default 10000; 0 skips it)
  --adaptive on|off the canvas's adaptive rate control (default on; off to compare)
  --dirty-tiles on|off  partial frames of changed tiles (default on; off to compare)
  --parts N         the canvas's maxFrameParts: most strips a frame is encoded in at once
                    (default: the canvas's, the cores up to 8; 1 = whole frames, to compare)
  --buffered N      the canvas's maxBufferedFrames (default: the canvas's, 2)
  --gpu-compare on|off|auto  the canvas's gpuTileCompare (default auto: on a hardware GPU)
  --gpu-convert on|off|auto  the canvas's gpuColorConvert: video frames' I420 made on the GPU
                    (default auto: on a hardware GPU)
  --full            the whole matrix (every list above), and both slow links for the cube at 1280x720
  --json FILE       one record per run (default bench-results.json)
  --chart FILE      chart image (PNG; default bench-results.png)
Without list options: the default set (cube at every size, JPEG, both clients; chart and noise
scenes and WebP/PNG at 640x480 in Chromium; the cube at 1280x720 over 20mbit/40ms; the RSS run).`;

const { values: opt, fail } = benchArgs('bench', HELP, {
  scenes: { type: 'string' }, sizes: { type: 'string' }, formats: { type: 'string' }, clients: { type: 'string' },
  links: { type: 'string' }, transports: { type: 'string' }, seconds: { type: 'string', default: '5' }, 'link-seconds': { type: 'string', default: '20' },
  soak: { type: 'string', default: '10000' }, adaptive: { type: 'string', default: 'on' }, 'dirty-tiles': { type: 'string', default: 'on' }, parts: { type: 'string' }, buffered: { type: 'string' }, 'gpu-compare': { type: 'string', default: 'auto' }, 'gpu-convert': { type: 'string', default: 'auto' }, full: { type: 'boolean', default: false },
  json: { type: 'string', default: 'bench-results.json' }, chart: { type: 'string', default: 'bench-results.png' },
});

const FORMATS = {
  jpeg: { quality: 80, lossyFormat: 'jpeg', codec: 'jpeg' },
  auto: { quality: 80, lossyFormat: 'jpeg', codec: 'auto' },
  webp: { quality: 80, lossyFormat: 'webp' },
  png: { quality: 100 },
  h264: { quality: 80, codec: 'h264' },
};
function checkList(name, items, valid) {
  for (const x of items) oneOf(fail, name, x, valid);
  return items;
}
function parseSize(s) {
  frameSize(fail, 'sizes', s);
  return s;
}

const TRANSPORTS = ['direct', 'notebook-direct', 'jupyter', 'jupyterlab4'];
/**
 * The transports through Jupyter: the server (bench/jupyter.mjs) and the front end Chromium
 * opens. `notebook-direct` is the Jupyter path's own baseline: the same kernel and notebook page,
 * with the widget's direct websocket to the canvas's server (the route it prefers when it answers).
 */
const JUPYTER = {
  'notebook-direct': { server: 'notebook', frontEnd: 'notebook6', name: 'notebook 6, direct websocket', page: (p) => `/notebooks/${p}`, route: 'direct' },
  jupyter: { server: 'notebook', frontEnd: 'notebook6', name: 'notebook 6', page: (p) => `/notebooks/${p}` },
  jupyterlab4: { server: 'lab4', frontEnd: 'lab4', name: 'jupyterlab 4.6 (jupyter_server 1.23)', page: (p) => `/lab/tree/${p}` },
};

/** The runs to do: {scene, size, format, client, link, transport}. */
function plan() {
  oneOf(fail, 'gpu-compare', opt['gpu-compare'], ['on', 'off', 'auto']);
  oneOf(fail, 'gpu-convert', opt['gpu-convert'], ['on', 'off', 'auto']);
  for (const key of ['adaptive', 'dirty-tiles']) oneOf(fail, key, opt[key], ['on', 'off']);
  for (const key of ['parts', 'buffered']) if (opt[key] !== undefined) wholeNumber(fail, key, opt[key]);
  for (const key of ['seconds', 'link-seconds']) positiveNumber(fail, key, opt[key]);
  wholeNumber(fail, 'soak', opt.soak, 0);
  const runs = [];
  const transports = checkList('transports', list(opt.transports ?? 'direct'), TRANSPORTS);
  const product = (scenes, sizes, formats, clients, links) => {
    for (const link of links) for (const scene of scenes) for (const size of sizes) for (const format of formats) for (const client of clients) {
      // notebook-direct is the notebook page's widget: Chromium only (the Node client's direct
      // route is the plain `direct` transport).
      for (const transport of transports) if (!(transport === 'notebook-direct' && client === 'node')) runs.push({ scene, size, format, client, link, transport });
    }
  };
  const custom = opt.scenes || opt.sizes || opt.formats || opt.clients || opt.links || opt.transports;
  if (custom || opt.full) {
    const full = opt.full && !custom;
    product(
      checkList('scenes', list(opt.scenes ?? (full ? SCENES.join(',') : 'cube')), SCENES),
      list(opt.sizes ?? (full ? '640x480,1280x720,1920x1080' : '640x480')).map(parseSize),
      checkList('formats', list(opt.formats ?? (full ? 'jpeg,webp,png' : 'jpeg')), Object.keys(FORMATS)),
      checkList('clients', list(opt.clients ?? 'node,chromium'), ['node', 'chromium']),
      list(opt.links ?? 'none').map((l) => {
        try {
          parseLink(l);
        } catch (e) {
          fail(`--links: ${e.message}`);
        }
        return l;
      }),
    );
    if (full) product(['cube'], ['1280x720'], ['jpeg'], ['node', 'chromium'], ['20mbit/40ms', '5mbit/100ms']);
    return runs;
  }
  product(['cube'], ['640x480', '1280x720', '1920x1080'], ['jpeg'], ['node', 'chromium'], ['none']);
  product(['chart', 'noise'], ['640x480'], ['jpeg'], ['chromium'], ['none']);
  product(['cube'], ['640x480'], ['webp', 'png'], ['chromium'], ['none']);
  product(['cube'], ['1280x720'], ['jpeg'], ['chromium'], ['20mbit/40ms']);
  return runs;
}

const median = (xs) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const mean = (xs) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const round = (x, d = 1) => +x.toFixed(d);
function percentiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const p = (q) => (s.length === 0 ? null : round(s[Math.min(s.length - 1, Math.floor(q * s.length))]));
  return { p50: p(0.5), p95: p(0.95), p99: p(0.99), n: s.length };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Input latency: for each pointer move the server handled (its client timestamp, and the
 * timestamp of the frame whose draw took it in), the first frame the client painted whose
 * timestamp is at least that one. Both ends of the interval are on the client's clock.
 */
function latencies(moves, paints) {
  const out = [];
  let max = -Infinity;
  const monotone = paints.filter(([ts]) => (ts >= max ? ((max = ts), true) : false)); // lossless re-sends carry old timestamps
  let j = 0;
  for (const [eventTs, frameTs] of [...moves].sort((a, b) => a[1] - b[1])) {
    while (j < monotone.length && monotone[j][0] < frameTs) j++;
    if (j === monotone.length) break;
    out.push([eventTs * 1000, monotone[j][1] - eventTs * 1000]);
  }
  return out;
}

/** The video codecs a run's client announces: H.264 when the run's codec may send video (h264, auto). */
const videoCodecs = (run) => (['h264', 'auto'].includes(FORMATS[run.format].codec) ? ['h264'] : []);

/** Starts the Node client process (inside the link's namespace when there is one). */
function startNodeClient(link, url, [width, height], jupyter, codecs = []) {
  const script = fileURLToPath(new URL('./node-client.mjs', import.meta.url));
  const [cmd, args] = link ? link.wrap(process.execPath, [script]) : [process.execPath, [script]];
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages = [];
  const waiters = [];
  child.on('message', (m) => {
    const w = waiters.findIndex((x) => x.type === m.type);
    if (w >= 0) waiters.splice(w, 1)[0].resolve(m);
    else messages.push(m);
  });
  const next = (type, timeoutMs) => new Promise((resolve, reject) => {
    const i = messages.findIndex((m) => m.type === type);
    if (i >= 0) return resolve(messages.splice(i, 1)[0]);
    const timer = setTimeout(() => reject(new Error(`node client: no ${type} within ${timeoutMs} ms`)), timeoutMs);
    waiters.push({ type, resolve: (m) => { clearTimeout(timer); resolve(m); } });
  });
  child.send({ type: 'start', url, width, height, jupyter, codecs });
  return {
    ready: () => next('ready', 60_000),
    measure: (drag, record = true) => child.send({ type: 'measure', drag, record }),
    stop: async () => {
      child.send({ type: 'stop' });
      return next('result', 120_000);
    },
    close: () => new Promise((r) => { if (child.exitCode !== null) r(); else { child.once('exit', r); setTimeout(() => child.kill(), 2000); } }),
  };
}

// The command line is checked whole before the GPU, a browser or Jupyter comes up.
const runs = plan();
const device = await getDefaultDevice();
const machine = `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
const adapter = formatAdapterSummary(deviceSummary(device));
const preferred = new RemoteCanvas({ size: [16, 16] });
const format = preferred.getContext().getPreferredFormat();
preferred.close();
let browser;
let launchChromium;
let openView;
let openNotebookView;
let treeCpuSeconds;

/** A GPU pass's command-line value (on | off | auto) as the canvas option (true | false | 'auto'). */
const gpuPassOption = (value) => ({ on: true, off: false })[value] ?? 'auto';

/** The canvas options of a run. */
function canvasOptions(run, [w, h]) {
  return {
    size: [w, h], updateMode: 'fastest', adaptive: opt.adaptive !== 'off', dirtyTiles: opt['dirty-tiles'] !== 'off', ...FORMATS[run.format],
    ...(opt.parts ? { maxFrameParts: Number(opt.parts) } : {}), ...(opt.buffered ? { maxBufferedFrames: Number(opt.buffered) } : {}),
    gpuTileCompare: gpuPassOption(opt['gpu-compare']),
    gpuColorConvert: gpuPassOption(opt['gpu-convert']),
  };
}

/** Chromium, launched through the link's namespace when there is one. */
async function chromiumFor(link) {
  // Loaded only for browser runs: playwright-core is a development dependency.
  ({ launchChromium, openView, openNotebookView, treeCpuSeconds } = await import('./chromium-client.mjs'));
  browser ??= await launchChromium();
  if (link) {
    await browser.close();
    // The page over the link is http://10.x: not a secure context, so no WebCodecs (no video
    // frames). A user reaches a remote kernel over https or an SSH tunnel to localhost, both
    // secure; the flag gives the emulated link's origin the same standing.
    browser = await launchChromium(link.chromiumPath(), [`--unsafely-treat-insecure-origin-as-secure=http://${link.host}:${link.port}`]);
  }
  return browser;
}

/**
 * The direct transport: the canvas in this process, the client on its own websocket server.
 * Resolves to {link, client | view, start(), stop() (the canvas's summary), idle(), close()}.
 */
async function directSide(run, size, spec) {
  const bench = await BenchRun.create({ options: canvasOptions(run, size), scene: run.scene, device });
  const side = { start: () => bench.start(), stop: async () => bench.stop(), idle: async () => { bench.ticking = false; bench.canvas.setUpdateMode('ondemand'); } };
  side.close = async () => { bench.close(); await side.client?.close(); await side.link?.close(); };
  try {
    const server = await bench.canvas.server();
    side.link = spec ? await openLink(spec, { host: '127.0.0.1', port: server.port }) : null;
    const host = side.link ? `${side.link.host}:${side.link.port}` : `127.0.0.1:${server.port}`;
    if (run.client === 'node') {
      side.client = startNodeClient(side.link, `ws://${host}${bench.canvas.socketPath}`, size, undefined, videoCodecs(run));
      await side.client.ready();
    } else {
      const chromium = await chromiumFor(side.link); // (loads openView)
      side.view = await openView(chromium, `http://${host}/view/${bench.canvas.id}?token=${encodeURIComponent(bench.canvas.token)}`, size);
    }
  } catch (e) {
    await side.close();
    throw e;
  }
  return side;
}

/** The Jupyter servers of this benchmark (one per kind, kept for its runs), their kernels' direct route unreachable. */
const jupyters = new Map();
async function jupyterServer(kind, route = 'jupyter') {
  // For the Jupyter path, a closed port as the kernels' canvas URL, as behind a tunnel that
  // forwards only Jupyter's port: the widget cannot reach the canvas's server and takes it.
  const key = `${kind}:${route}`;
  if (!jupyters.has(key)) {
    const kernelEnv = route === 'direct' ? {} : { DAWN_RFB_URL_TEMPLATE: `ws://127.0.0.1:${await freePort()}` };
    jupyters.set(key, await startJupyter({ server: kind, kernelEnv, remoteAccess: true }));
  }
  return jupyters.get(key);
}

/** The cell that shows the run's canvas from the kernel (bench/bench-canvas.mjs, loaded there). */
function kernelCell(run, size) {
  const module = fileURLToPath(new URL('./bench-canvas.mjs', import.meta.url));
  return `const bench: any = require(${JSON.stringify(module)});
(globalThis as any).benchRun = await bench.BenchRun.create({ options: ${JSON.stringify(canvasOptions(run, size))}, scene: ${JSON.stringify(run.scene)} });
await (globalThis as any).benchRun.canvas.show();`;
}

/**
 * The Jupyter transport: the canvas in a dawn-rfb kernel of a Notebook 6 server. Chromium opens
 * a notebook page and runs the cell there (the widget in the page, on the Jupyter path); the Node
 * client takes comms over a kernel channels websocket of its own. This process drives the kernel
 * over a channels websocket of its own too (start, stop, idle), as a second client would.
 */
async function jupyterSide(run, size, spec) {
  const kind = JUPYTER[run.transport];
  const server = await jupyterServer(kind.server, kind.route);
  const side = {};
  let kernelId;
  let folder;
  let control;
  side.close = async () => {
    await side.view?.page.close().catch(() => {});
    if (control) await control.execute('(globalThis as any).benchRun?.close();').catch(() => {});
    await control?.close();
    await side.client?.close();
    if (kernelId) await server.deleteKernel(kernelId);
    if (folder) rmSync(folder, { recursive: true, force: true });
    await side.link?.close();
  };
  try {
    side.link = spec ? await openLink(spec, { host: '127.0.0.1', port: server.port }) : null;
    const host = side.link ? `${side.link.host}:${side.link.port}` : `127.0.0.1:${server.port}`;
    if (run.client === 'node') {
      kernelId = await server.startKernel();
      control = await kernelChannels(server.channelsUrl(kernelId));
      const out = await control.execute(kernelCell(run, size));
      const html = out.displays.find((d) => d['text/html'])?.['text/html'];
      if (!html) throw new Error(`the kernel showed no view: ${out.error ?? ''} ${out.stderr}`);
      const view = serverOfView(html);
      if (!view.comm) throw new Error('the kernel offers no comm route (is the dawn-rfb kernelspec used?)');
      side.client = startNodeClient(side.link, null, size, { url: server.channelsUrl(kernelId, host), comm: { ...view.comm, token: view.token } }, videoCodecs(run));
      await side.client.ready();
    } else {
      // A notebook of its own in a folder of its own under notebooks/, removed afterwards.
      const name = `bench-${randomBytes(6).toString('hex')}`;
      folder = join(fileURLToPath(new URL('../notebooks/', import.meta.url)), name);
      mkdirSync(folder);
      const code = kernelCell(run, size);
      const cells = kind.frontEnd === 'lab4' ? [{ cell_type: 'code', id: 'bench', metadata: {}, execution_count: null, outputs: [], source: code }] : [];
      writeFileSync(join(folder, 'bench.ipynb'), JSON.stringify({ nbformat: 4, nbformat_minor: 5, cells,
        metadata: { kernelspec: { name: 'dawn-rfb', display_name: 'dawn-rfb', language: 'typescript' } } }));
      const chromium = await chromiumFor(side.link); // (loads openNotebookView)
      const t0 = performance.now();
      // A notebook page loads its scripts over the link too, as on a user's first visit: over
      // 5 Mbit/s / 100 ms, 11 s for Notebook 6 and 32 s for JupyterLab 4 (measured).
      side.view = await openNotebookView(chromium, server.api(kind.page(`${name}/bench.ipynb`), host), size, code, kind.frontEnd, side.link ? 120_000 : 60_000);
      if (side.link) console.log(`  the notebook page went live over ${run.link} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      kernelId = side.view.kernelId;
      const route = kind.route ?? 'jupyter';
      if (side.view.transport !== route) throw new Error(`the notebook's view took the ${side.view.transport} route, not the ${route} one`);
      control = await kernelChannels(server.channelsUrl(kernelId));
    }
  } catch (e) {
    await side.close();
    throw e;
  }
  const run1 = async (code) => {
    const out = await control.execute(code);
    if (out.error) throw new Error(`kernel: ${out.error}`);
    return out.stdout;
  };
  side.start = () => run1('(globalThis as any).benchRun.start();');
  side.stop = async () => JSON.parse(await run1('console.log(JSON.stringify((globalThis as any).benchRun.stop()));'));
  side.idle = () => run1("(globalThis as any).benchRun.ticking = false; (globalThis as any).benchRun.canvas.setUpdateMode('ondemand');");
  return side;
}

async function runOne(run) {
  const size = run.size.split('x').map(Number);
  const seconds = Number(run.link === 'none' ? opt.seconds : opt['link-seconds']);
  const load = [os.loadavg()[0]];
  const side = await (JUPYTER[run.transport] ? jupyterSide : directSide)(run, size, parseLink(run.link));
  const { link, client, view } = side;
  try {
    await sleep(1000); // warm-up
    const browserCpu = () => treeCpuSeconds(process.pid, true) - [...jupyters.values()].reduce((sum, j) => sum + treeCpuSeconds(j.pid), 0);
    const browserCpu0 = view ? browserCpu() : 0;
    const t0 = performance.now();
    await side.start();
    let result;
    if (client) {
      client.measure(true);
      await sleep(seconds * 1000);
      result = await client.stop();
    } else {
      await view.measure();
      await view.drag(t0 + seconds * 1000);
      result = await view.stop();
    }
    const canvas = await side.stop();
    const wallMs = performance.now() - t0;
    // Chromium's processes are this process's children; with the Jupyter transport so are the
    // Jupyter server and its kernel (the server side): they are counted apart.
    const clientCpu = view ? (browserCpu() - browserCpu0) * 1000 / wallMs : result.cpu;

    // After a slow-link run: stop the animation and time the lossless refresh reaching the client.
    let idleToLosslessMs = null;
    if (link && view) {
      await side.idle();
      const idleAt = await view.page.evaluate(() => performance.now());
      idleToLosslessMs = await view.page.waitForFunction(
        (t) => (window.__bench.lastLossless > t ? window.__bench.lastLossless - t : false),
        idleAt, { timeout: 10_000, polling: 20 },
      ).then((h) => h.jsonValue(), () => null);
    }

    const lat = latencies(canvas.moves, result.paints);
    const quarter = wallMs / 4;
    const first = lat.filter(([at]) => at - lat[0]?.[0] < quarter).map(([, ms]) => ms);
    const last = lat.filter(([at]) => lat[lat.length - 1][0] - at < quarter).map(([, ms]) => ms);
    const decodeMs = median(result.decodeMs);
    const roundtripMs = canvas.roundtripMs;
    return {
      scene: run.scene, size: run.size, format: run.format, client: run.client, link: run.link, transport: run.transport,
      ...(JUPYTER[run.transport] ? { jupyterServer: JUPYTER[run.transport].name, route: view ? `notebook page, data-transport=${view.transport}` : 'kernel channels websocket, comm replyOnShell' } : {}),
      ...(view?.frameSize ? { frameSize: view.frameSize } : {}),
      adaptiveControl: opt.adaptive !== 'off', dirtyTiles: opt['dirty-tiles'] !== 'off', maxFrameParts: opt.parts ? Number(opt.parts) : Math.min(8, os.availableParallelism()), maxBufferedFrames: opt.buffered ? Number(opt.buffered) : 2, gpuTileCompare: opt['gpu-compare'], framesComparedOnGpu: canvas.framesComparedOnGpu,
      linkMode: link?.mode ?? 'loopback', linkNote: link?.note,
      seconds: round(wallMs / 1000, 2), frames: result.frames,
      fps: round(result.frames / (wallMs / 1000)),
      latency: { ...percentiles(lat.map(([, ms]) => ms)), firstQuarterP50: round(median(first)), lastQuarterP50: round(median(last)) },
      stages: {
        renderMs: round(canvas.renderMs, 2), readbackMs: round(canvas.readbackMs, 2),
        encodeMs: round(canvas.encodeMs, 2), roundtripMs: round(roundtripMs, 2), clientDecodeMs: round(decodeMs, 2),
        sendMs: round(Math.max(0, roundtripMs - decodeMs), 2),
      },
      bytesPerFrame: Math.round(result.bytes / Math.max(1, result.frames)),
      bytesPerSecond: Math.round(result.bytes / (wallMs / 1000)),
      cpu: { server: round(canvas.cpuServer * 100), client: round(clientCpu * 100) },
      // Chromium only: the page's main-thread time per frame shown (all tasks, and their script).
      ...(result.mainThread ? { clientMainThread: result.mainThread } : {}),
      rssMB: { end: round(canvas.rssMB.end), peak: round(canvas.rssMB.peak) },
      idleToLosslessMs: idleToLosslessMs === null ? undefined : round(idleToLosslessMs),
      framesSentServer: canvas.framesSent, framesPatched: canvas.framesPatched,
      ...(FORMATS[run.format].codec ? { video: { codec: canvas.videoCodec ?? null, encoder: canvas.videoEncoder ?? null, framesSent: canvas.framesVideo, keyframesSent: canvas.keyframesVideo, gpuColorConvert: opt['gpu-convert'], framesGpuConverted: canvas.framesVideoGpuConverted, ...(result.video ? { client: result.video } : {}) } } : {}),
      // Frames the canvas drew per frame the client showed over the measured window (pacing: ~1 when
      // display-bound), counted as frames sent: with one view streaming, each draw sends one frame.
      drawnPerShown: round(canvas.framesSentMeasured / Math.max(1, result.frames), 2),
      adaptive: canvas.adaptive && { window: canvas.adaptive.window, quality: canvas.adaptive.quality, scale: canvas.adaptive.scale, baseRttMs: round(canvas.adaptive.baseRttMs), queueDelayMs: round(canvas.adaptive.queueDelayMs) },
      load: [...load, os.loadavg()[0]].map((x) => round(x, 2)),
      machine, adapter,
      cpuNote: JUPYTER[run.transport]
        ? 'cpu in % of one core over the measured window; server: the kernel process (canvas, encoding, comms), without the Jupyter server; client: Chromium (or the Node client)'
        : 'cpu in % of one core over the measured window; the server process also runs the benchmark driver (Playwright input)',
    };
  } finally {
    await view?.page.close().catch(() => {});
    if (link && browser) {
      await browser.close().catch(() => {});
      browser = undefined;
    }
    await side.close();
  }
}

/** Streams the cube at 640x480 JPEG to the Node client until `frames` frames were drawn; RSS at 1,000 and at the end. */
async function soak(frames) {
  const canvas = new BenchCanvas({ size: [640, 480], updateMode: 'fastest', ...FORMATS.jpeg });
  const scene = createScene('cube', device, format);
  scene.attach(canvas);
  canvas.addEventHandler(() => scene.tick(), 'before_draw');
  const server = await canvas.server();
  const client = startNodeClient(null, `ws://127.0.0.1:${server.port}${canvas.socketPath}`, [640, 480]);
  const load = [os.loadavg()[0]];
  await client.ready();
  client.measure(false, false);
  const t0 = performance.now();
  let rss1000;
  let heap1000;
  const deadline = t0 + 600_000;
  while (canvas.stats().framesSent < frames && performance.now() < deadline) {
    await sleep(20);
    if (rss1000 === undefined && canvas.stats().framesSent >= 1000) {
      rss1000 = process.memoryUsage().rss;
      heap1000 = process.memoryUsage().heapUsed;
    }
  }
  const drawn = canvas.stats().framesSent;
  const rssEnd = process.memoryUsage().rss;
  const heapEnd = process.memoryUsage().heapUsed;
  const seconds = (performance.now() - t0) / 1000;
  await client.stop();
  canvas.close();
  await client.close();
  scene.destroy();
  return {
    scene: 'cube', size: '640x480', format: 'jpeg', client: 'node', link: 'none', transport: 'direct', kind: 'rss-soak',
    frames: drawn, seconds: round(seconds), fps: round(drawn / seconds),
    rssMB: { at1000: round(rss1000 / 2 ** 20), end: round(rssEnd / 2 ** 20), peak: round(process.resourceUsage().maxRSS / 1024), growthPct: round((rssEnd / rss1000 - 1) * 100) },
    heapMB: { at1000: round(heap1000 / 2 ** 20), end: round(heapEnd / 2 ** 20) },
    load: [...load, os.loadavg()[0]].map((x) => round(x, 2)), machine, adapter,
  };
}

function line(r) {
  if (r.kind === 'rss-soak') {
    return `RSS run: ${r.frames} frames in ${r.seconds} s (${r.fps} fps): RSS ${r.rssMB.at1000} MB at frame 1000, ${r.rssMB.end} MB at the end (${r.rssMB.growthPct >= 0 ? '+' : ''}${r.rssMB.growthPct}%), peak ${r.rssMB.peak} MB`;
  }
  const l = r.latency;
  const s = r.stages;
  return [
    `${r.scene.padEnd(5)} ${r.size.padEnd(9)} ${r.format.padEnd(4)} ${r.client.padEnd(8)} ${r.transport.padEnd(11)} ${r.link.padEnd(11)}`,
    `${String(r.fps).padStart(6)} fps`,
    `lat p50/95/99 ${l.p50}/${l.p95}/${l.p99} ms (1st/last quarter p50 ${l.firstQuarterP50}/${l.lastQuarterP50})`,
    `render ${s.renderMs} readback ${s.readbackMs} encode ${s.encodeMs} rtt ${s.roundtripMs} decode ${s.clientDecodeMs} ms`,
    `${(r.bytesPerFrame / 1024).toFixed(1)} kB/frame ${(r.bytesPerSecond / 2 ** 20).toFixed(2)} MB/s`,
    `drawn/shown ${r.drawnPerShown}`,
    `cpu srv ${r.cpu.server}% cli ${r.cpu.client}%`,
    r.clientMainThread ? `page main thread ${r.clientMainThread.taskMsPerFrame} ms/frame (script ${r.clientMainThread.scriptMsPerFrame})` : '',
    `rss ${r.rssMB.end} MB`,
    r.idleToLosslessMs !== undefined ? `idle->lossless ${r.idleToLosslessMs} ms` : '',
    r.adaptive ? `adaptive w${r.adaptive.window} q${r.adaptive.quality} s${r.adaptive.scale} base ${r.adaptive.baseRttMs} queue ${r.adaptive.queueDelayMs} ms` : '',
    `load ${r.load.join('->')}`,
  ].filter(Boolean).join(' | ');
}

console.log(`machine: ${machine}\nadapter: ${adapter}\nload (1 min): ${os.loadavg()[0].toFixed(2)}\n${runs.length} runs${Number(opt.soak) > 0 ? ` and an RSS run of ${opt.soak} frames` : ''}\n`);
const records = [];
for (const run of runs) {
  try {
    const r = await runOne(run);
    records.push(r);
    console.log(line(r));
  } catch (e) {
    console.error(`${run.scene} ${run.size} ${run.format} ${run.client} ${run.transport} ${run.link}: FAILED: ${e.stack ?? e}`);
    records.push({ ...run, error: String(e.message ?? e), machine, adapter });
  }
}
await browser?.close();
for (const j of jupyters.values()) await j.stop();
if (Number(opt.soak) > 0) {
  try {
    const r = await soak(Number(opt.soak));
    records.push(r);
    console.log(line(r));
  } catch (e) {
    console.error(`RSS run: FAILED: ${e.stack ?? e}`);
    records.push({ kind: 'rss-soak', error: String(e.message ?? e), machine, adapter });
  }
}
const links = [...new Set(records.map((r) => r.linkNote).filter(Boolean))];
for (const n of links) console.log(`link: ${n}`);
writeFileSync(opt.json, JSON.stringify({ machine, adapter, date: new Date().toISOString(), uptime: os.loadavg().map((x) => round(x, 2)), records }, null, 2));
writeFileSync(opt.chart, await renderChart(records, `${machine}; ${adapter}`));
console.log(`\nwrote ${opt.json} and ${opt.chart}`);
device.destroy();
process.exit(records.some((r) => r.error) ? 1 : 0);
