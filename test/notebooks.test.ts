// The example notebooks run headless, top to bottom, under the "dawn-rfb" kernelspec: Debian's
// Jupyter (nbclient, through test/helpers/run_notebook.py) starts the kernel that
// `dawn-rfb kernel install --prefix` wrote. No cell may fail or write to stderr, every canvas
// output carries the whole bundle (text/html with the container, the snapshot and the widget
// script; image/png; text/plain), and each snapshot shows what its notebook draws.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const notebooksDir = join(root, 'notebooks');
const runner = join(root, 'test', 'helpers', 'run_notebook.py');
const cli = join(root, 'dist', 'cli', 'main.js');
/** Debian's Python, which has Jupyter (python3 on PATH may be another one). */
const PYTHON = '/usr/bin/python3';
const SETUP_HINT = 'run `node scripts/setup.mjs --jupyter` first';
/** Notebooks run at once (each is a kernel that compiles cells with TypeScript). */
const CONCURRENCY = 2;
/** Per notebook, queueing included; one takes about 7 s on two cores. */
const TIMEOUT = 300_000;

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  metadata: { dawn_rfb_test?: { status: string } };
}
interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: Record<string, string>; dawn_rfb_test?: { seconds: number } };
}

const text = (t: string | string[] | undefined): string => (Array.isArray(t) ? t.join('') : t ?? '');

/** Decoded RGBA-or-RGB pixels of a base64 PNG, with a pixel accessor. */
async function decode(b64: string): Promise<{ width: number; height: number; px: (x: number, y: number) => [number, number, number]; uniform: boolean }> {
  const { data, info } = await sharp(Buffer.from(b64, 'base64')).raw().toBuffer({ resolveWithObject: true });
  const px = (x: number, y: number): [number, number, number] => {
    const i = (y * info.width + x) * info.channels;
    return [data[i]!, data[i + 1]!, data[i + 2]!];
  };
  const first = px(0, 0).join();
  let uniform = true;
  for (let y = 0; y < info.height && uniform; y += 3) for (let x = 0; x < info.width; x += 3) if (px(x, y).join() !== first) { uniform = false; break; }
  return { width: info.width, height: info.height, px, uniform };
}

/** A canvas output: a display_data whose text/plain is a RemoteCanvas summary. */
interface CanvasOutput { cell: number; html: string; png: string; plain: string; canvasId: string; containerId: string }

function canvasOutputs(nb: Notebook): CanvasOutput[] {
  const found: CanvasOutput[] = [];
  nb.cells.forEach((cell, i) => {
    for (const o of cell.outputs ?? []) {
      const plain = text(o.data?.['text/plain']);
      const html = text(o.data?.['text/html']);
      if (!plain.startsWith('RemoteCanvas') && !html.includes('dawn-rfb-output')) continue;
      found.push({
        cell: i, html, plain, png: text(o.data?.['image/png']).replace(/\s+/g, ''),
        canvasId: /^RemoteCanvas (\S+)/.exec(plain)?.[1] ?? '',
        containerId: /<div id="([^"]+)" class="dawn-rfb-output"/.exec(html)?.[1] ?? '',
      });
      expect(o.output_type, `cell ${i}: a canvas output is display_data`).toBe('display_data');
    }
  });
  return found;
}

/** Every failure the executed notebook records, with the cell it happened in. */
function failures(nb: Notebook): string[] {
  const out: string[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    const where = `cell ${i} (${text(cell.source).split('\n')[0]})`;
    if (cell.metadata.dawn_rfb_test?.status === 'error') out.push(`${where}: the kernel replied with an error`);
    for (const o of cell.outputs ?? []) {
      if (o.output_type === 'error') out.push(`${where}: ${o.ename}: ${o.evalue}\n${(o.traceback ?? []).join('\n')}`);
      if (o.output_type === 'stream' && o.name === 'stderr') out.push(`${where}: stderr: ${text(o.text)}`);
    }
  });
  return out;
}

function streamText(nb: Notebook): string {
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'stream').map((o) => text(o.text)).join('');
}

// ---- running the notebooks -----------------------------------------------------------------

let prefix = '';
const runs = new Map<string, Promise<Notebook>>();
const notebooks = readdirSync(notebooksDir).filter((f) => f.endsWith('.ipynb')).sort();

function execute(name: string, env: NodeJS.ProcessEnv): Promise<Notebook> {
  const out = join(prefix, `${name}.executed.json`);
  return new Promise((resolvePromise, reject) => {
    execFile(PYTHON, [runner, join(notebooksDir, name), out], { cwd: root, env, timeout: TIMEOUT, maxBuffer: 64 << 20 }, (error, _stdout, stderr) => {
      // Exit 1: some cell failed, the executed notebook was still written (the checks say which).
      if (error && (error as { code?: unknown }).code !== 1) {
        reject(new Error(`running ${name} failed (${(error as { code?: unknown }).code ?? error.message}):\n${stderr}`));
        return;
      }
      try {
        resolvePromise(JSON.parse(readFileSync(out, 'utf8')) as Notebook);
      } catch (e) {
        reject(new Error(`running ${name}: no executed notebook (${String(e)}):\n${stderr}`));
      }
    });
  });
}

beforeAll(() => {
  const jupyter = execFileSync(PYTHON, ['-c', 'import nbclient, nbformat, ipykernel, jupyter_client; print("ok")'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(jupyter.trim(), `Jupyter for ${PYTHON}: ${SETUP_HINT}`).toBe('ok');
  if (!existsSync(join(notebooksDir, 'node_modules', 'dawn-rfb', 'package.json'))) throw new Error(`notebooks/node_modules/dawn-rfb is missing: ${SETUP_HINT}`);
  prefix = mkdtempSync(join(tmpdir(), 'dawn-rfb-notebooks-'));
  execFileSync(process.execPath, [cli, 'kernel', 'install', '--prefix', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  const env = {
    ...process.env,
    // The kernelspec just installed comes first; user and runtime dirs stay out of $HOME.
    JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
    JUPYTER_DATA_DIR: join(prefix, 'data'),
    JUPYTER_RUNTIME_DIR: join(prefix, 'runtime'),
  };
  // Start them all now, CONCURRENCY at a time; each test awaits its own.
  const lanes: Promise<unknown>[] = Array.from({ length: CONCURRENCY }, () => Promise.resolve());
  notebooks.forEach((name, i) => {
    const run = lanes[i % CONCURRENCY]!.then(() => execute(name, env));
    lanes[i % CONCURRENCY] = run.catch(() => {}); // awaited by its test, so never unhandled
    runs.set(name, run);
  });
});

afterAll(() => {
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

async function executed(name: string): Promise<{ nb: Notebook; canvases: CanvasOutput[] }> {
  const nb = await runs.get(name)!;
  expect(failures(nb), `${name}: failing cells`).toEqual([]);
  const canvases = canvasOutputs(nb);
  for (const c of canvases) {
    const where = `${name}, cell ${c.cell}`;
    // One view: the display id; views side by side: the display id and their place in the row.
    expect(c.containerId, `${where}: text/html has the container`).toMatch(/^dawn-rfb-[0-9a-f]+(-\d+)?$/);
    expect(c.html, `${where}: text/html has the snapshot <img>`).toContain('<img class="dawn-rfb-snapshot"');
    expect(c.html, `${where}: text/html inlines the widget script`).toMatch(/<script>[\s\S]*DawnRfb[\s\S]*\.mount\([\s\S]*<\/script>/);
    expect(c.png, `${where}: image/png`).toMatch(/^iVBORw0KGgo/);
    if (c.html.includes('class="dawn-rfb-row"')) {
      // Side by side: one snapshot and one summary line per view; image/png is their row.
      const views = c.html.split('class="dawn-rfb-output"').length - 1;
      expect(c.html.split('<img class="dawn-rfb-snapshot"').length - 1, `${where}: one <img> per view`).toBe(views);
      expect(c.plain.split('\n'), `${where}: one text/plain line per view`).toHaveLength(views);
    } else {
      expect(c.html, `${where}: the <img> shows the same snapshot as image/png`).toContain(`data:image/png;base64,${c.png}`);
      expect(c.plain, `${where}: text/plain is one line`).toMatch(/^RemoteCanvas [0-9a-f]+ \d+x\d+[^\n]*$/);
    }
  }
  // Each show() is an output of its own, even for one canvas.
  expect(new Set(canvases.map((c) => c.containerId)).size).toBe(canvases.length);
  return { nb, canvases };
}

// ---- the notebooks -------------------------------------------------------------------------

test('notebooks are stored clean, for the dawn-rfb kernel', () => {
  expect(notebooks).toEqual(['01-hello-triangle.ipynb', '02-interactive-scene.ipynb', '03-compute.ipynb', '04-side-by-side.ipynb', '05-image-test.ipynb', '06-resources.ipynb']);
  for (const name of notebooks) {
    const nb = JSON.parse(readFileSync(join(notebooksDir, name), 'utf8')) as Notebook & { nbformat: number };
    expect(nb.nbformat, name).toBe(4);
    expect(nb.metadata.kernelspec, name).toEqual({ name: 'dawn-rfb', display_name: 'TypeScript (dawn-rfb)', language: 'typescript' });
    for (const cell of nb.cells) {
      if (cell.cell_type === 'code') expect(cell.outputs, `${name}: no stored outputs`).toEqual([]);
    }
    expect(nb.cells[0]?.cell_type, `${name} starts with markdown saying what it shows`).toBe('markdown');
  }
});

describe('executed headless', () => {
  test('01-hello-triangle: a red/green/blue triangle on the dark clear colour', async () => {
    const { nb, canvases } = await executed('01-hello-triangle.ipynb');
    expect(streamText(nb)).toMatch(/\(.+, (vulkan|opengles), (core|compatibility)/); // the adapter summary
    expect(canvases).toHaveLength(1);
    const img = await decode(canvases[0]!.png);
    expect([img.width, img.height]).toEqual([320, 240]);
    const clear = img.px(0, 0);
    for (const [x, y] of [[319, 0], [0, 239], [319, 239]] as const) expect(img.px(x, y)).toEqual(clear);
    expect(Math.max(...clear)).toBeLessThan(80);
    expect(clear[2]).toBeGreaterThan(clear[0]); // a dark blue-grey
    // The centre is half red, a quarter green, a quarter blue (interpolated vertex colours).
    const [r, g, b] = img.px(160, 120);
    expect(Math.min(r, g, b)).toBeGreaterThan(100);
    expect(r).toBeGreaterThan(g + 25);
    expect(Math.abs(g - b)).toBeLessThan(15);
    // Near each corner its own colour dominates: red at the top, green bottom-left, blue bottom-right.
    const dominant = (p: [number, number, number]): number => p.indexOf(Math.max(...p));
    expect(dominant(img.px(160, 70))).toBe(0);
    expect(dominant(img.px(72, 186))).toBe(1);
    expect(dominant(img.px(248, 186))).toBe(2);
  }, TIMEOUT);

  test('02-interactive-scene: shown, stats printed, and freeze() replaced the snapshot', async () => {
    const { nb, canvases } = await executed('02-interactive-scene.ipynb');
    expect(streamText(nb)).toMatch(/framesSent: \d+[\s\S]*views: \[/);
    expect(canvases).toHaveLength(1);
    const img = await decode(canvases[0]!.png);
    expect([img.width, img.height]).toEqual([400, 300]);
    expect(img.uniform).toBe(false);
    // The output shows the frame after the cell that switched palettes: freeze() updated it (the
    // first snapshot had the blue-grey background of palette 0; palette 1's is reddish brown).
    const [r, , b] = img.px(2, 2);
    expect(r).toBeGreaterThan(b + 10);
    // The pinwheel's centre is white-ish (every blade's inner corner).
    expect(Math.min(...img.px(200, 150))).toBeGreaterThan(150);
  }, TIMEOUT);

  test('03-compute: the GPU doubled and squared, and the chart draws the squares', async () => {
    const { nb, canvases } = await executed('03-compute.ipynb');
    const printed = streamText(nb);
    expect(printed).toContain('all 64 doubled and squared values match');
    expect(printed).toMatch(/squared: \[\s*0, 0\.015625,\s*0\.0625/);
    expect(canvases).toHaveLength(1);
    const img = await decode(canvases[0]!.png);
    expect([img.width, img.height]).toEqual([512, 256]);
    const background = img.px(0, 0);
    const bar = (i: number, y: number): [number, number, number] => img.px(Math.floor((i + 0.575) * 8), y);
    // Bar i is (i/63)^2 of the height: bar 8 is short, bar 60 reaches above the middle.
    expect(bar(8, 128)).toEqual(background);
    expect(bar(60, 128)).not.toEqual(background);
    expect(bar(8, 255)).not.toEqual(background);
    const [lr, , lb] = bar(8, 255);
    const [hr, , hb] = bar(60, 128);
    expect(lb).toBeGreaterThan(lr); // low values blue
    expect(hr).toBeGreaterThan(hb); // high values orange
  }, TIMEOUT);

  test('04-side-by-side: two canvases side by side in one output, then the first shown again', async () => {
    const { canvases } = await executed('04-side-by-side.ipynb');
    expect(canvases).toHaveLength(2);
    const [row, wheelAgain] = canvases as [CanvasOutput, CanvasOutput];
    // The row: one output, two live containers, two summaries, one composite snapshot.
    const containers = [...row.html.matchAll(/<div id="([^"]+)" class="dawn-rfb-output"/g)].map((m) => m[1]);
    const displayId = containers[0]!.replace(/-0$/, '');
    expect(containers).toEqual([`${displayId}-0`, `${displayId}-1`]);
    expect(row.html).toContain('class="dawn-rfb-row"');
    const ids = row.plain.split('\n').map((l) => /^RemoteCanvas (\S+)/.exec(l)?.[1]);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(wheelAgain.canvasId);
    expect(ids[1]).not.toBe(ids[0]);
    expect(wheelAgain.cell).toBeGreaterThan(row.cell);
    const [r, w] = await Promise.all([row, wheelAgain].map((c) => decode(c.png)));
    expect([r!.width, r!.height, w!.width, w!.height]).toEqual([300 + 8 + 360, 300, 300, 300]);
    expect(w!.uniform).toBe(false);
    // The row's left part is the wheel, the same frame as its second view.
    for (const [x, y] of [[150, 150], [60, 60], [250, 100], [5, 5]] as const) expect(r!.px(x, y)).toEqual(w!.px(x, y));
    expect(Math.min(...w!.px(150, 150))).toBeGreaterThan(200); // the wheel's white centre
    const board = (x: number, y: number): [number, number, number] => r!.px(308 + x, y);
    const [red, green] = board(180, 120);
    expect(red).toBeGreaterThan(200); // the red dot in the middle of the board
    expect(green).toBeLessThan(150);
    expect(Math.min(...board(5, 5))).toBeGreaterThan(180); // a light square ...
    expect(Math.max(...board(50, 5))).toBeLessThan(150); // ... next to a dark one
  }, TIMEOUT);

  test('05-image-test: the canvas matches its committed baseline; the changed colour fails and shows expected | actual | diff inline', async () => {
    const { nb, canvases } = await executed('05-image-test.ipynb');
    const out = streamText(nb);
    expect(out).toMatch(/adapter class: software-[a-z0-9-]+/);
    // The committed software-adapter baseline is found (not written), matches before and after the change.
    expect(out).not.toContain('no baseline yet');
    expect(out.match(/matches the baseline: 0 of 38400 pixels differ/g)).toHaveLength(2);
    expect(out).toMatch(/DIFFERS FROM the baseline: \d+ of 38400 pixels differ/);
    expect(out).toContain('the check failed, as it should');
    expect(canvases).toHaveLength(1);
    const canvas = await decode(canvases[0]!.png);
    expect([canvas.width, canvas.height]).toEqual([240, 160]);
    const [r, g, b] = canvas.px(120, 130); // the third disc, blue again after freeze()
    expect(b).toBeGreaterThan(200); // (0.2, 0.4, 0.95) linear in an sRGB canvas: about (124, 170, 249)
    expect(r).toBeLessThan(150);
    expect(g).toBeLessThan(200);
    // The failing check displayed the side-by-side PNG: three 240x160 images under labels.
    const images = nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'display_data' && o.data?.['image/png'] && !text(o.data?.['text/plain']).startsWith('RemoteCanvas'));
    expect(images).toHaveLength(1);
    const side = await decode(text(images[0]!.data!['image/png']).replace(/\s+/g, ''));
    expect(side.width).toBe(3 * 240 + 4 * 8);
    // expected shows the blue disc, actual the orange one, the diff marks it red.
    const at = (i: number, x: number, y: number): [number, number, number] => side.px(8 + i * 248 + x, side.height - 8 - 160 + y);
    expect(at(0, 120, 130)[2]).toBeGreaterThan(200);
    expect(at(1, 120, 130)[0]).toBeGreaterThan(200);
    expect(at(1, 120, 130)[2]).toBeLessThan(120); // orange (1, 0.6, 0.1): about (255, 203, 89)
    expect(at(2, 120, 130)).toEqual([255, 0, 0]);
  }, TIMEOUT);

  test('06-resources: lit sphere, points and lines; a buffer slice updated per step; the sphere picked and highlighted', async () => {
    const { nb, canvases } = await executed('06-resources.ipynb');
    const printed = streamText(nb);
    expect(printed).toContain('point positions: 49152 bytes in chunks of 1536 bytes, format 3xf4');
    // Each step marked 256 points (3072 bytes) dirty: exactly the two chunks covering them, one write.
    expect(printed).toContain('60 slices updated: 60 writes, 3072 of 49152 bytes per step');
    expect(printed).toMatch(/picked: sphere, face \d+; pipelines created: 3/);
    expect(canvases).toHaveLength(1);
    const img = await decode(canvases[0]!.png);
    expect([img.width, img.height]).toEqual([480, 360]);
    expect(img.uniform).toBe(false);
    const background = img.px(2, 2);
    expect(Math.max(...background)).toBeLessThan(100);
    // freeze() stored the frame after the pick: the sphere in the centre is highlighted yellow, lit.
    const [r, g, b] = img.px(210, 150);
    expect(Math.min(r, g)).toBeGreaterThan(180);
    expect(b).toBeLessThan(r - 80);
    // The helix and the point cloud reach beyond the sphere.
    let drawn = 0;
    for (let x = 40; x < 440; x += 4) if (img.px(x, 200).join() !== background.join()) drawn++;
    expect(drawn).toBeGreaterThan(30);
  }, TIMEOUT);
});
