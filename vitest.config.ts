import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Files that need Node APIs opt out with `// @vitest-environment node`.
          environment: 'happy-dom',
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each file drives a real Chromium; on a 2-core machine parallel
          // files only make timing-sensitive tests flaky.
          fileParallelism: false,
        },
      },
    ],
  },
});
