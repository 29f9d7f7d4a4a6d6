import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Most files wait on real servers, sockets and timers, not the CPU: two at once on two cores
    // took the suite from 507 s to 329 s. Vitest's default is one fewer than the cores, here one.
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
