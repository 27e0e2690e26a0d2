// `npm run bench`: the three benchmarks of DESIGN.md §8 in one run, each in a world of
// its own (temp folder, generated mappings, own processes). `-- --quick` for a smoke run.
import { cpus, loadavg } from 'node:os';
import { Command, Option } from 'commander';
import { benchImmediate, type ImmediateParams } from './immediate.js';
import { benchLedger, type LedgerParams } from './ledger.js';
import { benchOperatorPage, type OperatorPageParams } from './operator-page.js';
import { benchPendingList, type PendingListParams } from './pending-list.js';
import { say } from './report.js';
import { overrideNodeFlags } from './start-flags.js';
import { benchSchedulerDrain, type SchedulerParams } from './scheduler-drain.js';

/** The PostgreSQL server of the scheduler's second run (`BENCH_DATABASE_URL`; trust auth on the development machine). */
const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Plan {
  immediate: ImmediateParams;
  pending: PendingListParams;
  scheduler: SchedulerParams;
  page: OperatorPageParams;
  ledger: LedgerParams;
}

/**
 * About three minutes on 2 cores; every loop is bounded by count or time. The open-loop
 * rate is one the bridge sustains there with room to spare (its closed-loop maximum is
 * about twice that), so the open loop measures latency, not a queue.
 */
const DEFAULT_PLAN: Plan = {
  immediate: { customers: 200, rate: 150, warmupMs: 3_000, durationMs: 15_000, rounds: 3, probeConcurrency: 16, probeMs: 5_000, compareMemoryFlags: true },
  pending: { changes: 10_000, warmups: 3, requests: 30 },
  scheduler: { changes: 10_000, options: {}, databaseUrl: BENCH_DATABASE_URL },
  page: { callers: 1_000, days: 90, warmups: 5, requests: 100 },
  ledger: { callers: 50, requestsPerFlush: 500, flushes: 40 },
};

const QUICK_PLAN: Plan = {
  immediate: { customers: 50, rate: 100, warmupMs: 500, durationMs: 2_000, rounds: 2, probeConcurrency: 8, probeMs: 1_000, compareMemoryFlags: false },
  pending: { changes: 1_000, warmups: 1, requests: 5 },
  scheduler: { changes: 1_000, options: {}, databaseUrl: BENCH_DATABASE_URL },
  page: { callers: 100, days: 90, warmups: 1, requests: 10 },
  ledger: { callers: 50, requestsPerFlush: 500, flushes: 4 },
};

const BENCHMARKS = ['immediate', 'pending', 'scheduler', 'page', 'ledger'] as const;
type Benchmark = (typeof BENCHMARKS)[number];

const program = new Command('bench')
  .description('reseller-bridge benchmarks (DESIGN.md §8)')
  .option('--quick', 'short durations and small worlds: a smoke run')
  .addOption(new Option('--only <benchmarks...>', 'run only these').choices(BENCHMARKS))
  .option('--profile <dir>', 'also write CPU profiles (benchmark 1: the bridge and the floor under the closed loop; 2: the lists; 3: one more SQLite pass), and summarise them')
  .option('--node-flags <flags>', "Node flags (and NAME=value environment variables) for the bridge, the floor and the scheduler child instead of `npm start`'s (to try memory settings)")
  .option('--baseline <entry>', 'benchmarks 1 to 3: also run a bridge started from this entry (main.js of a copy of an earlier dist/), same load, same run: an A/B of a change')
  .option('--compare-node-flags <flags>', 'benchmark 1: the compared bridge runs with these Node flags (and NAME=value variables) instead of V8 defaults (to price two memory settings in one run)')
  .option('--baseline-node-flags <flags>', "benchmark 1: the --baseline build runs with these Node flags (and NAME=value variables) instead of npm start's (an A/B of code and settings together; \"\" for none)")
  .option('--rate <n>', 'open-loop rate of benchmark 1, requests/s', (v) => positiveInt(v, '--rate'))
  .option('--scheduler-batch-size <n>', 'scheduler batch size for benchmark 3 (default: the bridge default)', (v) => positiveInt(v, '--scheduler-batch-size'))
  .option('--scheduler-concurrency <n>', 'scheduler concurrency for benchmark 3 (default: the bridge default)', (v) => positiveInt(v, '--scheduler-concurrency'))
  .parse();

const flags = program.opts<{ baseline?: string; baselineNodeFlags?: string; compareNodeFlags?: string; quick?: boolean; only?: Benchmark[]; profile?: string; nodeFlags?: string; rate?: number; schedulerBatchSize?: number; schedulerConcurrency?: number }>();
const base = flags.quick ? QUICK_PLAN : DEFAULT_PLAN;
const plan: Plan = {
  immediate: { ...base.immediate, ...(flags.rate ? { rate: flags.rate } : {}), profileDir: flags.profile, baseline: flags.baseline, compareFlags: flags.compareNodeFlags?.split(/\s+/).filter(Boolean), baselineFlags: flags.baselineNodeFlags?.split(/\s+/).filter(Boolean) },
  pending: { ...base.pending, profileDir: flags.profile, baseline: flags.baseline },
  page: base.page,
  ledger: base.ledger,
  scheduler: {
    ...base.scheduler,
    profileDir: flags.profile,
    baseline: flags.baseline,
    options: {
      ...(flags.schedulerBatchSize ? { batchSize: flags.schedulerBatchSize } : {}),
      ...(flags.schedulerConcurrency ? { concurrency: flags.schedulerConcurrency } : {}),
    },
  },
};
const selected = new Set<Benchmark>(flags.only ?? BENCHMARKS);
if (flags.nodeFlags !== undefined) overrideNodeFlags(flags.nodeFlags.split(/\s+/).filter(Boolean));

const started = Date.now();
say(`# reseller-bridge benchmarks${flags.quick ? ' (quick smoke run: numbers not representative)' : ''}`);
say(`date ${new Date().toISOString()} | Node ${process.version} | ${cpus()[0]?.model.trim() ?? 'unknown CPU'} | ${cpus().length} cores | ${process.platform} ${process.arch}`);
// Other work on the machine skews every number below: the load average makes it visible.
say(`load average at start: ${formatLoad()}`);

if (selected.has('immediate')) await benchImmediate(plan.immediate);
if (selected.has('pending')) await benchPendingList(plan.pending);
if (selected.has('scheduler')) await benchSchedulerDrain(plan.scheduler);
if (selected.has('page')) await benchOperatorPage(plan.page);
if (selected.has('ledger')) await benchLedger(plan.ledger);

say(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s | load average at end: ${formatLoad()}`);

function formatLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}
