#!/usr/bin/env node
// Makes a fresh machine ready for dawn-rfb: npm packages, the build, a WebGPU adapter, and
// (on request) Chromium for browser tests and Jupyter for the notebooks. It runs before
// `npm install`, so it uses only Node's standard library. Every install step says what it
// installs before it does it.
//
//   node scripts/setup.mjs [--browser] [--video] [--jupyter] [--jupyter-tests] [--quiet]
//
// --video: Debian's ffmpeg (with libx264), the video encoder the tests and benchmarks run (the
// library takes it where it is installed, else the optional npm package, else stills).
//
// --jupyter: what `npm start` uses: Debian's Jupyter Notebook 6, nbclient and ipykernel (for
// /usr/bin/python3), and the notebooks' own npm project (notebooks/node_modules/dawn-rfb, a link to
// this package).
// --jupyter-tests: --jupyter plus what only the tests use (`npm test`): jupyter_server and
// jupyterlab_server, JupyterHub and configurable-http-proxy, iproute2, and the JupyterLab 3.6
// front end of test/jupyterlab.test.ts (built from npm in test/lab/).
//
// Exit codes: 0 ready; 1 something is missing that this script may not install (the message
// says the exact command to run); 2 bad arguments.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---- 0. Node (first, before anything that may need a newer one) ------------------------------
// package.json's engines field: npm only warns about it, and an older Node fails later, far from
// the cause (Debian 12's own nodejs is 18). The README's Quick start says how to get a newer one.
const MIN_NODE = [20, 19];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
  console.error(`[setup] dawn-rfb needs Node.js >= ${MIN_NODE.join('.')}; this is ${process.version} (${process.execPath}).`);
  console.error('[setup] Install a supported Node.js, for example one of:');
  console.error('[setup]   NodeSource (Debian/Ubuntu, as root): curl -fsSL https://deb.nodesource.com/setup_22.x | bash - && apt-get install -y nodejs');
  console.error('[setup]   nvm (per user): https://github.com/nvm-sh/nvm, then `nvm install 22`');
  console.error('[setup]   the official binaries: https://nodejs.org/en/download (unpack, put its bin/ first on PATH)');
  console.error("[setup] Debian 12's own nodejs package is 18, which is too old.");
  process.exit(1);
}

const args = new Set(process.argv.slice(2));
const known = new Set(['--browser', '--video', '--jupyter', '--jupyter-tests', '--quiet']);
for (const a of args) {
  if (!known.has(a)) {
    console.error(`setup: unknown option ${a}; allowed: ${[...known].join(', ')}`);
    process.exit(2);
  }
}
if (args.has('--jupyter-tests')) args.add('--jupyter');
const quiet = args.has('--quiet');
const log = (msg) => console.error(`[setup] ${msg}`);
const info = (msg) => { if (!quiet) log(msg); };


function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    log(`failed: ${cmd} ${argv.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function fail(lines) {
  for (const l of lines) log(l);
  process.exit(1);
}

const isRoot = process.getuid?.() === 0;
const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
const osField = (k) => osRelease.match(new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm'))?.[1] ?? '';
const isDebian = osField('ID') === 'debian';
const codename = osField('VERSION_CODENAME');

// ---- 1. npm packages -------------------------------------------------------------------------
function mtime(p) {
  try { return statSync(p).mtimeMs; } catch { return 0; }
}
const installedMarker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installedMarker) || mtime(join(root, 'package-lock.json')) > mtime(installedMarker)
    || mtime(join(root, 'package.json')) > mtime(installedMarker)) {
  log('installing npm packages (npm ci) ...');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
// ---- 2. build ------------------------------------------------------------------------------
// Rebuild when any source is newer than the last build stamp (tsc alone takes a few seconds).
function newestIn(dir) {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestIn(p) : mtime(p));
  }
  return newest;
}
const stamp = join(root, 'dist', '.build-stamp');
const sources = Math.max(newestIn(join(root, 'src')), newestIn(join(root, 'widget')),
  mtime(join(root, 'tsconfig.json')), mtime(join(root, 'package.json')));
if (sources > mtime(stamp)) {
  info('building (npm run build) ...');
  run('npm', ['run', '--silent', 'build']);
  writeFileSync(stamp, new Date().toISOString() + '\n');
}

// ---- 3. a WebGPU adapter -------------------------------------------------------------------
// scripts/setup-gpu.mjs, also shipped for `npx dawn-rfb setup`; imported only now, as it uses the build.
const { setupGpu } = await import('./setup-gpu.mjs');
if (!setupGpu({ quiet })) process.exit(1);

// ---- 4. Chromium for browser tests -------------------------------------------------------------
if (args.has('--browser') && !existsSync('/usr/bin/chromium')) {
  if (isRoot && isDebian) {
    log("installing Debian's chromium for the browser tests (apt-get install chromium) ...");
    run('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core']);
  } else {
    fail(['the browser tests need Chromium at /usr/bin/chromium. Run as root: apt-get install -y chromium']);
  }
}

// ---- 4b. ffmpeg for the video tests and benchmarks ---------------------------------------------
// The ffmpeg video backend (src/remote/frames/ffmpeg-encoder.ts) needs an ffmpeg with libx264;
// Debian's has it. Checked the way the library checks it: `ffmpeg -encoders` lists libx264.
if (args.has('--video')) {
  const hasX264 = () => /^\s*V\S*\s+libx264\s/m.test(spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' }).stdout ?? '');
  ensureDebs(['ffmpeg'], hasX264, "Debian's ffmpeg with libx264 (the video encoder of the tests and benchmarks)",
    'Install an ffmpeg built with libx264 and put it on PATH.');
}

// ---- 5. Jupyter for the notebooks ------------------------------------------------------------
// Debian's own Python (/usr/bin/python3), not whatever python3 is first on PATH.
const importable = (modules) => spawnSync('/usr/bin/python3', ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' }).status === 0;
/** Installs Debian packages `debs` unless `present()`; `what` says what they are for. */
function ensureDebs(debs, present, what, otherwise) {
  if (present()) return;
  const install = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${debs.join(' ')}`;
  if (isRoot && isDebian) {
    log(`installing ${what} (apt-get install ${debs.join(' ')}) ...`);
    log(`$ ${install}`);
    run('sh', ['-c', install], { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
    if (!present()) fail([`still missing after apt-get: ${what}`]);
  } else if (isDebian) {
    fail([`missing: ${what}. Run as root:`, `  ${install}`]);
  } else {
    fail([`missing: ${what}. ${otherwise}`]);
  }
}
if (args.has('--jupyter')) {
  ensureDebs(['jupyter-notebook', 'python3-nbclient', 'python3-ipykernel', 'jupyter-client'],
    () => importable(['notebook', 'nbclient', 'ipykernel', 'jupyter_client']),
    "Debian's Jupyter Notebook 6, nbclient and ipykernel for /usr/bin/python3 (the notebooks)",
    "Run: /usr/bin/python3 -m pip install 'notebook<7' nbclient ipykernel jupyter-client");
  // The notebooks import dawn-rfb by name; tslab's type checker resolves it like Node 10 does, from
  // notebooks/node_modules (a link to this package, see notebooks/package.json).
  const notebooks = join(root, 'notebooks');
  if (!existsSync(join(notebooks, 'node_modules', 'dawn-rfb', 'package.json'))) {
    log("linking dawn-rfb into the notebooks' npm project (npm install in notebooks/) ...");
    run('npm', ['install', '--no-audit', '--no-fund'], { cwd: notebooks });
  }
}

// ---- 6. What only the Jupyter tests use ----------------------------------------------------------
// python3-jupyter-server and python3-jupyterlab-server: the server JupyterLab runs on and the one
// that serves the JupyterLab front end of the tests (test/jupyter-server-path, test/jupyterlab).
// jupyterhub and node-configurable-http-proxy: test/jupyterhub.test.ts.
if (args.has('--jupyter-tests')) {
  ensureDebs(['python3-jupyter-server', 'python3-jupyterlab-server', 'jupyterhub', 'node-configurable-http-proxy'],
    () => existsSync('/usr/bin/configurable-http-proxy') && importable(['jupyter_server', 'jupyterlab_server', 'jupyterhub']),
    'jupyter_server, jupyterlab_server, JupyterHub and configurable-http-proxy (the JupyterLab and JupyterHub tests)',
    'Run: /usr/bin/python3 -m pip install jupyter_server jupyterlab_server jupyterhub && npm install -g configurable-http-proxy');
  // The tunnel test (test/jupyter-tunnel.test.ts) runs Jupyter in a network namespace of its own.
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) {
    if (isRoot && isDebian) {
      log("installing iproute2 for the tunnel test's network namespace (apt-get install iproute2) ...");
      run('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2']);
    } else {
      fail(['the tunnel test needs `ip` (iproute2) and root. Run as root: apt-get install -y iproute2']);
    }
  }
  // A JupyterLab 3.6 front end for test/jupyterlab.test.ts, assembled from npm (test/lab/): built
  // once, again only when its lockfile changes (a few minutes on 2 cores).
  const lab = join(root, 'test', 'lab');
  const bundle = join(lab, 'build', 'bundle.js');
  if (existsSync(join(lab, 'package.json'))
    && (!existsSync(bundle) || statSync(bundle).mtimeMs < statSync(join(lab, 'package-lock.json')).mtimeMs)) {
    log('building the JupyterLab 3.6 front end of the tests (npm ci and webpack in test/lab/) ...');
    run('npm', ['ci', '--no-audit', '--no-fund', '--legacy-peer-deps'], { cwd: lab });
    run('npx', ['webpack'], { cwd: lab });
  }
  buildLab4();
}

/**
 * The JupyterLab 4 front end and Notebook 7's notebook page for test/jupyterlab4.test.ts, assembled
 * from npm (test/lab4/): built once, again only when its lockfile, webpack config or an entry
 * changes. A test-only step, like the JupyterLab 3.6 build next to its call.
 */
function buildLab4() {
  const dir = join(root, 'test', 'lab4');
  if (!existsSync(join(dir, 'package.json'))) return;
  // A stamp of our own, not the bundles' times: webpack leaves an output file alone (and its time
  // old) when its content did not change, so a newer lockfile would rebuild on every run.
  const stamp = join(dir, 'build', '.build-stamp');
  const built = existsSync(join(dir, 'build', 'bundle.js')) && existsSync(join(dir, 'build', 'notebook7', 'bundle.js')) ? mtime(stamp) : 0;
  const inputs = Math.max(...['package-lock.json', 'webpack.config.js', 'index.js', 'notebook.js'].map((f) => mtime(join(dir, f))));
  if (built && built >= inputs) return;
  log('building the JupyterLab 4 and Notebook 7 front ends of the tests (npm ci and webpack in test/lab4/) ...');
  run('npm', ['ci', '--no-audit', '--no-fund', '--legacy-peer-deps'], { cwd: dir });
  run('npx', ['webpack'], { cwd: dir });
  writeFileSync(stamp, new Date().toISOString() + '\n');
}

// ---- 7. The video encoder ----------------------------------------------------------------------
// The video encoder (codec: "h264") is an optional peer dependency, not an optional dependency:
// npm ci insists on lockfile entries for every platform binary of an optional dependency, and the
// registry has only some of @napi-rs/webcodecs's (linux-x64 among them). npm will not install a
// root's own optional peer (`npm install --no-save` says "up to date"), so it is installed into a
// folder of its own and copied into node_modules, for the demo and the tests; without it a canvas
// sends stills and says so once. Last: npm installs in the root or in notebooks/ (its file:..
// link) prune it from the root's node_modules as a package the lockfile does not list.
const VIDEO_ENCODER = '@napi-rs/webcodecs';
if (!existsSync(join(root, 'node_modules', ...VIDEO_ENCODER.split('/'), 'package.json'))) {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).peerDependencies[VIDEO_ENCODER];
  log(`installing the video encoder (${VIDEO_ENCODER}@${version}, not saved) ...`);
  const dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-video-'));
  const r = spawnSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-package-lock', `${VIDEO_ENCODER}@${version}`], { cwd: root, stdio: 'inherit' });
  if (r.status === 0) cpSync(join(dir, 'node_modules', '@napi-rs'), join(root, 'node_modules', '@napi-rs'), { recursive: true });
  else log(`could not install ${VIDEO_ENCODER} (exit ${r.status ?? r.signal}): video frames fall back to JPEG`);
  rmSync(dir, { recursive: true, force: true });
}
