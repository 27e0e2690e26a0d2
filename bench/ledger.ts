// Benchmark 5: what the caller ledger adds to a legacy request. The ledger is written off the
// request's path: a request only counts itself in memory (`observe`), and every 500 ms the batch
// is written in one store transaction, which (SQLite being synchronous) holds the event loop for
// its duration: a request arriving then waits for it. Both are measured here, in this process,
// with the bridge's own UsageLedger on a SQLite store, at the rate of the immediate benchmark's
// closed loop (about 1,000 requests per second from 50 callers).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageLedger } from '../src/core/usage-ledger.js';
import { silentLogger } from '../src/log.js';
import type { UsageObservation } from '../src/rules/usage.js';
import { openStore } from '../src/store/open.js';
import { count, micros, ms, say, section, table } from './report.js';
import { Samples } from './stats.js';

export interface LedgerParams {
  callers: number;
  /** Requests counted between two writes: the batch of one flush interval. */
  requestsPerFlush: number;
  flushes: number;
}

const TASKS = ['immediate_upgrade', 'immediate_downgrade', 'list', 'overview'] as const;

export async function benchLedger(params: LedgerParams): Promise<void> {
  section('5. the caller ledger: what it adds to a request');
  say(
    `${count(params.callers)} callers, ${TASKS.length} tasks, ${count(params.requestsPerFlush)} requests per 500 ms batch (about 1,000 req/s), ${count(params.flushes)} batches written to SQLite. ` +
      '`observe` is what every request runs on its path; the batch write is what a request arriving during it waits for.',
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-ledger-'));
  const store = await openStore({ sqlitePath: join(dir, 'bridge.db'), databaseUrl: undefined });
  const callers = Array.from({ length: params.callers }, (_, i) => `caller-${String(i).padStart(3, '0')}`);
  const ledger = new UsageLedger({ store, knownCallers: new Set(callers), now: () => new Date(), logger: silentLogger, flushMs: 3_600_000 });
  try {
    const observation = (i: number): UsageObservation => ({
      surface: 'apiv2',
      task: TASKS[i % TASKS.length],
      format: i % 5 ? 'json' : 'xml',
      status: 200,
      outcome: 'success',
      caller: callers[i % callers.length],
      authenticated: true,
      authStyle: i % 3 ? 'password' : 'apikey',
    });
    const observe = new Samples();
    const write = new Samples();
    let n = 0;
    for (let f = 0; f < params.flushes; f++) {
      for (let r = 0; r < params.requestsPerFlush; r++) {
        const o = observation(n++);
        const started = process.hrtime.bigint();
        ledger.observe(o);
        observe.record(Number(process.hrtime.bigint() - started) / 1e6, true, true);
      }
      const started = performance.now();
      await ledger.flush();
      write.record(performance.now() - started, true, true);
    }
    const entries = await store.ledgerEntries();
    const counted = entries.reduce((total, e) => total + e.count, 0);
    if (counted !== n) throw new Error(`the ledger counted ${counted} of ${n} requests`);
    const us = (value: number) => micros(value * 1000);
    say(
      table(
        ['step', 'p50', 'p99', 'max', 'per request'],
        [
          ['observe (on every request)', us(observe.percentile(50)), us(observe.percentile(99)), us(observe.percentile(100)), us(observe.percentile(50))],
          [
            `batch write (every 500 ms, ${count(params.requestsPerFlush)} requests)`,
            ms(write.percentile(50)),
            ms(write.percentile(99)),
            ms(write.percentile(100)),
            `${us(write.percentile(50) / params.requestsPerFlush)} amortised`,
          ],
        ],
      ),
    );
    say(`(${count(n)} requests counted exactly: ${count(counted)} in ${count(entries.length)} ledger rows)`);
  } finally {
    await ledger.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
