// What the trial's test files share: one mappings folder per file, a simulator process per
// store (the stores' runs go side by side: each run mostly waits for settlement), runs of the
// trial one after another per store, and a failure message that names the seed to replay.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorProcess } from '../../harness/processes.js';
import { runTrial, summarise, type RunReport } from './trial.js';
import { writeTrialMappings } from './world.js';

export type StoreKind = 'sqlite' | 'postgres';

/** TRIAL_SEED replays one run (the seed a failure printed); otherwise `count` seeds from `base`. */
export function seedsFrom(base: number, count: number): number[] {
  const replay = process.env.TRIAL_SEED;
  if (replay) return [Number(replay)];
  return Array.from({ length: count }, (_, i) => base + i);
}

interface World {
  root: string;
  mappings: string;
}

function useTrialWorld(): () => World {
  let world: World | undefined;
  beforeAll(() => {
    const root = mkdtempSync(join(tmpdir(), 'bridge-trial-'));
    const mappings = join(root, 'mappings');
    mkdirSync(mappings);
    writeTrialMappings(mappings);
    world = { root, mappings };
  });
  afterAll(() => {
    if (world) rmSync(world.root, { recursive: true, force: true });
  });
  return () => world!;
}

/** Runs the seeds in turn against a simulator of the store's own and fails, with every run's summary, if any invariant broke. */
async function runPlan(world: World, store: StoreKind, plan: TrialPlan): Promise<RunReport[]> {
  const { killsPerRun } = plan;
  const seeds = seedsFrom(plan.seeds[store], plan.runs);
  const simulator = await startSimulatorProcess({ LOG_LEVEL: 'warn', BRIDGE_MAPPINGS: world.mappings });
  const reports: RunReport[] = [];
  try {
    for (const seed of seeds)
      reports.push(
        await runTrial({ store, seed, kills: killsPerRun, uncertainEvery: plan.uncertainEvery, dir: join(world.root, `${store}-${seed}`), mappings: world.mappings, simulator }),
      );
  } finally {
    await simulator.process.kill();
  }
  const summary = summarise(reports);
  const replay = `TRIAL_SEED=<seed> TRIAL_KILLS=${killsPerRun} TRIAL_UNCERTAIN_EVERY=${plan.uncertainEvery} npm run trial -- -t ${store}`;
  console.log(`crash trial on ${store} (replay a run: ${replay})\n${summary}`);
  expect(reports.reduce((n, r) => n + r.kills, 0)).toBe(seeds.length * killsPerRun);
  expect(reports.flatMap((r) => r.violations.map((v) => `${r.store} seed ${r.seed} [${v.invariant}] ${v.username}: ${v.detail}`)), summary).toEqual([]);
  return reports;
}

export interface TrialPlan {
  /** The first seed of each store's runs. */
  seeds: Record<StoreKind, number>;
  runs: number;
  killsPerRun: number;
  /** Every n-th cycle of a run ends with an answer "may have been applied" (about 20 s each); 0: none. */
  uncertainEvery: number;
  timeoutMs: number;
}

/** Both stores' runs, side by side. */
export function defineTrial(plan: TrialPlan): void {
  const world = useTrialWorld();
  describe.concurrent(`the crash trial, ${plan.runs} run(s) of ${plan.killsPerRun} kills per store`, () => {
    for (const store of ['sqlite', 'postgres'] as const)
      it(`${store}: every invariant holds`, { timeout: plan.timeoutMs }, async () => {
        await runPlan(world(), store, plan);
      });
  });
}
