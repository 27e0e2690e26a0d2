// The bounded slice of the randomized crash trial that runs in `npm test`: a few SIGKILLs per
// store under a seeded mixed load (see ./trial.ts); the full trial is `npm run trial`.
import { describe, it } from 'vitest';
import { runPlan, seedsFrom, useTrialWorld } from './suite.js';

const KILLS = Number(process.env.TRIAL_KILLS ?? 3);
const world = useTrialWorld();

describe.each(['sqlite', 'postgres'] as const)('the crash trial on %s', (store) => {
  it(`${KILLS} kills under a mixed load: every invariant holds`, { timeout: 120_000 }, async () => {
    await runPlan(world(), { store, seeds: seedsFrom(store === 'sqlite' ? 20261202 : 20261302, 1), killsPerRun: KILLS });
  });
});
