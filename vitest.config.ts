import { defineConfig } from 'vitest/config';

// Each test file runs in its own child process (not a worker thread): dawn.node holds native
// GPU state per process, and a crash in one file must not take the others down.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more parallel files only fight over the software GPU.
    maxWorkers: 2,
    env: { XDG_RUNTIME_DIR: '/tmp' },
  },
});
