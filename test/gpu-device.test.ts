// Adapter and device acquisition, backend parsing, and reporting of uncaptured GPU errors.
import { afterEach, describe, expect, test } from 'vitest';
import { adapterFixHint } from '../src/gpu/install-hints.js';
import {
  BACKENDS, deviceSummary, getDefaultDevice, GpuUnavailableError, InvalidArgumentError, parseBackends,
  requestAdapter, requestDevice, DawnRfbError,
} from '../src/index.js';
import { captureReports, rejection, thrown, waitFor } from './helpers/gpu.js';

// The suite also runs with DAWN_RFB_BACKEND=opengles; the default device follows it.
const DEFAULT_BACKEND = process.env.DAWN_RFB_BACKEND?.split(',')[0]?.trim() || 'vulkan';

describe('getDefaultDevice', () => {
  test('returns the same device object on every call, also when called concurrently', async () => {
    const [a, b] = await Promise.all([getDefaultDevice(), getDefaultDevice()]);
    expect(a).toBe(b);
    expect(await getDefaultDevice()).toBe(a);
    expect(typeof a.createBuffer).toBe('function');
  });

  test('is described by deviceSummary (Linux default order starts with vulkan)', async () => {
    const s = deviceSummary(await getDefaultDevice());
    expect(s).toBeDefined();
    expect(s!.backend).toBe(DEFAULT_BACKEND);
  });
});

describe('requestDevice', () => {
  test("backend 'vulkan' gives a new device on the software GPU", async () => {
    const device = await requestDevice({ backend: 'vulkan', label: 'vk test' });
    expect(device).not.toBe(await getDefaultDevice());
    const s = deviceSummary(device)!;
    expect(s.backend).toBe('vulkan');
    expect(s.featureLevel).toBe('core');
    expect(s.software).toBe(true);
    expect(s.name.length).toBeGreaterThan(0);
    // maxTextureDimension2D is raised to the adapter's maximum (lavapipe: 16384 > WebGPU's 8192).
    expect(device.limits.maxTextureDimension2D).toBeGreaterThan(8192);
    // maxBufferSize is raised so the largest texture's readback fits (lavapipe: 16384^2 x 4 = 1 GiB
    // of its 4 GiB; WebGPU's default 256 MiB would not even fit 8193x8192).
    const max = device.limits.maxTextureDimension2D;
    expect(device.limits.maxBufferSize).toBeGreaterThanOrEqual(max * max * 4);
    device.destroy();
  });

  test('requiredLimits given by the caller win over the raised defaults', async () => {
    const device = await requestDevice({ requiredLimits: { maxBufferSize: 268_435_456 } });
    expect(device.limits.maxBufferSize).toBe(268_435_456);
    device.destroy();
  });

  test("backend 'null' gives a device on Dawn's null backend", async () => {
    const device = await requestDevice({ backend: 'null' });
    const s = deviceSummary(device)!;
    expect(s.backend).toBe('null');
    expect(s.featureLevel).toBe('core');
    device.destroy();
  });

  test('deviceSummary is undefined for an object not made by requestDevice', () => {
    expect(deviceSummary({} as GPUDevice)).toBeUndefined();
  });

  test('an unknown backend rejects with InvalidArgumentError listing the allowed backends', async () => {
    const e = await rejection(requestDevice({ backend: 'bogus' as never }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e).toBeInstanceOf(DawnRfbError);
    expect(e.message).toContain('"bogus"');
    for (const b of BACKENDS) expect(e.message).toContain(b);
  });
});

describe('requestAdapter', () => {
  test("backend 'metal' on Linux throws GpuUnavailableError saying what was tried and how to fix it", async () => {
    const e = await rejection(requestAdapter({ backend: 'metal' }));
    expect(e).toBeInstanceOf(GpuUnavailableError);
    expect(e.name).toBe('GpuUnavailableError');
    const attempts = (e as GpuUnavailableError).attempts;
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.backend).toBe('metal');
    expect(attempts[0]!.featureLevel).toBe('core');
    expect(attempts[0]!.reason.length).toBeGreaterThan(0);
    expect(e.message).toContain('metal');
    expect(e.message).toContain(attempts[0]!.reason);
    expect(e.message).not.toContain('npm run setup'); // a script of this repository, not of a user's project
    expect(e.message).toContain('metal: that backend does not exist on Linux; Dawn\'s backends here: vulkan, opengles, opengl.');
    expect(e.message).not.toContain('mesa-vulkan-drivers'); // nothing to install for a backend the OS lacks
    expect(e.message).toContain('DAWN_RFB_BACKEND');
  });

  test('the fix fits the backends asked for: setup command and Mesa lines for vulkan, EGL lines for opengles', () => {
    const bookworm = { platform: 'linux', id: 'debian', codename: 'bookworm' } as const;
    const vulkan = adapterFixHint(['vulkan', 'opengles'], bookworm);
    expect(vulkan).toContain('run `npx dawn-rfb setup` in your project');
    expect(vulkan).toContain('apt-get install -y -t bookworm-backports mesa-vulkan-drivers');
    expect(vulkan).toContain('Suites: bookworm-backports');
    expect(vulkan).toContain('apt-get install -y libegl1 libegl-mesa0');
    const jammy = adapterFixHint(['vulkan'], { platform: 'linux', id: 'ubuntu', codename: 'jammy' });
    expect(jammy).toContain('apt-get install -y mesa-vulkan-drivers');
    expect(jammy).not.toContain('backports');
    const gles = adapterFixHint(['opengles'], bookworm);
    expect(gles).toContain('libegl-mesa0');
    expect(gles).not.toContain('mesa-vulkan-drivers');
    expect(gles).not.toContain('dawn-rfb setup');
    const mac = adapterFixHint(['vulkan', 'd3d12'], { platform: 'darwin', id: '', codename: '' });
    expect(mac).toContain('vulkan, d3d12: those backends do not exist on macOS; Dawn\'s backends here: metal.');
  });

  test('tries each backend in order, keeping every failure', async () => {
    const e = await rejection(requestAdapter({ backend: ['metal', 'd3d12'] }));
    expect(e).toBeInstanceOf(GpuUnavailableError);
    expect((e as GpuUnavailableError).attempts.map((a) => a.backend)).toEqual(['metal', 'd3d12']);
  });

  test('reports the backends that failed before the one that worked', async () => {
    const found = await requestAdapter({ backend: ['metal', 'vulkan'] });
    expect(found.backend).toBe('vulkan');
    expect(found.attempts.map((a) => a.backend)).toEqual(['metal']);
  });
});

describe('parseBackends', () => {
  test('splits and trims a comma-separated list', () => {
    expect(parseBackends('vulkan, opengles')).toEqual(['vulkan', 'opengles']);
    expect(parseBackends(' null ,vulkan,')).toEqual(['null', 'vulkan']);
  });

  test('empty, undefined and "auto" give the Linux platform order', () => {
    expect(parseBackends(undefined)).toEqual(['vulkan', 'opengles']);
    expect(parseBackends('')).toEqual(['vulkan', 'opengles']);
    expect(parseBackends('auto')).toEqual(['vulkan', 'opengles']);
  });

  test('an array is copied, not returned as is', () => {
    const list = ['vulkan'] as const;
    const parsed = parseBackends(list);
    expect(parsed).toEqual(['vulkan']);
    expect(parsed).not.toBe(list);
  });

  test('an unknown name throws InvalidArgumentError naming it and the allowed ones', () => {
    const e = thrown(() => parseBackends('vulkan,webgl'));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('"webgl"');
    expect(e.message).toContain('vulkan, opengles, opengl, metal, d3d12, d3d11, null');
  });
});

describe('uncaptured GPU errors', () => {
  let restore: (() => void) | undefined;
  afterEach(() => { restore?.(); restore = undefined; });

  test('are delivered to the reporter, once per distinct message', async () => {
    const device = await requestDevice({ backend: 'vulkan', label: 'uncaptured test' });
    const cap = captureReports();
    restore = cap.restore;
    const bad = { label: 'bad usage', size: 16, usage: 0xffff };
    device.createBuffer(bad);
    device.createBuffer(bad);
    await device.queue.onSubmittedWorkDone();
    expect(await waitFor(() => cap.reports.length > 0)).toBe(true);
    const [where, error] = cap.reports[0]!;
    expect(where).toContain('uncaptured');
    expect(where).toContain('"uncaptured test"');
    expect(String(error)).toContain('bad usage');

    // A different message is reported too. Errors are reported in the order they happen, so once
    // this one is in, a report of the repeat would be in before it.
    device.createBuffer({ ...bad, label: 'another bad usage' });
    expect(await waitFor(() => cap.reports.length > 1)).toBe(true);
    expect(cap.reports).toHaveLength(2);
    expect(String(cap.reports[1]![1])).toContain('another bad usage');
    device.destroy();
  });

  test('destroying a device is not reported as a loss', async () => {
    const device = await requestDevice({ backend: 'vulkan', label: 'destroyed test' });
    const cap = captureReports();
    restore = cap.restore;
    device.destroy();
    // The library's own handler of device.lost was attached first, so it has run by now.
    const info = await device.lost;
    expect(info.reason).toBe('destroyed');
    expect(cap.reports.filter(([w]) => w.includes('destroyed test'))).toEqual([]);
  });
});

// Last in this file: it replaces the process's default device.
describe('default device loss', () => {
  test('after the default device is destroyed, getDefaultDevice gives a new one', async () => {
    const first = await getDefaultDevice();
    first.destroy();
    await first.lost;
    const second = await getDefaultDevice();
    expect(second).not.toBe(first);
    expect(await getDefaultDevice()).toBe(second);
    expect(deviceSummary(second)!.backend).toBe(DEFAULT_BACKEND);
  });
});
