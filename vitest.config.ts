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
    // The tests' own AWS SDK clients would print the SDK's Node 20 support notice in every worker
    // (aws/aws-sdk-js-v3#7983); its documented switch silences that one warning only.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
