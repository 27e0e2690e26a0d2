// The full randomized crash trial (`npm run trial`): TRIAL_RUNS runs per store, TRIAL_KILLS
// SIGKILLs each, seeds from TRIAL_SEED_BASE (or the one run TRIAL_SEED names). The defaults,
// 5 runs of 10 kills per store, make 100 kills over both stores.
import { defineTrial } from './suite.js';

const base = Number(process.env.TRIAL_SEED_BASE ?? 9000);
defineTrial({
  seeds: { sqlite: base, postgres: base + 1000 },
  runs: Number(process.env.TRIAL_RUNS ?? 5),
  killsPerRun: Number(process.env.TRIAL_KILLS ?? 10),
  // The 5th and 10th kill of each run come after a client was told its change may have been applied.
  uncertainEvery: Number(process.env.TRIAL_UNCERTAIN_EVERY ?? 5),
  timeoutMs: 30 * 60_000,
});
