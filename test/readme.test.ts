// Every ```ts sample in README.md compiles against the built package, as a user's file would
// (strict, ESM with top-level await, importing 'dawn-rfb' and 'dawn-rfb/vitest' by name): a
// sample that drifts from the API fails here. Needs the build (`npm test` builds first).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** The README's ```ts (or ```typescript) blocks, each with the line it starts on. */
function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!['```ts', '```typescript'].includes(lines[i]!.trim())) continue;
    const start = i + 1;
    while (++i < lines.length && lines[i]!.trim() !== '```');
    blocks.push({ line: start + 1, code: lines.slice(start, i).join('\n') });
  }
  return blocks;
}

test('every TypeScript sample in the README type-checks against the package', () => {
  const blocks = tsBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  const dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-readme-'));
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '@webgpu'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'dawn-rfb'));
  for (const name of ['vitest', '@types/node', '@webgpu/types']) symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-samples', private: true, type: 'module' }));
  // One file per block, named after its README line, so an error says which sample it is.
  const files = blocks.map(({ line, code }) => {
    const file = join(dir, `readme-line-${line}.ts`);
    writeFileSync(file, `${code}\nexport {};\n`);
    return file;
  });
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', '--lib', 'es2022', '--types', 'node', '--skipLibCheck', ...files], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    output = String((e as { stdout?: string }).stdout ?? e);
  }
  expect(output.trim()).toBe('');
}, 120_000);
