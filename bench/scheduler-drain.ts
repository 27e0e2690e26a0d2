// Benchmark 3: the scheduler draining many due changes in one pass, against the
// simulator in its own process; the scheduler runs in a child process (its own RSS).
import { request } from 'undici';
import type { SchedulerOptions } from '../src/scheduler/scheduler.js';
import { compiled } from './paths.js';
import { runNodeToEnd, startSimulatorProcess, UNTHROTTLED_RATE } from './processes.js';
import { count, mib, perSecond, say, section, table, verdict } from './report.js';
import { RESULT_PREFIX, type SchedulerChildResult } from './scheduler-result.js';
import { seedPendingChanges } from './seed-store.js';
import { createWorld, LOWER, MAIN_RESELLER, SECOND_RESELLER_V3_KEY, UPPER } from './world.js';

export interface SchedulerParams {
  changes: number;
  /** Scheduler options other than the defaults (empty: the defaults `npm start` runs with). */
  options: Partial<Pick<SchedulerOptions, 'batchSize' | 'concurrency'>>;
}

const TARGET_PER_SECOND = 500;
const DAY_MS = 86_400_000;

export async function benchSchedulerDrain(params: SchedulerParams): Promise<void> {
  const optionsText = Object.keys(params.options).length ? JSON.stringify(params.options) : 'defaults (batch 100, concurrency 16)';
  section(`3. Scheduler draining ${count(params.changes)} due changes`);
  say(
    `${count(params.changes)} customers with v3 accounts, one change each (half upgrades Basic->Silver, half downgrades Silver->Basic), ` +
      `effective yesterday. One runPass in a child process (the bridge without its listener; RSS is that process's); scheduler options: ${optionsText}; ` +
      `v3 rate limit per key ${count(UNTHROTTLED_RATE)}/s (SENDGRID_RATE_LIMIT). Each change: GET state + GET offerings + PUT offerings.`,
  );

  const world = createWorld('scheduler', params.changes);
  const simulator = await startSimulatorProcess(world.mappings);
  try {
    const yesterday = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS);
    await seedPendingChanges(world.db, world.customers, () => yesterday);

    const { stdout } = await runNodeToEnd(
      'scheduler',
      compiled.schedulerChild,
      {
        SENDGRID_API_URL: simulator.url,
        SENDGRID_API_KEY: MAIN_RESELLER.v3Key,
        SECOND_RESELLER_API_KEY: SECOND_RESELLER_V3_KEY,
        SENDGRID_RATE_LIMIT: String(UNTHROTTLED_RATE),
        BRIDGE_MAPPINGS: world.mappings,
        BRIDGE_DB: world.db,
        BRIDGE_SCHEDULER: 'off',
        LOG_LEVEL: 'warn',
      },
      [JSON.stringify(params.options)],
    );
    const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
    if (!line) throw new Error(`the scheduler child printed no result:\n${stdout.slice(-2000)}`);
    const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as SchedulerChildResult;
    const onTarget = await accountsOnTarget(simulator.url, world.customers);
    const rate = result.pass.applied / result.seconds;
    say(
      table(
        ['changes', 'pass time', 'throughput', 'claimed', 'applied', 'retried', 'failed', 'applied in store', 'on target upstream', 'RSS before pass', 'peak RSS', `>= ${TARGET_PER_SECOND}/s`],
        [
          [
            count(params.changes),
            `${result.seconds.toFixed(2)} s`,
            perSecond(rate),
            count(result.pass.claimed),
            count(result.pass.applied),
            count(result.pass.retried),
            count(result.pass.failed),
            count(result.appliedInStore),
            count(onTarget),
            mib(result.rssBeforePass),
            mib(result.peakRss),
            verdict(rate >= TARGET_PER_SECOND && result.appliedInStore === params.changes),
          ],
        ],
      ),
    );
    if (result.appliedInStore !== params.changes || onTarget !== params.changes)
      say(`WARNING: expected ${count(params.changes)} applied and on target, got ${count(result.appliedInStore)} applied, ${count(onTarget)} on target`);
  } finally {
    await simulator.stop();
    world.remove();
  }
}

/** Accounts whose package is the one their change moved them to (read from the simulator's admin view). */
async function accountsOnTarget(simulatorUrl: string, customers: ReturnType<typeof createWorld>['customers']): Promise<number> {
  const answer = await request(`${simulatorUrl}/_simulator/accounts`);
  const { accounts } = (await answer.body.json()) as { accounts: { id: string; offerings: { name: string; type: string }[] }[] };
  const packageOf = new Map(accounts.map((a) => [a.id, a.offerings.find((o) => o.type === 'package')?.name]));
  return customers.filter((c) => packageOf.get(c.accountId) === (c.startsOn === LOWER ? UPPER : LOWER).offering).length;
}
