#!/usr/bin/env node
// The dawn-rfb command line. Exit codes: 0 done; 1 the command failed (the message says why);
// 2 a usage error (unknown command or option, bad option value), as `test-notebooks` does.
import { availableParallelism } from 'node:os';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError as CliArgumentError, Option } from 'commander';
import { OffscreenCanvas } from '../canvas/offscreen.js';
import { DawnRfbError } from '../errors.js';
import { BACKENDS, formatAdapterSummary, type Backend } from '../gpu/adapter.js';
import { deviceSummary, requestDevice } from '../gpu/device.js';
import { RemoteCanvas } from '../remote/canvas.js';
import { encodeFrame } from '../remote/frames/image-encoder.js';
import { DemoScene } from './demo-scene.js';
import { installKernelspec, KERNEL_DISPLAY_NAME, uninstallKernelspec } from './kernelspec.js';
import { registerTestNotebooks } from './test-notebooks.js';

function parseSize(value: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(value);
  const size = m ? [Number(m[1]), Number(m[2])] as [number, number] : undefined;
  if (!size || size[0] < 1 || size[1] < 1) throw new CliArgumentError(`expected WIDTHxHEIGHT with positive integers, e.g. 640x480; got "${value}"`);
  return size;
}

const backendOption = new Option('--backend <name>', 'WebGPU backend (default: env DAWN_RFB_BACKEND, else vulkan then opengles)')
  .choices(BACKENDS as unknown as string[]);

/** The device a command renders with: on `--backend` when given (passed on, not written to the environment). */
function commandDevice(backend: string | undefined): Promise<GPUDevice> {
  return requestDevice({ label: 'dawn-rfb cli', ...(backend ? { backend: backend as Backend } : {}) });
}

/** This package's version, from its package.json (dist/cli/ -> ../../package.json). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Exit code of a command-line usage error (commander's own default is 1, a failure's code). */
const EXIT_USAGE = 2;

// exitOverride before the subcommands are made: each one copies it from its parent, so usage
// errors exit 2 everywhere while --help and --version exit 0.
const program = new Command('dawn-rfb')
  .description('Live WebGPU (Dawn) canvases for notebooks and browsers')
  .version(packageVersion(), '-v, --version', 'print the version of dawn-rfb')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
  .showHelpAfterError();

program.command('info')
  .description('print the WebGPU adapter dawn-rfb would use')
  .addOption(backendOption)
  .action(async (opts: { backend?: string }) => {
    const device = await commandDevice(opts.backend);
    console.log(formatAdapterSummary(deviceSummary(device)!));
    device.destroy();
  });

program.command('setup')
  .description("make this machine ready for WebGPU: check that Dawn finds an adapter; as root on Debian, install Mesa's software Vulkan driver when none is found")
  .option('--quiet', 'print only problems')
  .action(async (opts: { quiet?: boolean }) => {
    // The shipped installer (scripts/setup-gpu.mjs, plain Node), in a child process so its
    // exit code is this command's: 0 an adapter was found, 1 not (it says what to run).
    const script = fileURLToPath(new URL('../../scripts/setup-gpu.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, ...(opts.quiet ? ['--quiet'] : [])], { stdio: 'inherit' });
    process.exitCode = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  });

program.command('snapshot')
  .description('render the demo scene offscreen and write it as a PNG')
  .option('-o, --out <file>', 'output PNG file', 'demo.png')
  .option('-s, --size <WxH>', 'size in pixels', parseSize, [640, 480] as [number, number])
  .addOption(backendOption)
  .action(async (opts: { out: string; size: [number, number]; backend?: string }) => {
    const device = await commandDevice(opts.backend);
    const summary = deviceSummary(device)!;
    console.log(`adapter: ${formatAdapterSummary(summary)}`);
    const canvas = new OffscreenCanvas({ size: opts.size, updateMode: 'manual' });
    const scene = new DemoScene(device, canvas.getContext().getPreferredFormat());
    scene.attach(canvas);
    const t0 = performance.now();
    const frame = await canvas.draw();
    const drawMs = performance.now() - t0;
    const png = await encodeFrame(frame, { format: 'png' });
    await writeFile(opts.out, png.data);
    console.log(`wrote ${opts.out} (${frame.width}x${frame.height}, ${png.data.length} bytes; first frame ${drawMs.toFixed(1)} ms incl. pipeline setup)`);
    canvas.close();
    scene.destroy();
    device.destroy();
  });

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new CliArgumentError(`expected a port number 0..65535 (0 = any free port), got "${value}"`);
  return port;
}

function parseQuality(value: string): number {
  const q = Number(value);
  if (!/^\d+$/.test(value) || q < 1 || q > 100) throw new CliArgumentError(`expected an integer 1..100 (100 = lossless), got "${value}"`);
  return q;
}

program.command('demo')
  .description('serve the interactive demo scene on a web page and print its URL')
  .option('-p, --port <n>', 'port (default: env DAWN_RFB_PORT, else any free port)', parsePort)
  .option('--host <addr>', 'interface to listen on (default: env DAWN_RFB_HOST, else 127.0.0.1)')
  .option('-q, --quality <q>', 'JPEG quality while the scene changes; 100 = lossless', parseQuality, 80)
  .addOption(backendOption)
  .action(async (opts: { port?: number; host?: string; quality: number; backend?: string }) => {
    const device = await commandDevice(opts.backend);
    console.log(`adapter: ${formatAdapterSummary(deviceSummary(device)!)}`);
    const canvas = new RemoteCanvas({
      title: 'dawn-rfb demo: drag to rotate, wheel to zoom, space changes colours, Shift+arrows nudge, r resets',
      quality: opts.quality, server: { port: opts.port, host: opts.host },
      // Fill the page's width: resizing the window re-renders at the new physical size.
      cssWidth: '100%', cssHeight: '70vh',
    });
    const scene = new DemoScene(device, canvas.getContext().getPreferredFormat());
    scene.attach(canvas);
    canvas.addEventHandler((e) => console.log(`event: ${JSON.stringify(e)}`), 'key_down');
    console.log(`open ${await canvas.getUrl()}`);
    console.log('press Ctrl-C to stop');
    const stop = (): void => {
      canvas.close();
      scene.destroy();
      device.destroy();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program.command('bench')
  .description('the whole-pipeline benchmark (bench/pipeline.mjs): fps, input latency, stages, slow links; --help lists its options')
  .allowUnknownOption()
  .helpOption(false)
  .argument('[options...]', 'passed to the benchmark (e.g. --sizes 1280x720 --clients chromium --json out.json)')
  .action(async (args: string[]) => {
    // The benchmark is a script of its own (it drives Chromium through playwright-core, a
    // development dependency), run in a child process so its exit code is this command's.
    const script = fileURLToPath(new URL('../../bench/pipeline.mjs', import.meta.url));
    if (!existsSync(script)) throw new DawnRfbError(`the benchmark is not installed (${script} is missing): run it from a checkout of dawn-rfb`);
    // One libuv thread per core for sharp's encodes (the pool's size is read when it starts).
    const env = { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(Math.max(4, availableParallelism())) };
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit', env });
    const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
    process.exitCode = code;
  });

const kernel = program.command('kernel').description('the Jupyter kernelspec "TypeScript (dawn-rfb)" (tslab with live canvases)');
for (const [name, action] of [['install', installKernelspec], ['uninstall', uninstallKernelspec]] as const) {
  kernel.command(name)
    .description(name === 'install'
      ? 'install the kernelspec (default: system-wide, /usr/local/share/jupyter/kernels)'
      : 'remove the kernelspec')
    .option('--user', "the user's Jupyter data folder (~/.local/share/jupyter)")
    .option('--prefix <folder>', 'under <folder>/share/jupyter (e.g. a virtual environment)')
    .action(async (opts: { user?: boolean; prefix?: string }) => {
      const dir = await action(opts);
      console.log(name === 'install' ? `installed "${KERNEL_DISPLAY_NAME}" in ${dir}` : `removed ${dir}`);
    });
}

registerTestNotebooks(program);

program.parseAsync().catch((e: unknown) => {
  // Our own errors carry a message made for the user; anything else gets its stack.
  console.error(e instanceof DawnRfbError ? `dawn-rfb: ${e.message}` : e);
  process.exit(1);
});
