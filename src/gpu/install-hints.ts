// What to tell a user who has no WebGPU adapter: the command that exists for them
// (`npx dawn-rfb setup`, shipped in the package), the apt lines for this machine (Debian 12 gets
// Mesa's Vulkan driver from bookworm-backports, from the machine's own mirror), and a hint that
// fits the backend asked for (metal or d3d12 do not exist on Linux). Shared by GpuUnavailableError
// and scripts/setup-gpu.mjs, so the error and the installer give the same commands.
import { existsSync, readFileSync } from 'node:fs';
import type { Backend } from './backends.js';

/** Which backends Dawn has on each platform (`null` renders nothing and exists everywhere). */
const PLATFORM_BACKENDS: Readonly<Record<string, readonly Backend[]>> = {
  linux: ['vulkan', 'opengles', 'opengl', 'null'],
  darwin: ['metal', 'null'],
  win32: ['d3d12', 'd3d11', 'vulkan', 'null'],
};

const PLATFORM_NAMES: Readonly<Record<string, string>> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' };

/** The OS facts the hints depend on. */
export interface OsInfo {
  platform: NodeJS.Platform;
  /** /etc/os-release ID, e.g. "debian" ('' when unknown). */
  id: string;
  /** /etc/os-release VERSION_CODENAME, e.g. "bookworm" ('' when unknown). */
  codename: string;
}

/** Reads the platform and /etc/os-release. */
export function readOsInfo(): OsInfo {
  const text = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const field = (k: string): string => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
  return { platform: process.platform, id: field('ID'), codename: field('VERSION_CODENAME') };
}

/** The URI of the machine's own Debian mirror for `codename`, read from its apt sources (never hard-coded). */
export function debianMirror(codename: string): string | undefined {
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(deb822)) {
    for (const stanza of readFileSync(deb822, 'utf8').split(/\n\s*\n/)) {
      const suites = /^Suites:\s*(.*)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      if (uri && suites.includes(codename)) return uri;
    }
  }
  const legacy = '/etc/apt/sources.list';
  if (existsSync(legacy)) {
    const m = new RegExp(`^deb\\s+(?:\\[[^\\]]*\\]\\s+)?(\\S+)\\s+${codename}\\s`, 'm').exec(readFileSync(legacy, 'utf8'));
    if (m) return m[1];
  }
  return undefined;
}

/** Root shell commands that install Mesa's software Vulkan driver (lavapipe) on Debian/Ubuntu. */
export function vulkanInstallCommands(os: OsInfo = readOsInfo()): string[] {
  if (os.codename === 'bookworm') {
    // Debian 12's own Mesa 22 lavapipe lacks features Dawn requires; backports has Mesa 25.
    const uri = debianMirror('bookworm') ?? '<your Debian mirror URI>';
    return [
      `printf 'Types: deb\\nURIs: ${uri}\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > /etc/apt/sources.list.d/bookworm-backports.sources`,
      'apt-get update',
      'apt-get install -y -t bookworm-backports mesa-vulkan-drivers',
    ];
  }
  return ['apt-get update', 'apt-get install -y mesa-vulkan-drivers'];
}

/** Root shell commands that install EGL and Mesa's OpenGL (ES) drivers (llvmpipe) on Debian/Ubuntu. */
export function eglInstallCommands(): string[] {
  return ['apt-get update', 'apt-get install -y libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri'];
}

function indent(commands: readonly string[]): string {
  return commands.map((c) => `    ${c}`).join('\n');
}

/**
 * The "Fix:" part of GpuUnavailableError's message for these backends on this OS: a backend the
 * OS does not have is named as such; Vulkan gets `npx dawn-rfb setup` and the Mesa lines;
 * OpenGL ES / OpenGL get the EGL lines.
 */
export function adapterFixHint(tried: readonly Backend[], os: OsInfo = readOsInfo()): string {
  const here = PLATFORM_BACKENDS[os.platform];
  const osName = PLATFORM_NAMES[os.platform] ?? os.platform;
  const lines: string[] = [];
  const foreign = here ? tried.filter((b) => !here.includes(b)) : [];
  if (foreign.length > 0) {
    lines.push(`${foreign.join(', ')}: ${foreign.length === 1 ? 'that backend does' : 'those backends do'} not exist on ${osName}; `
      + `Dawn's backends here: ${here!.filter((b) => b !== 'null').join(', ')}. Leave the backend out (platform order) or pick one of those.`);
  }
  const linuxLike = os.platform === 'linux';
  if (tried.includes('vulkan') && linuxLike) {
    lines.push('vulkan: run `npx dawn-rfb setup` in your project (as root on Debian it installs Mesa\'s software Vulkan driver, '
      + 'lavapipe, and checks that Dawn finds an adapter), or install it yourself as root:\n' + indent(vulkanInstallCommands(os)));
  } else if (tried.includes('vulkan')) {
    lines.push('vulkan: install your GPU\'s Vulkan driver and the Vulkan loader.');
  }
  if ((tried.includes('opengles') || tried.includes('opengl')) && linuxLike) {
    lines.push('opengles/opengl: install EGL and Mesa\'s OpenGL drivers as root:\n' + indent(eglInstallCommands())
      + '\n  (without a display dawn-rfb sets EGL_PLATFORM=surfaceless)');
  }
  if (lines.length === 0) lines.push(`install a WebGPU-capable driver for ${tried.join(', ')} on ${osName}.`);
  return `Fix:\n${lines.map((l) => `  - ${l}`).join('\n')}\n`
    + 'Backends are chosen with the `backend` option or env DAWN_RFB_BACKEND (comma-separated).';
}
