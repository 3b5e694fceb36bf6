// Bundles the browser widget (widget/src) into one self-contained script, widget/dist/widget.js,
// that notebook outputs inline or load: an IIFE defining globalThis.DawnRfb, no imports, no assets.
// Usage: node scripts/build-widget.mjs
import { readFile, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}widget/dist/widget.js`;
const { version } = JSON.parse(await readFile(`${root}package.json`, 'utf8'));

await build({
  absWorkingDir: root,
  entryPoints: ['widget/src/index.ts'],
  tsconfig: 'widget/tsconfig.json',
  outfile,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // ASCII output (esbuild's default, kept explicit) survives any page encoding when inlined.
  charset: 'ascii',
  define: { __DAWN_RFB_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});

const code = await readFile(outfile);
// Outputs inline the bundle in a <script> element, which would end at a literal "</script".
if (/<\/script/i.test(code.toString('latin1'))) throw new Error(`${outfile} contains "</script"; it cannot be inlined`);
const { size } = await stat(outfile);
console.log(`widget/dist/widget.js: ${size} bytes (${gzipSync(code).length} gzipped), version ${version}`);
