// Benchmark 4: the operator page over a big ledger — 1,000 callers, each calling two tasks on
// each of the last 90 days, written through the store as the ledger writer writes it. The page
// is served by the admin listener in this process (the store is SQLite, as by default) and
// asked for sequentially; the target is a p95 of at most 200 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startAdminListener } from '../src/admin/listener.js';
import { usageRoutes } from '../src/admin/usage/routes.js';
import { DEFAULT_USAGE_OPTIONS } from '../src/admin/usage/report.js';
import { silentLogger } from '../src/log.js';
import type { UsageIncrement } from '../src/rules/usage.js';
import { openStore } from '../src/store/open.js';
import { LISTED_STATUSES } from '../src/store/store.js';
import { count, kib, ms, say, section, table, verdict } from './report.js';
import { Samples } from './stats.js';

export interface OperatorPageParams {
  callers: number;
  days: number;
  warmups: number;
  requests: number;
}

const TARGET_P95_MS = 200;
const TASKS = ['immediate_upgrade', 'list'] as const;
const DAY_MS = 86_400_000;

export async function benchOperatorPage(params: OperatorPageParams): Promise<void> {
  section(`4. the operator page over ${count(params.callers)} callers × ${params.days} days of ledger`);
  say(`${count(params.callers)} callers × ${TASKS.length} tasks × ${params.days} days of daily counts in SQLite; ${params.warmups} warm-up requests, then ${params.requests} sequential GET / measured.`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-page-'));
  const store = await openStore({ sqlitePath: join(dir, 'bridge.db'), databaseUrl: undefined });
  const now = new Date();
  try {
    const fillStarted = performance.now();
    for (let c = 0; c < params.callers; c++) {
      const increments: UsageIncrement[] = TASKS.map((task, t) => {
        const days = new Map<string, number>();
        for (let d = 0; d < params.days; d++) days.set(new Date(now.getTime() - d * DAY_MS).toISOString().slice(0, 10), 1 + ((c + d + t) % 7));
        const total = [...days.values()].reduce((a, b) => a + b, 0);
        return {
          key: { reseller: `reseller-${String(c).padStart(4, '0')}`, authStyle: 'password', surface: 'apiv2', task, format: 'json', outcome: 'success' },
          count: total,
          firstSeen: new Date(now.getTime() - (params.days - 1) * DAY_MS).toISOString(),
          lastSeen: now.toISOString(),
          lastStatus: 200,
          days,
        };
      });
      await store.recordUsage(increments);
    }
    say(`(ledger filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s)`);

    const admin = await startAdminListener({
      host: '127.0.0.1',
      port: 0,
      token: undefined,
      logger: silentLogger,
      routes: usageRoutes({
        ledger: store,
        scheduledChanges: () => store.listChanges({ statuses: [...LISTED_STATUSES] }),
        brownouts: async () => ({ enabled: true, windows: [] }),
        now: () => now,
        options: DEFAULT_USAGE_OPTIONS,
      }),
    });
    const pool = new Pool(admin.url, { connections: 1 });
    try {
      const once = async () => {
        const started = performance.now();
        const answer = await pool.request({ method: 'GET', path: '/' });
        const body = await answer.body.text();
        if (answer.statusCode !== 200) throw new Error(`HTTP ${answer.statusCode}`);
        return { latency: performance.now() - started, body };
      };
      for (let i = 0; i < params.warmups; i++) await once();
      const samples = new Samples();
      let size = 0;
      for (let i = 0; i < params.requests; i++) {
        const { latency, body } = await once();
        samples.record(latency, true, true);
        size = body.length;
      }
      const p95 = samples.percentile(95);
      say(table(['requests', 'p50', 'p95', 'max', 'page', `p95 <= ${TARGET_P95_MS} ms`], [[count(samples.count), ms(samples.percentile(50)), ms(p95), ms(samples.percentile(100)), kib(size), verdict(p95 <= TARGET_P95_MS)]]));
    } finally {
      await pool.close();
      await admin.close();
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
