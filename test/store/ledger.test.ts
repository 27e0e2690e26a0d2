// The caller ledger and the brownout windows in the store, on both databases: exact counts
// through the batching writer (10,000 requests from 50 callers), across a restart, and summed
// across two instances writing at once.
import { describe, expect, it } from 'vitest';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import { silentLogger } from '../../src/log.js';
import type { UsageObservation } from '../../src/rules/usage.js';
import type { LedgerEntry, NewBrownoutWindow } from '../../src/store/ledger.js';
import type { Store } from '../../src/store/store.js';
import { STORES, testClock, type TestClock } from './helpers.js';

const CALLERS = Array.from({ length: 50 }, (_, i) => `reseller${String(i).padStart(2, '0')}`);
const TASKS = ['list', 'overview', 'immediate_upgrade'];

/** Request i of a deterministic stream: which caller, task and outcome it is. */
function request(i: number): UsageObservation {
  const failed = i % 7 === 0;
  return {
    surface: 'apiv2',
    task: TASKS[i % TASKS.length],
    format: i % 2 ? 'xml' : 'json',
    status: failed ? 401 : 200,
    outcome: failed ? 'auth_failed' : 'success',
    caller: CALLERS[i % CALLERS.length],
    authenticated: !failed,
    authStyle: 'password',
  };
}

/** What the ledger must say for requests `from`..`to`-1: counts by caller and by full key. */
function expectedCounts(from: number, to: number) {
  const byCaller = new Map<string, number>();
  const byKey = new Map<string, number>();
  for (let i = from; i < to; i++) {
    const r = request(i);
    byCaller.set(r.caller!, (byCaller.get(r.caller!) ?? 0) + 1);
    const key = [r.caller, r.authStyle, r.surface, r.task, r.format, r.outcome].join('|');
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
  }
  return { byCaller, byKey };
}

function countsOf(entries: LedgerEntry[]) {
  const byCaller = new Map<string, number>();
  const byKey = new Map<string, number>();
  for (const e of entries) {
    byCaller.set(e.reseller, (byCaller.get(e.reseller) ?? 0) + e.count);
    byKey.set([e.reseller, e.authStyle, e.surface, e.task, e.format, e.outcome].join('|'), e.count);
  }
  return { byCaller, byKey };
}

const writer = (store: Store, clock: TestClock) =>
  new UsageLedger({ store, knownCallers: new Set(CALLERS), now: clock.now, logger: silentLogger });

/** Observes requests `from`..`to`-1, flushing every `every` requests, as the timer would. */
async function feed(ledger: UsageLedger, from: number, to: number, every = 250, clock?: TestClock) {
  for (let i = from; i < to; i++) {
    ledger.observe(request(i));
    if ((i + 1) % every === 0) {
      clock?.advance(1000);
      await ledger.flush();
    }
  }
  await ledger.flush();
}

const windowOf = (over: Partial<NewBrownoutWindow> = {}): NewBrownoutWindow => ({
  startsAt: new Date('2024-03-10T13:00:00.000Z'),
  endsAt: new Date('2024-03-10T14:00:00.000Z'),
  surfaces: ['apiv2'],
  tasks: ['list'],
  resellers: [],
  dryRun: false,
  goneAfterSunset: false,
  ...over,
});

describe.each(STORES)('$name store', ({ open }) => {
  describe('the caller ledger', () => {
    it('10,000 requests from 50 callers: exact counts per caller and per key, across a restart', async () => {
      const { store, clock, another } = await open();
      const first = writer(store, clock);
      await feed(first, 0, 5000);
      await first.close();
      await store.close(); // the instance stops ...
      const restarted = await another(); // ... and starts again on the same database
      const second = writer(restarted, clock);
      await second.start();
      await feed(second, 5000, 10_000);
      await second.close();
      const entries = await restarted.ledgerEntries();
      expect(countsOf(entries)).toEqual(expectedCounts(0, 10_000));
      expect(entries.reduce((n, e) => n + e.count, 0)).toBe(10_000);
    });

    it('two instances writing at once: their counts add up exactly', async () => {
      const { store, clock, another } = await open();
      const other = await another();
      const [a, b] = [writer(store, clock), writer(other, clock)];
      // Interleaved halves of the same stream, flushed concurrently in small batches.
      await Promise.all([feed(a, 0, 5000, 100), feed(b, 5000, 10_000, 100)]);
      const entries = await other.ledgerEntries();
      expect(countsOf(entries)).toEqual(expectedCounts(0, 10_000));
      await other.close();
    });

    it('first seen, last seen and last status; daily counts per UTC day', async () => {
      const { store } = await open();
      const key = { reseller: 'r', authStyle: 'bearer', surface: 'apiv2', task: 'list', format: 'json', outcome: 'success' } as const;
      await store.recordUsage([
        { key, count: 3, firstSeen: '2024-03-09T23:00:00.000Z', lastSeen: '2024-03-10T01:00:00.000Z', lastStatus: 200, days: new Map([['2024-03-09', 1], ['2024-03-10', 2]]) },
      ]);
      // A batch from another instance, older than what is stored: its last status does not win.
      await store.recordUsage([
        { key, count: 2, firstSeen: '2024-03-08T10:00:00.000Z', lastSeen: '2024-03-09T10:00:00.000Z', lastStatus: 503, days: new Map([['2024-03-08', 1], ['2024-03-09', 1]]) },
      ]);
      expect(await store.ledgerEntries()).toEqual([{ ...key, count: 5, firstSeen: '2024-03-08T10:00:00.000Z', lastSeen: '2024-03-10T01:00:00.000Z', lastStatus: 200 }]);
      // A newer one: it does.
      await store.recordUsage([{ key, count: 1, firstSeen: '2024-03-10T02:00:00.000Z', lastSeen: '2024-03-10T02:00:00.000Z', lastStatus: 401, days: new Map([['2024-03-10', 1]]) }]);
      expect((await store.ledgerEntries())[0]).toMatchObject({ count: 6, lastStatus: 401, lastSeen: '2024-03-10T02:00:00.000Z' });
      expect(await store.ledgerDays({ since: '2024-03-09' })).toEqual([
        { ...key, day: '2024-03-09', count: 2 },
        { ...key, day: '2024-03-10', count: 3 },
      ]);
      await store.pruneUsageDays('2024-03-10');
      expect((await store.ledgerDays({ since: '2000-01-01' })).map((d) => d.day)).toEqual(['2024-03-10']);
      expect((await store.ledgerEntries())[0]!.count).toBe(6); // totals are kept
      expect(await store.usageCallers()).toEqual(['r']);
    });

    it('daily counts over 90 days', async () => {
      const { store, clock } = await open(testClock('2024-01-01T12:00:00.000Z'));
      const ledger = writer(store, clock);
      for (let day = 0; day < 91; day++) {
        for (let i = 0; i <= day % 3; i++) ledger.observe(request(1));
        clock.advance(86_400_000);
      }
      await ledger.flush();
      const days = await store.ledgerDays({ since: '2024-01-01' });
      expect(days).toHaveLength(91);
      expect(days.map((d) => d.count)).toEqual(Array.from({ length: 91 }, (_, day) => (day % 3) + 1));
      expect(days[0]!.day).toBe('2024-01-01');
      expect(days[90]!.day).toBe('2024-03-31');
    });

    it("the page's read: daily counts summed per reseller, surface and task", async () => {
      const { store } = await open();
      const at = '2024-03-10T01:00:00.000Z';
      const key = { reseller: 'r', authStyle: 'password', surface: 'apiv2', task: 'list', format: 'json', outcome: 'success' } as const;
      await store.recordUsage([
        { key, count: 3, firstSeen: at, lastSeen: at, lastStatus: 200, days: new Map([['2024-03-08', 1], ['2024-03-09', 2]]) },
        { key: { ...key, format: 'xml', authStyle: 'bearer' }, count: 4, firstSeen: at, lastSeen: at, lastStatus: 200, days: new Map([['2024-03-09', 1], ['2024-03-10', 3]]) },
        { key: { ...key, task: 'overview', outcome: 'auth_failed' }, count: 5, firstSeen: at, lastSeen: at, lastStatus: 401, days: new Map([['2024-03-10', 5]]) },
      ]);
      const rows = (await store.ledgerTaskDays({ since: '2024-03-09' })).map((r) => ({ ...r, days: [...r.days].sort() }));
      expect(rows.sort((a, b) => a.task.localeCompare(b.task))).toEqual([
        { reseller: 'r', surface: 'apiv2', task: 'list', days: [['2024-03-09', 3], ['2024-03-10', 3]] },
        { reseller: 'r', surface: 'apiv2', task: 'overview', days: [['2024-03-10', 5]] },
      ]);
      await expect(store.ledgerTaskDays({ since: 'yesterday' })).rejects.toThrow(/UTC day/);
    });

    it('a day that is not YYYY-MM-DD is refused', async () => {
      const { store } = await open();
      await expect(store.ledgerDays({ since: "2024-01-01' OR 1=1" })).rejects.toThrow(/UTC day/);
    });
  });

  describe('brownout windows', () => {
    it('added, listed, switched off and on, removed; the state holds the windows not ended', async () => {
      const { store, another } = await open();
      expect(await store.listBrownouts()).toEqual({ enabled: true, windows: [] });
      const added = await store.addBrownout(windowOf({ note: 'first brownout', resellers: ['r1'] }));
      const later = await store.addBrownout(windowOf({ startsAt: new Date('2024-03-11T00:00:00.000Z'), endsAt: new Date('2024-03-12T00:00:00.000Z'), dryRun: true, goneAfterSunset: true, surfaces: [], tasks: [] }));
      expect(added).toMatchObject({ ...windowOf({ resellers: ['r1'] }), id: expect.any(Number), note: 'first brownout', refused: 0, wouldRefuse: 0 });
      const other = await another();
      expect((await other.listBrownouts()).windows.map((w) => w.id)).toEqual([added.id, later.id]);

      const state = await other.brownoutState(new Date('2024-03-10T14:00:00.000Z')); // the first has just ended
      expect(state.windows.map((w) => w.id)).toEqual([later.id]);
      expect(state.windows[0]).toMatchObject({ dryRun: true, goneAfterSunset: true, surfaces: [], tasks: [] });

      await store.setBrownoutsEnabled(false);
      expect((await other.brownoutState(new Date(0))).enabled).toBe(false);
      await store.setBrownoutsEnabled(true);
      expect((await other.brownoutState(new Date(0))).enabled).toBe(true);

      await other.countBrownoutHits([
        { windowId: added.id, refused: 5, wouldRefuse: 0 },
        { windowId: later.id, refused: 0, wouldRefuse: 2 },
        { windowId: 999_999, refused: 1, wouldRefuse: 0 }, // removed meanwhile: skipped
      ]);
      await store.countBrownoutHits([{ windowId: added.id, refused: 1, wouldRefuse: 0 }]);
      expect((await store.listBrownouts()).windows.map((w) => [w.refused, w.wouldRefuse])).toEqual([[6, 0], [0, 2]]);

      expect(await store.removeBrownout(added.id)).toBe(true);
      expect(await store.removeBrownout(added.id)).toBe(false);
      expect((await store.listBrownouts()).windows.map((w) => w.id)).toEqual([later.id]);
      await other.close();
    });

    it('a window that ends before it starts, or names an unknown surface, is refused', async () => {
      const { store } = await open();
      await expect(store.addBrownout(windowOf({ endsAt: new Date('2024-03-10T13:00:00.000Z') }))).rejects.toThrow(/end after it starts/);
      await expect(store.addBrownout(windowOf({ surfaces: ['v3' as 'apiv2'] }))).rejects.toThrow(/unknown surface/);
      expect((await store.listBrownouts()).windows).toEqual([]);
    });
  });
});
