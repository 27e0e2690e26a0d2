// The bounded slice of the randomized crash trial that runs in `npm test`: one seeded run of
// a few SIGKILLs per store under a mixed load (see ./trial.ts); the full trial is `npm run trial`.
import { defineTrial } from './suite.js';

defineTrial({ seeds: { sqlite: 20261202, postgres: 20261302 }, runs: 1, killsPerRun: Number(process.env.TRIAL_KILLS ?? 3), uncertainEvery: 0, timeoutMs: 120_000 });
