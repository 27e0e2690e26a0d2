import { defineConfig } from 'vitest/config';

// `npm run trial`: the full randomized crash trial (test/trial/full.trial.ts); `npm test` runs its bounded slice.
export default defineConfig({
  test: {
    include: ['test/trial/**/*.trial.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One store after the other: the machine has two cores and each run has two processes of its own.
    fileParallelism: false,
    reporters: ['default'],
  },
});
