// What the trial's test files share: one simulator process and one mappings folder per file,
// runs of the trial one after another, and a failure message that names the seed to replay.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulatorProcess, type StartedSimulator } from '../../harness/processes.js';
import { runTrial, summarise, type RunReport } from './trial.js';
import { writeTrialMappings } from './world.js';

export interface TrialPlan {
  store: 'sqlite' | 'postgres';
  seeds: number[];
  killsPerRun: number;
}

/** TRIAL_SEED replays one run (the seed a failure printed); otherwise `count` seeds from `base`. */
export function seedsFrom(base: number, count: number): number[] {
  const replay = process.env.TRIAL_SEED;
  if (replay) return [Number(replay)];
  return Array.from({ length: count }, (_, i) => base + i);
}

export function useTrialWorld(): () => { root: string; mappings: string; simulator: StartedSimulator } {
  let world: { root: string; mappings: string; simulator: StartedSimulator } | undefined;
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'bridge-trial-'));
    const mappings = join(root, 'mappings');
    mkdirSync(mappings);
    writeTrialMappings(mappings);
    const simulator = await startSimulatorProcess({ LOG_LEVEL: 'warn', BRIDGE_MAPPINGS: mappings });
    world = { root, mappings, simulator };
  });
  afterAll(async () => {
    if (!world) return;
    await world.simulator.process.kill();
    rmSync(world.root, { recursive: true, force: true });
  });
  return () => world!;
}

/** Runs the plan's seeds in turn and fails, with every run's summary, if any invariant broke. */
export async function runPlan(world: { root: string; mappings: string; simulator: StartedSimulator }, plan: TrialPlan): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  for (const seed of plan.seeds)
    reports.push(
      await runTrial({ store: plan.store, seed, kills: plan.killsPerRun, dir: join(world.root, `${plan.store}-${seed}`), mappings: world.mappings, simulator: world.simulator }),
    );
  const summary = summarise(reports);
  console.log(`crash trial (replay a run: TRIAL_SEED=<seed> TRIAL_KILLS=${plan.killsPerRun})\n${summary}`);
  expect(reports.reduce((n, r) => n + r.kills, 0)).toBe(plan.seeds.length * plan.killsPerRun);
  expect(reports.flatMap((r) => r.violations.map((v) => `${r.store} seed ${r.seed} [${v.invariant}] ${v.username}: ${v.detail}`)), summary).toEqual([]);
  return reports;
}

/** The slice `npm test` runs for one store: one seeded run of TRIAL_KILLS (3) kills. */
export function defineSlice(store: 'sqlite' | 'postgres', seed: number): void {
  const kills = Number(process.env.TRIAL_KILLS ?? 3);
  const world = useTrialWorld();
  it(`${store}: ${kills} kills under a mixed load, every invariant holds`, { timeout: 120_000 }, async () => {
    await runPlan(world(), { store, seeds: seedsFrom(seed, 1), killsPerRun: kills });
  });
}
