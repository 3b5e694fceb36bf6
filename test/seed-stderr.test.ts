// Dawn prints "maxDynamic{Uniform,Storage}BuffersPerPipelineLayout artificially reduced ..." on
// stderr whenever it sets up an adapter (lavapipe and Mesa's OpenGL ES both trigger it); dawn-rfb
// removes exactly those two lines. A fresh process is the only place to see what a user's
// terminal sees, since Dawn writes to file descriptor 2 directly.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';

const dist = pathToFileURL(resolve(import.meta.dirname, '..', 'dist', 'index.js')).href;

function createDevice(backend: string, env: Record<string, string> = {}): { stdout: string; stderr: string; status: number | null } {
  const script = `
    import { requestDevice, deviceSummary } from ${JSON.stringify(dist)};
    process.stderr.write('before\\n');
    const device = await requestDevice({ backend: ${JSON.stringify(backend)} });
    console.log(deviceSummary(device).backend);
    process.stderr.write('after\\n');
    device.destroy();
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...env },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe("Dawn's limit warnings on stderr", () => {
  for (const backend of ['vulkan', 'opengles']) {
    test(`creating a device on ${backend} prints nothing of them; other stderr output stays, in order`, () => {
      const r = createDevice(backend);
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(backend);
      expect(r.stderr).not.toMatch(/artificially reduced/);
      expect(r.stderr).toMatch(/^before\n(.*\n)*after\n$/);
    });
  }

  test('they are really printed by Dawn here (so the tests above would see them come back)', () => {
    // DAWN_RFB_DAWN_WARNINGS=1 turns the filter off.
    const r = createDevice('vulkan', { DAWN_RFB_DAWN_WARNINGS: '1' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from \d+ to 16/);
    expect(r.stderr).toMatch(/Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from \d+ to 16/);
  });
});
