// Benchmark 2: `reseller.pending list` over many pending changes, JSON and XML.
// The store is filled directly; listing makes no v3 call, so the bridge's upstream is a
// port where nothing listens (any v3 call would fail the request and show as an error).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { baselineSeeding } from './baseline.js';
import { nextBillingDate } from '../src/rules/billing.js';
import { freePort, startBridgeProcess, type RunningProcess } from './processes.js';
import { printProfiles, summariseProfile, type ProfileSummary } from './profile-summary.js';
import { count, kib, mib, ms, say, section, table, verdict } from './report.js';
import { seedPendingChanges } from './seed-store.js';
import { benchStartSettings } from './start-flags.js';
import { Samples } from './stats.js';
import { CpuMeter, profiled } from './usage.js';
import { createWorld, MAIN_RESELLER, type BenchCustomer } from './world.js';

export interface PendingListParams {
  changes: number;
  warmups: number;
  requests: number;
  /** `--profile`: after the measured requests of each format, as many more under the CPU profiler (not measured), summarised. */
  profileDir?: string | undefined;
  /** `--baseline`: an earlier build's entry, run beside this one on the same store, requests alternating. */
  baseline?: string | undefined;
}

const TARGET_P50_MS = 40;
const TARGET_PEAK_RSS = 200 * 1024 * 1024;
const FORMATS = ['json', 'xml'] as const;

export async function benchPendingList(params: PendingListParams): Promise<void> {
  section(`2. reseller.pending list over ${count(params.changes)} pending changes`);
  say(
    `${count(params.changes)} customers, one pending change each, written through the store. ` +
      `Per format: ${params.warmups} warm-up requests, then ${params.requests} sequential requests measured${params.baseline ? ' per arm, the arms alternating' : ''}. The bridge runs as \`npm start\` does. CPU/list: the bridge process's own CPU time (all its threads, the garbage collector's too) per list.`,
  );

  const world = createWorld('pending', params.changes);
  const fillStarted = performance.now();
  const effectiveAt = (c: BenchCustomer) => nextBillingDate(c.billingDay, new Date());
  await seedPendingChanges(world.db, world.customers, effectiveAt);
  // The baseline build gets a store of its own, filled by its own code: its schema may be older.
  const baselineDb = `${world.db}-baseline`;
  if (params.baseline) await (await baselineSeeding(params.baseline))(baselineDb, world.customers, effectiveAt);
  say(`(store filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s)`);

  const settings = benchStartSettings();
  const unreachable = `http://127.0.0.1:${await freePort()}`;
  const start = (script?: string) =>
    startBridgeProcess({ mappings: world.mappings, db: script ? baselineDb : world.db, upstreamUrl: unreachable, nodeArgs: settings.flags, nodeEnv: settings.env, ...(script ? { script } : {}) });
  const arms: ListArm[] = [{ name: 'bridge', served: await start() }];
  if (params.baseline) arms.push({ name: 'baseline build', served: await start(params.baseline) });
  // Start-up imports the mappings' 10,000 customers: its peak is not the listing's.
  const startup = arms.map((arm) => ({ peak: arm.served.peakRss(), idle: arm.served.rss() }));
  const pools = arms.map((arm) => new Pool(arm.served.url, { connections: 1 }));
  try {
    const rows: string[][] = [];
    const toProfile: { format: string; list: () => Promise<unknown> }[] = [];
    for (const format of FORMATS) {
      const path = `/apiv2/reseller.pending.${format}?${new URLSearchParams({ api_user: MAIN_RESELLER.apiUser, api_key: MAIN_RESELLER.password, task: 'list' })}`;
      const listOnce = (pool: Pool) => async () => {
        const started = performance.now();
        const answer = await pool.request({ method: 'GET', path });
        const body = Buffer.from(await answer.body.arrayBuffer());
        const latency = performance.now() - started;
        if (answer.statusCode !== 200) throw new Error(`HTTP ${answer.statusCode}: ${body.toString('latin1').slice(0, 200)}`);
        return { latency, body };
      };
      const lists = pools.map(listOnce);
      for (let i = 0; i < params.warmups; i++) for (const list of lists) await list();
      const samples = arms.map(() => new Samples());
      const last: Buffer[] = arms.map(() => Buffer.alloc(0));
      // The arms alternate request by request, so both see the same machine.
      // Each arm's own CPU time over its requests (read over IPC between requests, outside the latency).
      const cpu = arms.map((arm) => new CpuMeter(arm.served.process));
      for (let i = 0; i < params.requests; i++)
        for (let a = 0; a < arms.length; a++) {
          const { latency, body } = await cpu[a]!.around(lists[a]!, () => 1);
          samples[a]!.record(latency, true, true);
          last[a] = body;
        }
      if (last.some((body) => !body.equals(last[0]!))) say(`WARNING (${format}): the arms' answers differ`);
      arms.forEach((arm, a) => {
        const entries = entriesIn(format, last[a]!);
        if (entries !== params.changes) throw new Error(`${format} list has ${entries} entries, expected ${params.changes}`);
        const p50 = samples[a]!.percentile(50);
        rows.push([format.toUpperCase(), arm.name, count(samples[a]!.count), ms(p50), ms(samples[a]!.percentile(99)), ms(samples[a]!.percentile(100)), ms(cpu[a]!.perTask / 1000), kib(last[a]!.length), count(entries), a === 0 ? verdict(p50 <= TARGET_P50_MS) : '-']);
      });
      toProfile.push({ format, list: lists[0]! });
    }
    say(table(['format', 'arm', 'requests', 'p50', 'p99', 'max', 'CPU/list', 'body', 'entries', `p50 <= ${TARGET_P50_MS} ms`], rows));
    // Read before any profile: the profiler's own samples would count in the bridge's peak.
    const peaks = arms.map((arm) => arm.served.peakRss());
    if (params.profileDir) {
      const profiles: { name: string; summary: ProfileSummary; path: string }[] = [];
      for (const { format, list } of toProfile) profiles.push(await profileRequests(arms[0]!.served, params, format, list));
      printProfiles(`Where a list's time goes: CPU profiles of ${params.requests} more lists per format (${profiles.map((p) => p.path).join(', ')}), share of busy samples:`, profiles, profiles.map((_, i) => i));
    }
    say(
      table(
        ['measure', 'arm', 'value', 'target', ''],
        arms.flatMap((arm, a) => {
          const peak = peaks[a]!;
          return [
            ['peak RSS (VmHWM) over both formats', arm.name, mib(peak), `<= ${mib(TARGET_PEAK_RSS)}`, a === 0 ? verdict(peak <= TARGET_PEAK_RSS) : '-'],
            ['of which start-up (peak RSS before the first list; RSS then)', arm.name, `${mib(startup[a]!.peak)} (${mib(startup[a]!.idle)})`, '-', '-'],
          ];
        }),
      ),
    );
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
    for (const arm of arms) await arm.served.stop();
    world.remove();
  }
}

interface ListArm {
  name: string;
  served: RunningProcess;
}

function entriesIn(format: 'json' | 'xml', body: Buffer): number {
  if (format === 'json') return (JSON.parse(body.toString('utf8')) as unknown[]).length;
  return body.toString('latin1').split('<user>').length - 1;
}

async function profileRequests(bridge: RunningProcess, params: PendingListParams, format: string, listOnce: () => Promise<unknown>): Promise<{ name: string; summary: ProfileSummary; path: string }> {
  mkdirSync(params.profileDir!, { recursive: true });
  const path = join(params.profileDir!, `pending-${format}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  await profiled(bridge.process, path, async () => {
    for (let i = 0; i < params.requests; i++) await listOnce();
  });
  return { name: format.toUpperCase(), summary: summariseProfile(path), path };
}
