#!/usr/bin/env node
// Writes dist/index.dom-webgpu.d.ts: the main entry's types without the reference to
// @webgpu/types, for TypeScript >= 6, whose DOM lib declares WebGPU itself (package.json's
// "types@>=6.0" export condition picks it). With both, a consumer's compile fails on
// `Duplicate identifier 'GPUTextureFormat'` and ~180 more unless it sets skipLibCheck. TypeScript
// 5 (tslab's 5.0 included) has no WebGPU in its DOM lib and keeps dist/index.d.ts, which
// references @webgpu/types. Run by `npm run build` after tsc.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const REFERENCE = /^\/\/\/ <reference types="@webgpu\/types"[^>]*\/>\n/m;
const source = readFileSync(join(dist, 'index.d.ts'), 'utf8');
if (!REFERENCE.test(source)) {
  console.error('build-dom-types: dist/index.d.ts has no @webgpu/types reference to drop (did src/index.ts change?)');
  process.exit(1);
}
writeFileSync(join(dist, 'index.dom-webgpu.d.ts'), [
  '// The types of dist/index.d.ts for TypeScript >= 6: WebGPU comes from its DOM lib, not',
  '// @webgpu/types (see scripts/build-dom-types.mjs). Without the DOM lib, add "@webgpu/types"',
  '// to compilerOptions.types.',
  source.replace(REFERENCE, ''),
].join('\n'));
