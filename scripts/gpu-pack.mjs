// Packs what the benchmark needs on a GPU machine that has no Node.js and no registry: the node
// binary, the build (dist, widget/dist, bench), the production dependencies (only the linux-x64
// binaries of webgpu and sharp), and Debian's Vulkan loader (libvulkan1). Writes `.gpu/`
// (git-ignored) with a run script:
//
//   node scripts/gpu-pack.mjs            # here, after `npm run build`
//   sh .gpu/run.sh OUTDIR [bench options] # there: unpacks to /tmp/dawn-rfb and runs the benchmark
//
// The benchmark there uses the Node client only (no browser on that machine).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OUT = '.gpu';
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });

if (!existsSync('dist/index.js') || !existsSync('widget/dist/widget.js')) {
  console.error('gpu-pack: build first (npm run build)');
  process.exit(1);
}
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT);

// 1. Node itself (one binary).
console.log(`packing node ${process.version} ...`);
run('sh', ['-c', `xz -T2 -6 -c "${process.execPath}" > ${OUT}/node.xz`]);

// 2. The build and the production dependencies, without other platforms' binaries.
const deps = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' })
  .trim().split('\n').slice(1).map((p) => p.slice(process.cwd().length + 1))
  .filter((p) => p !== 'node_modules/@webgpu/types'); // type declarations only
const exclude = readdirSync('node_modules/webgpu/dist').filter((d) => d !== 'linux-x64' && statSync(join('node_modules/webgpu/dist', d)).isDirectory())
  .map((d) => `--exclude=node_modules/webgpu/dist/${d}`);
console.log(`packing dist, bench, widget/dist and ${deps.length} packages ...`);
run('tar', ['-cJf', `${OUT}/app.tar.xz`, ...exclude, 'package.json', 'dist', 'bench', 'widget/dist', ...deps], { env: { ...process.env, XZ_OPT: '-T2 -6' } });

// 3. The Vulkan loader from Debian (amd64), unpacked to / there, with the GL vendor-neutral
// dispatch libraries: NVIDIA's Vulkan ICD (libGLX_nvidia.so.0) loads only when libglvnd's
// libGLX/libGLdispatch are present ("Could not get 'vkCreateInstance' ... for ICD" otherwise).
const DEBS = ['libvulkan1', 'libglvnd0', 'libglx0', 'libgl1', 'libegl1', 'libopengl0', 'libgles2'];
console.log(`downloading ${DEBS.join(' ')} (amd64) ...`);
const lists = '/tmp/dawn-rfb-apt-amd64';
mkdirSync(`${lists}/partial`, { recursive: true });
const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
run('apt-get', [...apt, '-qq', 'update']);
run('apt-get', [...apt, 'download', ...DEBS], { cwd: OUT });

// 4. The run script.
writeFileSync(`${OUT}/run.sh`, `#!/bin/sh
# Usage: sh .gpu/run.sh OUTDIR [bench options]; unpacks to /tmp/dawn-rfb and runs the benchmark.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
OUTDIR=$1; shift
for f in "$HERE"/*.deb; do dpkg -x "$f" /; done
ldconfig
mkdir -p /tmp/dawn-rfb && cd /tmp/dawn-rfb
xz -dc "$HERE/node.xz" > node && chmod +x node
tar -xJf "$HERE/app.tar.xz"
[ -n "$VK_DRIVER_FILES" ] || for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$f" ] && export VK_DRIVER_FILES=$f && break
done
export XDG_RUNTIME_DIR=/tmp
./node dist/cli/main.js info
UV_THREADPOOL_SIZE=\${UV_THREADPOOL_SIZE:-\$(nproc)} ./node bench/pipeline.mjs --json "$OUTDIR/gpu-bench.json" --chart "$OUTDIR/gpu-bench.png" "$@"
`);
const size = readdirSync(OUT).reduce((a, f) => a + statSync(join(OUT, f)).size, 0);
console.log(`wrote ${OUT}/ (${(size / 2 ** 20).toFixed(1)} MiB): carry it and run  sh .gpu/run.sh $OUT --clients node`);
