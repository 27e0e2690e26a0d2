// The full randomized crash trial (`npm run trial`): TRIAL_RUNS runs per store, TRIAL_KILLS
// SIGKILLs each, seeds from TRIAL_SEED_BASE (or the one run TRIAL_SEED names). The defaults,
// 5 × 10 per store, make 100 kills over both stores.
import { describe, it } from 'vitest';
import { runPlan, seedsFrom, useTrialWorld } from './suite.js';

const RUNS = Number(process.env.TRIAL_RUNS ?? 5);
const KILLS = Number(process.env.TRIAL_KILLS ?? 10);
const BASE = Number(process.env.TRIAL_SEED_BASE ?? 9000);
const world = useTrialWorld();

describe.each(['sqlite', 'postgres'] as const)('the full crash trial on %s', (store) => {
  it(`${RUNS} runs of ${KILLS} kills: every invariant holds`, async () => {
    await runPlan(world(), { store, seeds: seedsFrom(store === 'sqlite' ? BASE : BASE + 1000, RUNS), killsPerRun: KILLS });
  });
});
