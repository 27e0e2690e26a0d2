// Benchmark 2: `reseller.pending list` over many pending changes, JSON and XML.
// The store is filled directly; listing makes no v3 call, so the bridge's upstream is a
// port where nothing listens (any v3 call would fail the request and show as an error).
import { Pool } from 'undici';
import { nextBillingDate } from '../src/rules/billing.js';
import { freePort, startBridgeProcess } from './processes.js';
import { count, kib, mib, ms, say, section, table, verdict } from './report.js';
import { seedPendingChanges } from './seed-store.js';
import { benchStartSettings } from './start-flags.js';
import { Samples } from './stats.js';
import { createWorld, MAIN_RESELLER } from './world.js';

export interface PendingListParams {
  changes: number;
  warmups: number;
  requests: number;
}

const TARGET_P50_MS = 40;
const TARGET_PEAK_RSS = 200 * 1024 * 1024;
const FORMATS = ['json', 'xml'] as const;

export async function benchPendingList(params: PendingListParams): Promise<void> {
  section(`2. reseller.pending list over ${count(params.changes)} pending changes`);
  say(
    `${count(params.changes)} customers, one pending change each, written through the store. ` +
      `Per format: ${params.warmups} warm-up requests, then ${params.requests} sequential requests measured. The bridge runs as \`npm start\` does.`,
  );

  const world = createWorld('pending', params.changes);
  const fillStarted = performance.now();
  await seedPendingChanges(world.db, world.customers, (c) => nextBillingDate(c.billingDay, new Date()));
  say(`(store filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s)`);

  const bridge = await startBridgeProcess({ mappings: world.mappings, db: world.db, upstreamUrl: `http://127.0.0.1:${await freePort()}`, nodeArgs: benchStartSettings().flags, nodeEnv: benchStartSettings().env });
  // Start-up imports the mappings' 10,000 customers: its peak is not the listing's.
  const startupPeak = bridge.peakRss();
  const idle = bridge.rss();
  const pool = new Pool(bridge.url, { connections: 1 });
  try {
    const rows: string[][] = [];
    for (const format of FORMATS) {
      const path = `/apiv2/reseller.pending.${format}?${new URLSearchParams({ api_user: MAIN_RESELLER.apiUser, api_key: MAIN_RESELLER.password, task: 'list' })}`;
      const listOnce = async () => {
        const started = performance.now();
        const answer = await pool.request({ method: 'GET', path });
        const body = Buffer.from(await answer.body.arrayBuffer());
        const latency = performance.now() - started;
        if (answer.statusCode !== 200) throw new Error(`HTTP ${answer.statusCode}: ${body.toString('latin1').slice(0, 200)}`);
        return { latency, body };
      };
      for (let i = 0; i < params.warmups; i++) await listOnce();
      const samples = new Samples();
      let last: Buffer = Buffer.alloc(0);
      for (let i = 0; i < params.requests; i++) {
        const { latency, body } = await listOnce();
        samples.record(latency, true, true);
        last = body;
      }
      const entries = entriesIn(format, last);
      if (entries !== params.changes) throw new Error(`${format} list has ${entries} entries, expected ${params.changes}`);
      const p50 = samples.percentile(50);
      rows.push([format.toUpperCase(), count(samples.count), ms(p50), ms(samples.percentile(99)), ms(samples.percentile(100)), kib(last.length), count(entries), verdict(p50 <= TARGET_P50_MS)]);
    }
    say(table(['format', 'requests', 'p50', 'p99', 'max', 'body', 'entries', `p50 <= ${TARGET_P50_MS} ms`], rows));
    const peak = bridge.peakRss();
    say(
      table(
        ['measure', 'value', 'target', ''],
        [
          ['bridge peak RSS (VmHWM) over both formats', mib(peak), `<= ${mib(TARGET_PEAK_RSS)}`, verdict(peak <= TARGET_PEAK_RSS)],
          ['of which start-up (peak RSS before the first list; RSS then)', `${mib(startupPeak)} (${mib(idle)})`, '-', '-'],
        ],
      ),
    );
  } finally {
    await pool.close();
    await bridge.stop();
    world.remove();
  }
}

function entriesIn(format: 'json' | 'xml', body: Buffer): number {
  if (format === 'json') return (JSON.parse(body.toString('utf8')) as unknown[]).length;
  return body.toString('latin1').split('<user>').length - 1;
}
