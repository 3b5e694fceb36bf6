// Scene graph transforms, cameras and the orbit controller driven by real canvas events.
import { describe, expect, test } from 'vitest';
import {
  Group, Mesh, MeshBasicMaterial, MeshPhongMaterial, OrbitController, PerspectiveCamera, sphereGeometry, boxGeometry,
  type PointerEvent, type WheelEvent,
} from '../src/index.js';
import { pixel, thrown } from './helpers/gpu.js';
import { makeScene } from './helpers/resources.js';

function pointer(type: PointerEvent['type'], x: number, y: number, button: 0 | 1 | 2, buttons: (1 | 2)[]): PointerEvent {
  return { type, x, y, button, buttons, modifiers: [], ntouches: 0, touches: {}, timestamp: performance.now() / 1000 };
}

describe('scene graph and cameras', () => {
  test('a child is placed by its parent transform', async () => {
    const s = await makeScene(32);
    const group = new Group();
    group.position = [0.5, 0, 0];
    const box = new Mesh(boxGeometry(0.4, 0.4, 0.4), new MeshBasicMaterial({ color: [1, 0, 0] }));
    box.position = [0, 0.5, 0];
    group.add(box);
    s.scene.add(group);
    let f = await s.draw();
    expect(pixel(f, 24, 8)).toEqual([255, 0, 0, 255]); // world (0.5, 0.5)
    expect(pixel(f, 16, 16)).toEqual([0, 0, 0, 255]);
    group.visible = false;
    f = await s.draw();
    expect(pixel(f, 24, 8)).toEqual([0, 0, 0, 255]);
    expect(thrown(() => box.add(group))).toMatchObject({ message: expect.stringMatching(/own ancestor/) });
  });

  test('a lit sphere is brightest facing the camera (headlight) and darker at the rim', async () => {
    const s = await makeScene(64);
    s.scene.add(new Mesh(sphereGeometry(0.9, 32, 16), new MeshPhongMaterial({ color: [0.8, 0.2, 0.2], ambient: 0.1, shininess: 50 })));
    const f = await s.draw();
    const centre = pixel(f, 32, 32);
    const rim = pixel(f, 32 + 27, 32);
    expect(centre[0]).toBeGreaterThan(rim[0]! + 60);
    expect(centre[1]).toBeGreaterThan(60); // the specular highlight whitens the centre
    expect(pixel(f, 1, 1)).toEqual([0, 0, 0, 255]);
  });

  test('perspective camera: an object farther away looks smaller', async () => {
    const s = await makeScene(64);
    const cam = new PerspectiveCamera({ fov: 60, position: [0, 0, 3] });
    s.canvas.requestDraw(() => s.renderer.render(s.scene, cam));
    const box = new Mesh(boxGeometry(1, 1, 0.01), new MeshPhongMaterial({ color: [1, 1, 1], ambient: 1 }));
    s.scene.add(box);
    const width = async (): Promise<number> => {
      const f = await s.draw();
      let n = 0;
      for (let x = 0; x < 64; x++) if (pixel(f, x, 32)[0]! > 128) n++;
      return n;
    };
    const w1 = await width();
    box.position = [0, 0, -3];
    const w2 = await width();
    // Size scales with 1 / distance: 3 -> 6 halves it (within a pixel or two).
    expect(Math.abs(w2 - w1 / 2)).toBeLessThanOrEqual(2);
    expect(thrown(() => new PerspectiveCamera({ fov: 200 }))).toMatchObject({ message: expect.stringMatching(/fov must be in \(0, 180\)/) });
  });
});

describe('orbit controller', () => {
  test('drag orbits at a constant distance, right drag pans, wheel zooms; each asks for a draw', async () => {
    const s = await makeScene(64);
    const cam = new PerspectiveCamera({ position: [0, 0, 5] });
    let draws = 0;
    s.canvas.requestDraw(() => { draws++; s.renderer.render(s.scene, cam); });
    const orbit = new OrbitController(cam, s.canvas);
    s.canvas.handleEvent(pointer('pointer_down', 10, 10, 1, [1]));
    s.canvas.handleEvent(pointer('pointer_move', 60, 10, 0, [1]));
    s.canvas.handleEvent(pointer('pointer_up', 60, 10, 1, []));
    await s.draw(); // events are dispatched before the draw
    expect(Math.hypot(...cam.position)).toBeCloseTo(5, 5);
    expect(cam.position[0]).toBeCloseTo(-5 * Math.sin(0.5), 4); // 50 px * 0.01 rad around the up axis
    s.canvas.handleEvent({ type: 'wheel', x: 5, y: 5, dx: 0, dy: 100, buttons: [], modifiers: [], timestamp: 1 } satisfies WheelEvent);
    await s.draw();
    expect(Math.hypot(...cam.position)).toBeCloseTo(6, 4);
    const target = [...cam.target];
    s.canvas.handleEvent(pointer('pointer_down', 10, 10, 2, [2]));
    s.canvas.handleEvent(pointer('pointer_move', 10, 40, 0, [2]));
    await s.draw();
    expect(cam.target).not.toEqual(target);
    expect(draws).toBeGreaterThanOrEqual(3);
    orbit.dispose();
    const before = [...cam.position];
    s.canvas.handleEvent({ type: 'wheel', x: 5, y: 5, dx: 0, dy: 100, buttons: [], modifiers: [], timestamp: 2 } satisfies WheelEvent);
    await s.draw();
    expect(cam.position).toEqual(before);
  });
});
