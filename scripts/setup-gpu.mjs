#!/usr/bin/env node
// The WebGPU part of the setup: checks that Dawn finds an adapter (each backend probed in a child
// process, so a crashing driver cannot take the setup down) and, as root on Debian, installs
// Mesa's software Vulkan driver when none is found. Used by scripts/setup.mjs in this repository
// and shipped in the package for `npx dawn-rfb setup` in a user's project (where
// `npm run setup` does not exist). The install commands come from dist/gpu/install-hints.js,
// the same ones GpuUnavailableError prints.
//
//   node scripts/setup-gpu.mjs [--quiet]
//
// Exit codes: 0 an adapter was found; 1 none (the message says the exact command to run); 2 bad arguments.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eglInstallCommands, readOsInfo, vulkanInstallCommands } from '../dist/gpu/install-hints.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

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

/**
 * Makes sure Dawn finds a WebGPU adapter, installing Mesa's lavapipe as root on Debian.
 * @returns true when an adapter was found; false after printing what to run.
 */
export function setupGpu({ quiet = false } = {}) {
  const log = (msg) => console.error(`[setup] ${msg}`);
  const info = (msg) => { if (!quiet) log(msg); };
  const os = readOsInfo();
  const isRoot = process.getuid?.() === 0;
  const isDebian = os.id === 'debian';
  const vk = probe('vulkan');
  if (vk.ok) {
    info(`WebGPU adapter: ${vk.summary}`);
    return true;
  }
  const gles = probe('opengles');
  if (isRoot && isDebian) {
    log(`no Vulkan WebGPU adapter (${vk.reason}); installing Mesa's software Vulkan driver (lavapipe)`
      + (os.codename === 'bookworm' ? ' from bookworm-backports' : '') + ' ...');
    for (const c of vulkanInstallCommands(os)) {
      log(`$ ${c}`);
      const r = spawnSync('sh', ['-c', c], { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
      if (r.status !== 0) {
        log(`failed: ${c} (exit ${r.status ?? r.signal})`);
        return false;
      }
    }
    const again = probe('vulkan');
    if (again.ok) info(`WebGPU adapter: ${again.summary}`);
    else if (gles.ok) log(`Vulkan still unavailable (${again.reason}); using OpenGL ES: ${gles.summary}`);
    else {
      log(`still no WebGPU adapter after installing Mesa: ${again.reason}`);
      return false;
    }
    return true;
  }
  if (gles.ok) {
    log(`no Vulkan adapter (${vk.reason}); using OpenGL ES: ${gles.summary}`);
    log(`for the Vulkan backend run as root: ${vulkanInstallCommands(os).join(' && ')}`);
    return true;
  }
  log('no WebGPU adapter found.');
  log(`  vulkan: ${vk.reason}`);
  log(`  opengles: ${gles.reason}`);
  if (os.platform === 'linux') {
    log(`Run as root (Debian/Ubuntu), for Vulkan: ${vulkanInstallCommands(os).join(' && ')}`);
    log(`  or for OpenGL ES: ${eglInstallCommands().join(' && ')}`);
  } else {
    log('Install a Vulkan driver (a GPU driver, or Mesa >= 23 "lavapipe" for a software GPU) and its loader.');
  }
  return false;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--quiet');
  if (unknown.length > 0) {
    console.error(`setup-gpu: unknown option ${unknown[0]}; allowed: --quiet`);
    process.exit(2);
  }
  process.exit(setupGpu({ quiet: args.includes('--quiet') }) ? 0 : 1);
}
