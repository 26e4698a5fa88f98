import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // PostgreSQL-backed suites each use their own schema, so files may run in parallel.
    pool: 'forks',
  },
});
