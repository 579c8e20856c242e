import { defineConfig } from 'vitest/config';

// Real-server suite (NSD, unbound): run by test/system/run.sh after setup.sh installed the servers.
export default defineConfig({
  test: {
    include: ['test/system/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each file runs its own servers; one file at a time keeps a 2-core machine responsive.
    fileParallelism: false,
  },
});
