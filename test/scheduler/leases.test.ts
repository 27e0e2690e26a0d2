// Leases that mean what they say: a pass claims no more than it can apply within the lease at
// the v3 rate limit, and an unexpected (non-v3) error fails a change after a bounded number of
// attempts instead of being retried for ever.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import { silentLogger } from '../../src/log.js';
import { claimLimit, defaultSchedulerOptions, DueChangeRunner } from '../../src/scheduler/due-change-runner.js';
import { startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { generatedChanges, writeCrashMappings, writeDueChanges } from './crash-world.js';
import { ALL_STATUSES } from './support.js';

let bridge: TestBridge | undefined;
let root: string | undefined;
afterEach(async () => {
  await bridge?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
  bridge = root = undefined;
});

/** `count` generated customers, each with one change already due, and a bridge over them. */
async function worldWithDueChanges(count: number, options: Parameters<typeof startTestBridge>[1]) {
  root = mkdtempSync(join(tmpdir(), 'bridge-leases-'));
  const mappings = join(root, 'mappings');
  mkdirSync(mappings);
  const changes = generatedChanges(count);
  writeCrashMappings(mappings, changes);
  const db = join(root, 'bridge.db');
  await writeDueChanges(db, mappings, changes);
  bridge = await startTestBridge(
    { BRIDGE_MAPPINGS: mappings, BRIDGE_DB: db, SECOND_RESELLER_API_KEY: 'SG.demo-second-reseller-key' },
    options,
  );
  return bridge;
}

describe('what a pass claims', () => {
  it.each([
    [{ batchSize: 100, leaseMs: 120_000, v3RatePerSecond: 20 }, 100],
    [{ batchSize: 100, leaseMs: 10_000, v3RatePerSecond: 20 }, 33],
    [{ batchSize: 100, leaseMs: 1_000, v3RatePerSecond: 1 }, 1],
    [{ batchSize: 50, leaseMs: 10_000, v3RatePerSecond: Number.POSITIVE_INFINITY }, 50],
  ])('%o: at most %i changes at once', (options, limit) => {
    expect(claimLimit(options)).toBe(limit);
  });

  it('a batch of 100 at the rate limit is applied within its leases: no attempt lost, none taken over', async () => {
    // Scaled down from 20 req/s and a 10 s lease: 300 v3 calls take 3 s, longer than one lease.
    const b = await worldWithDueChanges(100, {
      upstream: { ratePerSecond: 100, burst: 1 },
      scheduler: { leaseMs: 2_000, concurrency: 16 },
    });
    const result = await b.scheduler.runPass(new Date());
    expect(result).toEqual({ claimed: 100, applied: 100, retried: 0, failed: 0, skipped: 0 });
    const outcomes = (await b.store.listAudit()).map((a) => a.outcome);
    expect(outcomes.filter((o) => o === 'lease_expired' || o === 'lease_lost')).toEqual([]);
    expect((await b.store.listChanges({ statuses: ALL_STATUSES })).every((c) => c.status === 'applied' && c.attempts === 1)).toBe(true);
  });
});

describe('an unexpected error', () => {
  it('fails the change with the reason after a bounded number of attempts', async () => {
    const b = await worldWithDueChanges(1, {});
    const broken = createCore({
      store: b.store,
      mappings: b.config.mappings,
      v3For: () => {
        throw new TypeError('offerings is not iterable');
      },
      now: () => new Date(),
      logger: silentLogger,
    });
    const runner = new DueChangeRunner(
      { core: broken, logger: silentLogger },
      { ...defaultSchedulerOptions('test'), maxUnexpectedAttempts: 3, retryBaseMs: 1_000, retryCapMs: 1_000 },
    );
    const statuses: string[] = [];
    for (let pass = 1; pass <= 4; pass++) {
      await runner.runPass(new Date(Date.now() + pass * 60_000));
      const [change] = await b.store.listChanges({ statuses: ALL_STATUSES });
      statuses.push(change!.status);
    }
    expect(statuses).toEqual(['pending', 'pending', 'failed', 'failed']);
    const [change] = await b.store.listChanges({ statuses: ALL_STATUSES });
    expect(change).toMatchObject({ attempts: 3, lastError: 'unexpected error in 3 attempts: offerings is not iterable' });
  });
});
