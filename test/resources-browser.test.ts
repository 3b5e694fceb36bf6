// The resources renderer behind a live view in a real browser (Debian's Chromium): hovering the
// pointer over an object highlights it through renderer.pick, and a drag orbits the camera.

import sharp from 'sharp';
import { expect, test } from 'vitest';
import { useChromium } from './helpers/browser.js';
import {
  getDefaultDevice, Mesh, MeshPhongMaterial, OrbitController, PerspectiveCamera, RemoteCanvas, Renderer, Scene, sphereGeometry,
} from '../src/index.js';

declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

const browser = useChromium();

async function centrePixel(canvas: RemoteCanvas): Promise<number[]> {
  const { data, info } = await sharp(await canvas.snapshot()).raw().toBuffer({ resolveWithObject: true });
  const i = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

test('hover highlights the picked sphere; a drag orbits the camera', async () => {
  const device = await getDefaultDevice();
  const canvas = new RemoteCanvas({ size: [240, 180], title: 'resources browser test' });
  canvas.getContext().configure({ device });
  const renderer = new Renderer(canvas);
  const scene = new Scene();
  const camera = new PerspectiveCamera({ position: [0, 0, 4] });
  new OrbitController(camera, canvas);
  const material = new MeshPhongMaterial({ color: [0.1, 0.2, 0.9], pickWrite: true });
  scene.add(new Mesh(sphereGeometry(1), material));
  const hover = { picked: '' };
  canvas.requestDraw(() => renderer.render(scene, camera));
  canvas.addEventHandler(async (e) => {
    if (e.buttons.length) return;
    const hit = await renderer.pick(e.x, e.y);
    hover.picked = hit ? `face ${hit.faceIndex}` : 'nothing';
    material.color = hit ? [1, 0.8, 0] : [0.1, 0.2, 0.9];
    canvas.requestDraw();
  }, 'pointer_move');
  try {
    const page = await browser.newPage({ viewport: { width: 600, height: 400 } });
    await page.goto(await canvas.getUrl());
    await page.waitForSelector('#view[data-status="live"][data-frame-index]');
    const before = await centrePixel(canvas);
    expect(before[2]).toBeGreaterThan(before[0]! + 50); // blue (whitened by the specular highlight)
    const box = (await page.locator('#view canvas').boundingBox())!;
    const frame = Number(await page.locator('#view').getAttribute('data-frame-index'));
    await page.mouse.move(box.x + 120, box.y + 90);
    await expect.poll(() => hover.picked, { timeout: 10_000 }).toMatch(/^face \d+$/);
    await page.waitForFunction((n) => Number(document.querySelector('#view')!.getAttribute('data-frame-index')) > n, frame);
    await expect.poll(async () => { const [r, , b] = await centrePixel(canvas); return r! > b! + 50; }, { timeout: 10_000 }).toBe(true);
    await page.mouse.move(box.x + 5, box.y + 5); // off the sphere: back to blue
    await expect.poll(() => hover.picked, { timeout: 10_000 }).toBe('nothing');

    const x0 = camera.position[0];
    await page.mouse.move(box.x + 100, box.y + 90);
    await page.mouse.down();
    await page.mouse.move(box.x + 160, box.y + 90, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => Math.abs(camera.position[0] - x0), { timeout: 10_000 }).toBeGreaterThan(1);
    expect(Math.hypot(...camera.position)).toBeCloseTo(4, 4);
  } finally {
    canvas.close();
    renderer.destroy();
  }
});
