// Benchmark 3: the scheduler draining many due changes in one pass, against the simulator in
// its own process; the scheduler runs in a child process (its own RSS), once on SQLite and once
// on PostgreSQL (a schema unique to the run, dropped afterwards).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { defaultSchedulerOptions, type SchedulerOptions } from '../src/scheduler/due-change-runner.js';
import { baselineSchedulerChild, baselineSeeding } from './baseline.js';
import { compiled } from './paths.js';
import { printProfiles, summariseProfile, type ProfileSummary } from './profile-summary.js';
import { runNodeToEnd, startSimulatorProcess, UNTHROTTLED_RATE } from './processes.js';
import { count, micros, mib, perSecond, ratio, say, section, table, verdict, verdictAgainst } from './report.js';
import { RESULT_PREFIX, type SchedulerChildResult } from './scheduler-result.js';
import { seedPendingChanges } from './seed-store.js';
import { benchStartSettings } from './start-flags.js';
import { usageOf } from './usage.js';
import { createWorld, LOWER, MAIN_RESELLER, SECOND_RESELLER_V3_KEY, UPPER, type World } from './world.js';

export interface SchedulerParams {
  changes: number;
  /** Scheduler options other than the defaults (empty: the defaults `npm start` runs with). */
  options: Partial<Pick<SchedulerOptions, 'batchSize' | 'concurrency'>>;
  /** The PostgreSQL server for the second run (a fresh schema is made in it). */
  databaseUrl: string;
  /** `--profile`: after the measured passes, one more SQLite pass under the CPU profiler (not measured), summarised. */
  profileDir?: string | undefined;
  /** `--baseline`: an earlier build's entry; its own scheduler child drains on SQLite right after this build's. */
  baseline?: string | undefined;
}

const TARGET_PER_SECOND = 2_000;
const DAY_MS = 86_400_000;

/** The bridge's pass on each store, and the floor's (bench/drain-floor.ts) on SQLite, with and without the promised writes. */
type DrainArm = 'SQLite' | 'SQLite, baseline build' | 'PostgreSQL' | 'floor with the promised writes' | 'floor';
const BASELINE = 'SQLite, baseline build' as const;
const FLOOR_ARMS = ['floor with the promised writes', 'floor'] as const;
const isFloor = (arm: DrainArm): arm is (typeof FLOOR_ARMS)[number] => (FLOOR_ARMS as readonly string[]).includes(arm);

export async function benchSchedulerDrain(params: SchedulerParams): Promise<void> {
  const optionsText = Object.keys(params.options).length ? JSON.stringify(params.options) : 'defaults';
  section(`3. Scheduler draining ${count(params.changes)} due changes`);
  say(
    `${count(params.changes)} customers with v3 accounts, one change each (half upgrades Basic->Silver, half downgrades Silver->Basic), ` +
      `effective yesterday. One runPass in a child process (the bridge without its listener, Node flags of \`npm start\`; RSS is that process's); ` +
      `scheduler options: ${optionsText}; v3 rate limit per key ${count(UNTHROTTLED_RATE)}/s (SENDGRID_RATE_LIMIT). Each change: GET state + ` +
      'GET offerings + PUT offerings, and its store writes committed (PostgreSQL with its default synchronous_commit). ' +
      `The target (>= ${count(TARGET_PER_SECOND)}/s) is SQLite's; PostgreSQL is reported beside it. CPU/change: each process's own CPU time ` +
      'over the pass per change applied (on a shared machine the rate follows the CPU the processes get; the CPU per change does not). ' +
      'The floor (bench/drain-floor.ts, SQLite, same batches and concurrency, Node flags of `npm start`): the same three v3 calls per change and nothing else; ' +
      "with the promised writes, also the claim (lease and fence), the customer's lock, the write intent committed before the PUT and the fenced finish with its record, through the bridge's own store.",
  );
  const rows: string[][] = [];
  const measured = new Map<DrainArm, { rate: number; cpuPerChange: number }>();
  const arms: DrainArm[] = ['SQLite', ...(params.baseline ? [BASELINE] : []), 'PostgreSQL', ...FLOOR_ARMS];
  for (const arm of arms) {
    try {
      const { row, rate, cpuPerChange } = await drainOnce(arm, params);
      rows.push(row);
      measured.set(arm, { rate, cpuPerChange });
    } catch (error) {
      rows.push([arm, `failed: ${error instanceof Error ? error.message.split('\n')[0]! : String(error)}`]);
    }
  }
  const profile = params.profileDir ? await profileOnePass(params, params.profileDir) : undefined;
  say(
    table(
      ['store', 'changes', 'pass time', 'throughput', 'CPU/change', 'simulator CPU/change', 'claimed', 'applied', 'retried', 'failed', 'applied in store', 'on target upstream', 'RSS before pass', 'peak RSS', `>= ${TARGET_PER_SECOND}/s`],
      rows.map((row) => [...row, ...Array<string>(15 - row.length).fill('')]),
    ),
  );
  const bridge = measured.get('SQLite');
  const promised = measured.get('floor with the promised writes');
  const floor = measured.get('floor');
  if (bridge && promised && floor)
    say(
      `\nWhat the promises cost a pass (SQLite, same run): the floor with the promised writes ${perSecond(promised.rate)} at ${micros(promised.cpuPerChange)} per change, ` +
        `${ratio(promised.cpuPerChange / floor.cpuPerChange)} x the floor's ${micros(floor.cpuPerChange)} (${perSecond(floor.rate)}); the bridge's pass ${ratio(bridge.cpuPerChange / promised.cpuPerChange)} x the floor with the promised writes.`,
    );
  if (bridge)
    say(
      `\nTarget: drain >= ${count(TARGET_PER_SECOND)}/s on SQLite: ${perSecond(bridge.rate)}, ` +
        verdictAgainst(bridge.rate, TARGET_PER_SECOND, FLOOR_ARMS.flatMap((name) => (measured.has(name) ? [{ name, value: measured.get(name)!.rate }] : [])), perSecond, 'atLeast') +
        '.',
    );
  const baseline = measured.get(BASELINE);
  if (bridge && baseline)
    say(
      `\nA/B (SQLite, same run): CPU per change this build / baseline build ${ratio(bridge.cpuPerChange / baseline.cpuPerChange)} ` +
        `(${micros(bridge.cpuPerChange)} against ${micros(baseline.cpuPerChange)}); throughput ${perSecond(bridge.rate)} against ${perSecond(baseline.rate)}.`,
    );
  if (profile) printProfiles(`Where the pass's time goes: a CPU profile of one more SQLite pass (${profile.path}), share of busy samples:`, [{ name: 'scheduler pass', summary: profile.summary }]);
}

async function profileOnePass(params: SchedulerParams, dir: string): Promise<{ path: string; summary: ProfileSummary }> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `scheduler-sqlite-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  await drainOnce('SQLite', params, path);
  return { path, summary: summariseProfile(path) };
}

async function drainOnce(kind: DrainArm, params: SchedulerParams, profilePath?: string): Promise<{ row: string[]; rate: number; cpuPerChange: number }> {
  const world = createWorld(`scheduler-${kind.replace(/\W+/g, '-').toLowerCase()}`, params.changes);
  const postgres = kind === 'PostgreSQL' ? await freshSchema(params.databaseUrl) : undefined;
  const simulator = await startSimulatorProcess(world.mappings);
  try {
    const seed = kind === BASELINE ? await baselineSeeding(params.baseline!) : seedPendingChanges;
    await seed(postgres ? { databaseUrl: postgres.url } : world.db, world.customers, dueYesterday());
    const simulatorBefore = await usageOf(simulator.process);
    const child = kind === BASELINE ? baselineSchedulerChild(params.baseline!) : compiled.schedulerChild;
    const result = isFloor(kind) ? await runDrainFloor(world, simulator.url, params, kind === 'floor with the promised writes') : await runScheduler(world, simulator.url, params, postgres?.url, profilePath, child);
    const simulatorMicros = (await usageOf(simulator.process)).cpuMicros - simulatorBefore.cpuMicros;
    const onTarget = await accountsOnTarget(simulator.url, world.customers);
    const rate = result.pass.applied / result.seconds;
    const inStore = kind === 'floor' ? params.changes : result.appliedInStore; // the floor alone writes no store
    if (inStore !== params.changes || onTarget !== params.changes)
      say(`WARNING (${kind}): expected ${count(params.changes)} applied and on target, got ${count(result.appliedInStore)} applied, ${count(onTarget)} on target`);
    const row = [
      kind,
      count(params.changes),
      `${result.seconds.toFixed(2)} s`,
      perSecond(rate),
      micros(result.cpuMicros / result.pass.applied),
      micros(simulatorMicros / result.pass.applied),
      count(result.pass.claimed),
      count(result.pass.applied),
      count(result.pass.retried),
      count(result.pass.failed),
      count(result.appliedInStore),
      count(onTarget),
      mib(result.rssBeforePass),
      mib(result.peakRss),
      kind === 'SQLite' ? verdict(rate >= TARGET_PER_SECOND && result.appliedInStore === params.changes) : '(reported)',
    ];
    return { row, rate, cpuPerChange: result.cpuMicros / result.pass.applied };
  } finally {
    await simulator.stop();
    await postgres?.drop();
    world.remove();
  }
}

async function runScheduler(
  world: World,
  simulatorUrl: string,
  params: SchedulerParams,
  databaseUrl: string | undefined,
  profilePath: string | undefined,
  child = compiled.schedulerChild,
): Promise<SchedulerChildResult> {
  const { stdout } = await runNodeToEnd(
    'scheduler',
    child,
    { ...schedulerChildEnv(world, simulatorUrl, databaseUrl), ...(profilePath ? { BENCH_CPU_PROFILE: profilePath } : {}) },
    [JSON.stringify(params.options)],
    benchStartSettings().flags,
    benchStartSettings().env,
  );
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) throw new Error(`the scheduler child printed no result:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as SchedulerChildResult;
}

export async function runDrainFloor(world: World, simulatorUrl: string, params: SchedulerParams, promises: boolean): Promise<SchedulerChildResult> {
  const { stdout } = await runNodeToEnd(
    promises ? 'floor pass with the promised writes' : 'floor pass',
    compiled.drainFloor,
    drainFloorEnv(world, simulatorUrl, params.options, promises),
    [],
    benchStartSettings().flags,
    benchStartSettings().env,
  );
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) throw new Error(`the floor pass printed no result:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as SchedulerChildResult;
}

/** Yesterday at midnight UTC, as every change's effective time: all of them are due. */
export function dueYesterday(): () => Date {
  const yesterday = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS);
  return () => yesterday;
}

/** The environment of a bridge's scheduler child (bench/scheduler-child.ts) over `world`, against the simulator, v3 unthrottled. */
export function schedulerChildEnv(world: World, simulatorUrl: string, databaseUrl?: string): Record<string, string> {
  return {
    SENDGRID_API_URL: simulatorUrl,
    SENDGRID_API_KEY: MAIN_RESELLER.v3Key,
    SECOND_RESELLER_API_KEY: SECOND_RESELLER_V3_KEY,
    SENDGRID_RATE_LIMIT: String(UNTHROTTLED_RATE),
    BRIDGE_MAPPINGS: world.mappings,
    BRIDGE_DB: world.db,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    BRIDGE_SCHEDULER: 'off',
  };
}

/** The environment of the pass's floor (bench/drain-floor.ts): the bridge's batches and concurrency unless `options` sets them. */
export function drainFloorEnv(world: World, simulatorUrl: string, options: SchedulerParams['options'], promises: boolean): Record<string, string> {
  const defaults = defaultSchedulerOptions('bench');
  return {
    FLOOR_STORE: world.db,
    FLOOR_UPSTREAM: simulatorUrl,
    FLOOR_KEY: MAIN_RESELLER.v3Key,
    FLOOR_PACKAGES: JSON.stringify({ [LOWER.name]: LOWER.offering, [UPPER.name]: UPPER.offering }),
    FLOOR_BATCH: String(options.batchSize ?? defaults.batchSize),
    FLOOR_CONCURRENCY: String(options.concurrency ?? defaults.concurrency),
    ...(promises ? { FLOOR_PROMISES: '1' } : {}),
  };
}

/** A schema of its own on the server (other runs share it), as a DATABASE_URL for the bridge. */
async function freshSchema(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const url = new URL(serverUrl);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Accounts whose package is the one their change moved them to (read from the simulator's admin view). */
async function accountsOnTarget(simulatorUrl: string, customers: World['customers']): Promise<number> {
  const answer = await request(`${simulatorUrl}/_simulator/accounts`);
  const { accounts } = (await answer.body.json()) as { accounts: { id: string; offerings: { name: string; type: string }[] }[] };
  const packageOf = new Map(accounts.map((a) => [a.id, a.offerings.find((o) => o.type === 'package')?.name]));
  return customers.filter((c) => packageOf.get(c.accountId) === (c.startsOn === LOWER ? UPPER : LOWER).offering).length;
}
