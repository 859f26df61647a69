import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
    // Fail the run when no test file is found: a run that executes nothing proves nothing.
    passWithNoTests: false,
    testTimeout: 20_000,
    pool: 'forks',
  },
});
