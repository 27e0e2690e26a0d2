// The ledger writer: off the request's path, in batches, exact when the store refuses a write.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageLedger, type UsageStore } from '../../src/core/usage-ledger.js';
import { silentLogger } from '../../src/log.js';
import type { UsageIncrement, UsageObservation } from '../../src/rules/usage.js';

const observation = (caller: string, over: Partial<UsageObservation> = {}): UsageObservation => ({
  surface: 'apiv2',
  task: 'list',
  format: 'json',
  status: 200,
  outcome: 'success',
  caller,
  authenticated: true,
  authStyle: 'password',
  ...over,
});

/** A store that sums what it is given, and can be told to refuse the next writes. */
function summingStore(callers: string[] = []) {
  const totals = new Map<string, number>();
  const writes: UsageIncrement[][] = [];
  let refuse = 0;
  const pruned: string[] = [];
  const store: UsageStore & { totals: typeof totals; writes: typeof writes; pruned: string[]; refuseNext(n: number): void } = {
    totals,
    pruned,
    writes,
    refuseNext: (n) => void (refuse = n),
    recordUsage: async (increments) => {
      if (refuse > 0) {
        refuse -= 1;
        throw new Error('store unavailable');
      }
      writes.push(increments);
      for (const i of increments) totals.set(i.key.reseller, (totals.get(i.key.reseller) ?? 0) + i.count);
    },
    usageCallers: async () => callers,
    pruneUsageDays: async (before) => void pruned.push(before),
  };
  return store;
}

const ledgerOn = (store: UsageStore, known: string[] = []) =>
  new UsageLedger({ store, knownCallers: new Set(known), now: () => new Date('2027-01-01T00:00:00Z'), logger: silentLogger });

afterEach(() => vi.useRealTimers());

describe('the ledger writer', () => {
  it('observing does no I/O; a flush writes one batch per distinct key', async () => {
    const store = summingStore();
    const ledger = ledgerOn(store);
    for (let i = 0; i < 1000; i++) ledger.observe(observation(`c${i % 10}`));
    expect(store.writes).toEqual([]);
    expect(ledger.unwritten).toBe(1000);
    await ledger.flush();
    expect(store.writes).toHaveLength(1);
    expect(store.writes[0]).toHaveLength(10);
    expect([...store.totals.values()]).toEqual(Array(10).fill(100));
    expect(ledger.unwritten).toBe(0);
  });

  it('a refused write goes back into the next batch: exact counts', async () => {
    const store = summingStore();
    const ledger = ledgerOn(store);
    for (let i = 0; i < 30; i++) ledger.observe(observation('a'));
    store.refuseNext(2);
    await expect(ledger.flush()).rejects.toThrow('store unavailable');
    for (let i = 0; i < 12; i++) ledger.observe(observation('a'));
    await expect(ledger.flush()).rejects.toThrow('store unavailable');
    expect(ledger.unwritten).toBe(42);
    await ledger.flush();
    expect(store.totals.get('a')).toBe(42);
  });

  it('requests observed while a write is in flight go in the next one', async () => {
    const releases: (() => void)[] = [];
    const store = summingStore();
    const record = store.recordUsage;
    store.recordUsage = async (increments) => {
      await new Promise<void>((resolve) => releases.push(resolve));
      await record(increments);
    };
    const ledger = ledgerOn(store);
    ledger.observe(observation('a'));
    const first = ledger.flush();
    ledger.observe(observation('a'));
    const second = ledger.flush(); // waits for the first
    await vi.waitFor(() => expect(releases).toHaveLength(1));
    releases[0]!();
    await vi.waitFor(() => expect(releases).toHaveLength(2));
    releases[1]!();
    await Promise.all([first, second]);
    expect(store.writes.map((w) => w[0]!.count)).toEqual([1, 1]);
  });

  it('written by the timer within a second, with no flush called', async () => {
    vi.useFakeTimers();
    const store = summingStore();
    const ledger = ledgerOn(store);
    await ledger.start();
    ledger.observe(observation('a'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.totals.get('a')).toBe(1);
    await ledger.close();
  });

  it('daily counts older than the retention are pruned at start, then once a day', async () => {
    vi.useFakeTimers();
    let now = new Date('2027-06-01T23:59:59.000Z');
    const store = summingStore();
    const ledger = new UsageLedger({ store, knownCallers: new Set(), now: () => now, logger: silentLogger });
    await ledger.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.pruned).toEqual(['2026-04-27']); // 400 days before 2027-06-01
    now = new Date('2027-06-02T00:00:01.000Z');
    await vi.advanceTimersByTimeAsync(2000);
    expect(store.pruned).toEqual(['2026-04-27', '2026-04-28']);
    await ledger.close();
  });

  it('close writes what is left', async () => {
    const store = summingStore();
    const ledger = ledgerOn(store);
    await ledger.start();
    ledger.observe(observation('a'));
    await ledger.close();
    expect(store.totals.get('a')).toBe(1);
  });

  it('probes and unknown paths are not counted', async () => {
    const store = summingStore();
    const ledger = ledgerOn(store);
    ledger.observe(observation('a', { surface: 'probe' }));
    ledger.observe(observation('a', { surface: 'other' }));
    expect(ledger.unwritten).toBe(0);
  });

  it('unknown claimed callers are capped, counting those already in the store', async () => {
    const store = summingStore(Array.from({ length: 100 }, (_, i) => `old${i}`));
    const ledger = ledgerOn(store, ['known']);
    await ledger.start();
    for (const caller of ['new1', 'old5', 'known']) ledger.observe(observation(caller, { authenticated: false, outcome: 'auth_failed', status: 401 }));
    await ledger.close();
    expect([...store.totals.keys()].sort()).toEqual(['(other unknown)', 'known', 'old5']);
  });
});
