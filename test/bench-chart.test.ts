// The benchmark chart reads the same on a machine without fonts (the GPU machine: "Fontconfig
// error: Cannot load default config file", every <text> glyph a box): its text is drawn as paths
// from its own font (bench/font/glyphs.mjs). Rendered in child processes whose fontconfig finds no
// fonts, and compared with a rendering where it finds the system's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs script of the benchmark, without types
import { chartSvg } from '../bench/chart.mjs';

const root = resolve(import.meta.dirname, '..');
const RECORDS = [
  { scene: 'cube', size: '640x480', format: 'jpeg', client: 'node', link: 'none', fps: 57.3, latency: { p50: 12, p95: 30, p99: 45 }, load: [0.5] },
  { scene: 'noise', size: '1280x720', format: 'jpeg', client: 'chromium', link: '20mbit', fps: 22, latency: { p50: 40, p95: 80, p99: 120 } },
];
let noFonts: string;

beforeAll(() => {
  // A fontconfig configuration that names no font folders: what a machine without fonts has.
  const dir = mkdtempSync(join(tmpdir(), 'dawn-rfb-nofonts-'));
  noFonts = join(dir, 'fonts.conf');
  writeFileSync(noFonts, `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><cachedir>${dir}/cache</cachedir></fontconfig>\n`);
});

/** RGBA pixels of `svg` (or of the chart, when svg is undefined) rendered by sharp in a child with `env`. */
function render(env: Record<string, string>, svg?: string): Buffer {
  const script = svg === undefined
    ? `import { renderChart } from './bench/chart.mjs';
       const png = await renderChart(${JSON.stringify(RECORDS)}, 'test machine');
       const { data } = await (await import('sharp')).default(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
       process.stdout.write(data.toString('base64'));`
    : `const { data } = await (await import('sharp')).default(Buffer.from(${JSON.stringify(svg)})).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
       process.stdout.write(data.toString('base64'));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  return Buffer.from(out, 'base64');
}

test('the chart has no <text>: every label is a path', () => {
  const svg = chartSvg(RECORDS, 'test machine') as string;
  expect(svg).not.toMatch(/<text|font-family/);
  expect((svg.match(/<path /g) ?? []).length).toBeGreaterThan(20);
});

test('without fonts the chart renders exactly as with them, and its labels have ink', async () => {
  // The check is only worth something if these environments really take the fonts away: a
  // <text> renders differently in them.
  const probe = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="30"><rect width="100%" height="100%" fill="white"/><text x="5" y="20" font-size="14">Hello 123</text></svg>';
  const withFonts = render({}, probe);
  expect(render({ FONTCONFIG_FILE: noFonts }, probe).equals(withFonts)).toBe(false);

  const reference = render({});
  for (const env of [{ FONTCONFIG_FILE: noFonts }, { FONTCONFIG_FILE: '/nonexistent' }]) {
    expect(render(env).equals(reference), JSON.stringify(env)).toBe(true);
  }
  // The title (top left, 15 px bold) has ink in glyph shapes: dark pixels, and light gaps
  // between the letters in the same rows (a box per glyph would fill them).
  const png = await sharp(Buffer.from(chartSvg(RECORDS, 'test machine') as string)).raw().toBuffer({ resolveWithObject: true });
  const { data, info } = png;
  let dark = 0;
  let columnsWithInk = 0;
  for (let x = 10; x < 260; x++) {
    let ink = false;
    for (let y = 6; y < 24; y++) {
      if (data[(y * info.width + x) * info.channels]! < 100) { dark++; ink = true; }
    }
    if (ink) columnsWithInk++;
  }
  expect(dark).toBeGreaterThan(400);
  expect(columnsWithInk).toBeGreaterThan(100);
  expect(columnsWithInk).toBeLessThan(240); // gaps between the letters and words
});
