// Packs what the benchmark needs on a GPU machine that has no Node.js and no registry: the node
// binary, the build (dist, widget/dist, bench), the production dependencies (only the linux-x64
// binaries of webgpu and sharp) with the optional video encoder @napi-rs/webcodecs and its
// linux-x64-gnu binary (66 MB unpacked: H.264 frames and the Node client's decoder), and Debian's
// Vulkan loader (libvulkan1). Everything is xz -9 (the device tool carries at most 64 MiB; the
// pack says its size and refuses to pass 60 MiB). Writes `.gpu/` (git-ignored) with a run script:
//
//   node scripts/gpu-pack.mjs            # here, after `npm run build`
//   sh .gpu/run.sh OUTDIR [bench options] # there: unpacks to /tmp/dawn-rfb and runs the benchmark
//   sh .gpu/run.sh --quality OUTDIR [bench:quality options]   # there: the quality-per-byte benchmark
//
// The benchmark there uses the Node client only (no browser on that machine); with
// `--formats jpeg,h264` it decodes the video frames too.
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
run('sh', ['-c', `xz -T2 -9 -c "${process.execPath}" > ${OUT}/node.xz`]);

// 2. The build and the production dependencies, without other platforms' binaries.
const deps = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' })
  .trim().split('\n').slice(1).map((p) => p.slice(process.cwd().length + 1))
  .filter((p) => p !== 'node_modules/@webgpu/types' && p !== 'node_modules/@types/dom-webcodecs'); // type declarations only
// The video encoder is an optional peer dependency: carried when it is installed here.
const VIDEO = ['node_modules/@napi-rs/webcodecs', 'node_modules/@napi-rs/webcodecs-linux-x64-gnu'];
for (const p of VIDEO) {
  if (!existsSync(p)) console.warn(`gpu-pack: ${p} is not installed: the pack has no H.264 (frames go as JPEG there)`);
  else if (!deps.includes(p)) deps.push(p);
}
const exclude = readdirSync('node_modules/webgpu/dist').filter((d) => d !== 'linux-x64' && statSync(join('node_modules/webgpu/dist', d)).isDirectory())
  .map((d) => `--exclude=node_modules/webgpu/dist/${d}`);
console.log(`packing dist, bench, widget/dist and ${deps.length} packages ...`);
run('tar', ['-cJf', `${OUT}/app.tar.xz`, ...exclude, 'package.json', 'dist', 'bench', 'widget/dist', ...deps], { env: { ...process.env, XZ_OPT: '-T2 -9' } });

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
# Usage: sh .gpu/run.sh [--quality] OUTDIR [options]; unpacks to /tmp/dawn-rfb and runs the
# whole-pipeline benchmark (bench/pipeline.mjs), or with --quality the quality-per-byte one.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
QUALITY=
[ "$1" = --quality ] && QUALITY=1 && shift
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
if [ -n "$QUALITY" ]; then
  exec ./node bench/quality.mjs --json "$OUTDIR/gpu-quality.json" "$@"
fi
UV_THREADPOOL_SIZE=\${UV_THREADPOOL_SIZE:-\$(nproc)} ./node bench/pipeline.mjs --json "$OUTDIR/gpu-bench.json" --chart "$OUTDIR/gpu-bench.png" "$@"
`);
const files = readdirSync(OUT).map((f) => [f, statSync(join(OUT, f)).size]);
const size = files.reduce((a, [, n]) => a + n, 0);
for (const [f, n] of files) console.log(`  ${f}: ${(n / 2 ** 20).toFixed(1)} MiB`);
// The device tool carries 64 MiB in all (the working tree's other files travel too).
const LIMIT_MIB = 60;
if (size > LIMIT_MIB * 2 ** 20) {
  console.error(`gpu-pack: ${OUT}/ is ${(size / 2 ** 20).toFixed(1)} MiB, over ${LIMIT_MIB} MiB: too big to carry`);
  process.exit(1);
}
console.log(`wrote ${OUT}/ (${(size / 2 ** 20).toFixed(1)} MiB): carry it and run  sh .gpu/run.sh $OUT --clients node [--formats jpeg,h264]`);
