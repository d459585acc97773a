import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the emulator once before the emulators the tests start (each would otherwise build it).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file starts its own emulator processes; two cores run two files at once.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
