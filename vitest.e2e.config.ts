import { defineConfig } from 'vitest/config';

// The end-to-end suites share one real control plane (test/e2e/run.sh starts it), so they
// run one file at a time.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    passWithNoTests: false,
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
