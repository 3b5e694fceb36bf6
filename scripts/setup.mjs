#!/usr/bin/env node
// Makes a fresh machine ready for dawn-rfb: npm packages, the build, a WebGPU adapter, and
// (on request) Chromium for browser tests and Jupyter for the notebooks. It runs before
// `npm install`, so it uses only Node's standard library. Every install step says what it
// installs before it does it.
//
//   node scripts/setup.mjs [--browser] [--jupyter] [--quiet]
//
// --jupyter: Debian's Jupyter Notebook 6, nbclient and ipykernel (for /usr/bin/python3), and the
// notebooks' own npm project (notebooks/node_modules/dawn-rfb, a link to this package).
//
// Exit codes: 0 ready; 1 something is missing that this script may not install (the message
// says the exact command to run); 2 bad arguments.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const known = new Set(['--browser', '--jupyter', '--quiet']);
for (const a of args) {
  if (!known.has(a)) {
    console.error(`setup: unknown option ${a}; allowed: ${[...known].join(', ')}`);
    process.exit(2);
  }
}
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
function probe(backend) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'probe-adapter.mjs'), backend],
    { cwd: root, encoding: 'utf8', env: { ...process.env, EGL_PLATFORM: process.env.EGL_PLATFORM ?? 'surfaceless' } });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let result;
  try { result = JSON.parse(line); } catch { result = { ok: false, reason: (r.stderr || line).trim().slice(0, 300) }; }
  // Dawn says why a backend failed on stderr ("Couldn't load Vulkan: libvulkan.so.1 ...").
  const why = r.stderr.split('\n').find((l) => /^(Warning|Error):/.test(l));
  if (!result.ok && why) result.reason += ` -- ${why.replace(/^\w+:\s*/, '')}`;
  return result;
}

/** The deb822 URI of the machine's own Debian mirror, read at run time (never hard-coded). */
function debianMirror() {
  const f = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(f)) {
    for (const stanza of readFileSync(f, 'utf8').split(/\n\s*\n/)) {
      const suites = stanza.match(/^Suites:\s*(.*)$/m)?.[1].split(/\s+/) ?? [];
      const uri = stanza.match(/^URIs:\s*(\S+)/m)?.[1];
      if (uri && suites.includes(codename)) return uri;
    }
  }
  const legacy = '/etc/apt/sources.list';
  if (existsSync(legacy)) {
    const m = readFileSync(legacy, 'utf8').match(new RegExp(`^deb\\s+(?:\\[[^\\]]*\\]\\s+)?(\\S+)\\s+${codename}\\s`, 'm'));
    if (m) return m[1];
  }
  return null;
}

function vulkanInstallCommands() {
  if (codename === 'bookworm') {
    const uri = debianMirror() ?? '<your Debian mirror URI>';
    return [
      `printf 'Types: deb\\nURIs: ${uri}\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > /etc/apt/sources.list.d/bookworm-backports.sources`,
      'apt-get update',
      'apt-get install -y -t bookworm-backports mesa-vulkan-drivers',
    ];
  }
  return ['apt-get update', 'apt-get install -y mesa-vulkan-drivers'];
}

const vk = probe('vulkan');
if (vk.ok) {
  info(`WebGPU adapter: ${vk.summary}`);
} else {
  const gles = probe('opengles');
  if (isRoot && isDebian) {
    log(`no Vulkan WebGPU adapter (${vk.reason}); installing Mesa's software Vulkan driver (lavapipe)`
      + (codename === 'bookworm' ? ' from bookworm-backports' : '') + ' ...');
    for (const c of vulkanInstallCommands()) {
      log(`$ ${c}`);
      run('sh', ['-c', c], { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
    }
    const again = probe('vulkan');
    if (again.ok) info(`WebGPU adapter: ${again.summary}`);
    else if (gles.ok) log(`Vulkan still unavailable (${again.reason}); using OpenGL ES: ${gles.summary}`);
    else fail([`still no WebGPU adapter after installing Mesa: ${again.reason}`]);
  } else if (gles.ok) {
    log(`no Vulkan adapter (${vk.reason}); using OpenGL ES: ${gles.summary}`);
    log(`for the Vulkan backend run as root: ${vulkanInstallCommands().join(' && ')}`);
  } else {
    fail([
      'no WebGPU adapter found.',
      `  vulkan: ${vk.reason}`,
      `  opengles: ${gles.reason}`,
      isDebian
        ? `Run as root: ${vulkanInstallCommands().join(' && ')}`
        : 'Install a Vulkan driver (a GPU driver, or Mesa >= 23 "lavapipe" for a software GPU) and its loader libvulkan.so.1.',
    ]);
  }
}

// ---- 4. Chromium for browser tests -------------------------------------------------------------
if (args.has('--browser') && !existsSync('/usr/bin/chromium')) {
  if (isRoot && isDebian) {
    log("installing Debian's chromium for the browser tests (apt-get install chromium) ...");
    run('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core']);
  } else {
    fail(['the browser tests need Chromium at /usr/bin/chromium. Run as root: apt-get install -y chromium']);
  }
}

// ---- 5. Jupyter for the notebooks ------------------------------------------------------------
// Debian's own Python (/usr/bin/python3), not whatever python3 is first on PATH.
// python3-jupyter-server and python3-jupyterlab-server: the server JupyterLab runs on and the one
// that serves the JupyterLab front end of the tests (test/jupyter-server-path, test/jupyterlab).
// jupyterhub and node-configurable-http-proxy: test/jupyterhub.test.ts.
const JUPYTER_DEBS = ['jupyter-notebook', 'python3-nbclient', 'python3-ipykernel', 'jupyter-client', 'python3-jupyter-server',
  'python3-jupyterlab-server', 'jupyterhub', 'node-configurable-http-proxy'];
const hasJupyter = () => existsSync('/usr/bin/configurable-http-proxy') && spawnSync('/usr/bin/python3', ['-c', 'import notebook, nbclient, ipykernel, jupyter_client, jupyter_server, jupyterlab_server, jupyterhub'],
  { stdio: 'ignore' }).status === 0;
if (args.has('--jupyter')) {
  if (!hasJupyter()) {
    const install = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${JUPYTER_DEBS.join(' ')}`;
    if (isRoot && isDebian) {
      log(`installing Debian's Jupyter Notebook for the notebooks (apt-get install ${JUPYTER_DEBS.join(' ')}) ...`);
      log(`$ ${install}`);
      run('sh', ['-c', install], { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
      if (!hasJupyter()) fail(['Jupyter still missing after apt-get: /usr/bin/python3 -c "import notebook, nbclient, ipykernel" fails']);
    } else if (isDebian) {
      fail(['the notebooks need Jupyter Notebook, nbclient and ipykernel for /usr/bin/python3. Run as root:', `  ${install}`]);
    } else {
      fail([
        'the notebooks need Jupyter Notebook 6, nbclient and ipykernel importable by /usr/bin/python3. Run:',
        "  /usr/bin/python3 -m pip install 'notebook<7' nbclient ipykernel jupyter-client",
      ]);
    }
  }
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
  // The notebooks import dawn-rfb by name; tslab's type checker resolves it like Node 10 does, from
  // notebooks/node_modules (a link to this package, see notebooks/package.json).
  const notebooks = join(root, 'notebooks');
  if (!existsSync(join(notebooks, 'node_modules', 'dawn-rfb', 'package.json'))) {
    log("linking dawn-rfb into the notebooks' npm project (npm install in notebooks/) ...");
    run('npm', ['install', '--no-audit', '--no-fund'], { cwd: notebooks });
  }
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
