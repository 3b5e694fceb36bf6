// scripts/setup.mjs checks the Node version before anything else and says how to get a supported
// one (Debian 12's own nodejs is 18). The version is faked in the child with --import, which
// runs before the script: no other Node is needed.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';

const setup = join(resolve(import.meta.dirname, '..'), 'scripts', 'setup.mjs');

/** setup.mjs's exit code and stderr when Node says it is `version`. */
function runAs(version: string, args: string[]): { status: number | null; stderr: string } {
  const fake = `Object.defineProperty(process, "versions", { value: { ...process.versions, node: "${version}" } });`
    + `Object.defineProperty(process, "version", { value: "v${version}" });`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(fake)}`, setup, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

test('a Node older than 20.19 stops setup with exit 1 and the ways to get a newer one', () => {
  for (const version of ['18.19.0', '20.18.3']) {
    // --bogus too: the version is checked first, so the message is about Node, not the option.
    const r = runAs(version, ['--bogus']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`dawn-rfb needs Node.js >= 20.19; this is v${version}`);
    expect(r.stderr).toMatch(/NodeSource.*deb\.nodesource\.com/);
    expect(r.stderr).toMatch(/nvm install 22/);
    expect(r.stderr).toMatch(/nodejs\.org/);
  }
});

test('Node 20.19 and newer pass the check (setup goes on to check its options)', () => {
  for (const version of ['20.19.0', '22.1.0', '24.0.0']) {
    const r = runAs(version, ['--bogus']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('setup: unknown option --bogus; allowed: --browser, --video, --jupyter, --jupyter-tests, --quiet');
    expect(r.stderr).not.toContain('needs Node.js');
  }
});
