import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { Statement } from '../../src/store/script.js';
import { claimCandidates, duePending, expiredLeases, listedChangeOf, LISTED, listPending } from '../../src/store/statements.js';
import { changeFor, legacyAudit, openTemp, schedulerAudit, seed, STORES } from './helpers.js';

const MINUTE = 60_000;

describe.each(STORES)('$name store', ({ open }) => {
  async function scheduled(effective: Record<string, string>) {
    const { store, clock, another } = await open();
    const world = await seed(store);
    const ids: Record<string, number> = {};
    for (const [name, effectiveAt] of Object.entries(effective)) {
      ids[name] = (await store.schedule(changeFor(world[name]!, { effectiveAt }), legacyAudit())).change.id;
    }
    return { store, clock, another, world, ids };
  }

  describe('claimDue', () => {
    it('claims only changes whose effective time has come, oldest first', async () => {
      const { store, ids } = await scheduled({
        alice: '2024-03-15T00:00:00.000Z',
        bob: '2024-03-12T00:00:00.000Z',
        carol: '2024-03-20T00:00:00.000Z',
      });
      expect(await store.claimDue(new Date('2024-03-11T23:59:59.999Z'), 'w', MINUTE, 10)).toEqual([]);
      const claimed = await store.claimDue(new Date('2024-03-15T00:00:00.000Z'), 'w', MINUTE, 10);
      expect(claimed.map((c) => c.id)).toEqual([ids.bob, ids.alice]);
      expect(claimed[0]).toMatchObject({
        status: 'applying',
        leaseOwner: 'w',
        leaseExpiresAt: '2024-03-15T00:01:00.000Z',
        fence: 1,
        attempts: 0,
        updatedAt: '2024-03-15T00:00:00.000Z',
      });
      expect(await store.getChange(ids.carol!)).toMatchObject({ status: 'pending', fence: 0 });
    });

    it('respects the limit and takes the oldest', async () => {
      const { store, ids } = await scheduled({
        alice: '2024-03-14T00:00:00.000Z',
        bob: '2024-03-12T00:00:00.000Z',
        carol: '2024-03-13T00:00:00.000Z',
        dave: '2024-03-13T00:00:00.000Z',
      });
      const now = new Date('2024-03-15T00:00:00.000Z');
      expect((await store.claimDue(now, 'w', MINUTE, 2)).map((c) => c.id)).toEqual([ids.bob, ids.carol]);
      expect((await store.claimDue(now, 'w', MINUTE, 2)).map((c) => c.id)).toEqual([ids.dave, ids.alice]);
      expect(await store.claimDue(now, 'w', MINUTE, 2)).toEqual([]);
      expect(await store.claimDue(now, 'w', MINUTE, 0)).toEqual([]);
    });

    it('does not take a live lease, and takes an expired one with a new fence, counting the lost attempt', async () => {
      const { store, ids } = await scheduled({ alice: '2024-03-15T00:00:00.000Z' });
      const start = Date.parse('2024-03-15T00:00:00.000Z');
      const [first] = await store.claimDue(new Date(start), 'w1', MINUTE, 10);
      expect(await store.claimDue(new Date(start + MINUTE - 1), 'w2', MINUTE, 10)).toEqual([]);

      const [second] = await store.claimDue(new Date(start + MINUTE), 'w2', MINUTE, 10);
      expect(second).toMatchObject({
        id: ids.alice,
        status: 'applying',
        leaseOwner: 'w2',
        leaseExpiresAt: '2024-03-15T00:02:00.000Z',
        fence: first!.fence + 1,
        attempts: 1,
        lastError: 'lease of w1 expired at 2024-03-15T00:01:00.000Z',
      });
      // The attempt that never finished leaves its trace when the change is claimed again.
      const trail = await store.listAudit({ changeId: ids.alice });
      expect(trail.filter((a) => a.outcome === 'lease_expired')).toEqual([
        expect.objectContaining({ actor: 'scheduler', detail: 'lease of w1 expired at 2024-03-15T00:01:00.000Z' }),
      ]);
    });

    it('writes no lease_expired record for a change claimed for the first time', async () => {
      const { store, ids } = await scheduled({ alice: '2024-03-15T00:00:00.000Z' });
      await store.claimDue(new Date('2024-03-15T00:00:00.000Z'), 'w1', MINUTE, 10);
      expect((await store.listAudit({ changeId: ids.alice })).map((a) => a.outcome)).not.toContain('lease_expired');
    });

    it('orders expired leases and due changes by when each became claimable', async () => {
      const { store, ids } = await scheduled({ alice: '2024-03-15T00:00:00.000Z', bob: '2024-03-15T00:30:00.000Z' });
      await store.claimDue(new Date('2024-03-15T00:00:00.000Z'), 'w1', 60 * MINUTE, 10); // alice's lease ends 01:00
      const claimed = await store.claimDue(new Date('2024-03-15T02:00:00.000Z'), 'w2', MINUTE, 10);
      expect(claimed.map((c) => c.id)).toEqual([ids.bob, ids.alice]);
    });

    it('waits for the retry time of a change that failed transiently', async () => {
      const { store, ids, world } = await scheduled({ alice: '2024-03-15T00:00:00.000Z' });
      const [claimed] = await store.claimDue(new Date('2024-03-15T00:00:00.000Z'), 'w', MINUTE, 10);
      const ok = await store.finishChange(
        claimed!.id,
        claimed!.fence,
        { status: 'pending', error: '503 from v3', retryAt: '2024-03-15T00:05:00Z' },
        undefined,
        schedulerAudit(world.alice!.id, 'retry'),
      );
      expect(ok).toBe(true);
      expect(await store.getChange(ids.alice!)).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastError: '503 from v3',
        retryAt: '2024-03-15T00:05:00.000Z',
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      expect(await store.claimDue(new Date('2024-03-15T00:04:59.999Z'), 'w', MINUTE, 10)).toEqual([]);
      expect(await store.claimDue(new Date('2024-03-15T00:05:00.000Z'), 'w', MINUTE, 10)).toEqual([
        expect.objectContaining({ id: ids.alice, fence: 2, attempts: 1 }),
      ]);
    });

    it('sees changes another store on the same data claimed', async () => {
      const { store, another } = await scheduled({ alice: '2024-03-15T00:00:00.000Z', bob: '2024-03-15T00:00:00.000Z' });
      const other = await another();
      const now = new Date('2024-03-15T00:00:00.000Z');
      const mine = await store.claimDue(now, 'a', MINUTE, 1);
      const theirs = await other.claimDue(now, 'b', MINUTE, 10);
      expect(mine).toHaveLength(1);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]!.id).not.toBe(mine[0]!.id);
    });

    it('refuses a claim with no owner or no lease', async () => {
      const { store } = await open();
      await expect(store.claimDue(new Date(), '', MINUTE, 1)).rejects.toThrow(/owner/);
      await expect(store.claimDue(new Date(), 'w', 0, 1)).rejects.toThrow(/leaseMs/);
    });
  });

  describe('finishChange', () => {
    it('applies the change and the customer update, and audits the attempt', async () => {
      const { store, ids, world } = await scheduled({ alice: '2024-03-15T00:00:00.000Z' });
      const [claimed] = await store.claimDue(new Date('2024-03-15T00:00:00.000Z'), 'w', MINUTE, 10);
      const ok = await store.finishChange(claimed!.id, claimed!.fence, { status: 'applied' }, { ips: ['10.0.0.1'], ipGroups: ['G'] }, {
        ...schedulerAudit(world.alice!.id, 'applied'),
        offeringsBefore: [{ name: 'a', type: 'package' }],
        offeringsAfter: [{ name: 'b', type: 'package' }],
      });
      expect(ok).toBe(true);
      expect(await store.getChange(ids.alice!)).toMatchObject({ status: 'applied', attempts: 1, leaseOwner: null, leaseExpiresAt: null });
      expect(await store.findCustomer({ id: world.alice!.id })).toMatchObject({ ips: ['10.0.0.1'], ipGroups: ['G'] });
      expect(await store.listPending('main')).toEqual([]);
      expect((await store.listAudit({ changeId: ids.alice! })).at(-1)).toMatchObject({
        actor: 'scheduler',
        action: 'apply',
        outcome: 'applied',
        changeId: ids.alice,
        offeringsAfter: [{ name: 'b', type: 'package' }],
      });
    });

    it('marks a permanent failure failed with the reason; it stays listed and is not claimed again', async () => {
      const { store, ids, world } = await scheduled({ alice: '2024-03-15T00:00:00.000Z' });
      const [claimed] = await store.claimDue(new Date('2024-03-15T00:00:00.000Z'), 'w', MINUTE, 10);
      await store.finishChange(claimed!.id, claimed!.fence, { status: 'failed', reason: 'account gone' }, { ips: ['x'] }, schedulerAudit(world.alice!.id, 'failed'));
      expect((await store.listPending('main')).map((c) => c.username)).toEqual(['alice']);
      expect(await store.getChange(ids.alice!)).toMatchObject({ status: 'failed', lastError: 'account gone' });
      expect(await store.findCustomer({ id: world.alice!.id })).toMatchObject({ ips: [] });
      expect(await store.claimDue(new Date('2030-01-01T00:00:00.000Z'), 'w', MINUTE, 10)).toEqual([]);
    });

    it('refuses a finish with a stale fence after a re-claim, and writes nothing', async () => {
      const { store, ids, world } = await scheduled({ alice: '2024-03-15T00:00:00.000Z' });
      const start = Date.parse('2024-03-15T00:00:00.000Z');
      const [stale] = await store.claimDue(new Date(start), 'w1', MINUTE, 10);
      const [fresh] = await store.claimDue(new Date(start + 2 * MINUTE), 'w2', MINUTE, 10);
      const auditBefore = await store.listAudit();
      const changeBefore = await store.getChange(ids.alice!);

      for (const outcome of [{ status: 'applied' as const }, { status: 'failed' as const, reason: 'x' }]) {
        expect(await store.finishChange(stale!.id, stale!.fence, outcome, { ips: ['10.0.0.1'] }, schedulerAudit(world.alice!.id, 'applied'))).toBe(false);
      }
      expect(await store.getChange(ids.alice!)).toEqual(changeBefore);
      expect(await store.listAudit()).toEqual(auditBefore);
      expect(await store.findCustomer({ id: world.alice!.id })).toMatchObject({ ips: [] });

      expect(await store.finishChange(fresh!.id, fresh!.fence, { status: 'applied' }, undefined, schedulerAudit(world.alice!.id, 'applied'))).toBe(true);
      // Once finished, even the right fence cannot finish it again.
      expect(await store.finishChange(fresh!.id, fresh!.fence, { status: 'applied' }, undefined, schedulerAudit(world.alice!.id, 'applied'))).toBe(false);
    });

    it('refuses a finish of a change that was never claimed', async () => {
      const { store, ids, world } = await scheduled({ alice: '2024-03-15T00:00:00.000Z' });
      expect(await store.finishChange(ids.alice!, 0, { status: 'applied' }, undefined, schedulerAudit(world.alice!.id, 'applied'))).toBe(false);
      expect(await store.finishChange(9999, 1, { status: 'applied' }, undefined, schedulerAudit(world.alice!.id, 'applied'))).toBe(false);
    });
  });
});

describe('SQLite query plans', () => {
  const sqliteText = (statement: Statement) => statement.text.sqlite!.sql;

  function plan(path: string, sql: string, params: Record<string, string | number>): string {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(params)
        .map((row) => String(row.detail))
        .join('\n');
    } finally {
      db.close();
    }
  }

  it('lists one range of the listing index, in order, without sorting, reading history or a table row', async () => {
    const { path } = openTemp();
    const detail = plan(path, sqliteText(listPending({})), { reseller: 'main' });
    expect(detail).toMatch(/SEARCH pending_changes USING COVERING INDEX pending_changes_listed \(reseller=\?\)/);
    expect(detail).not.toMatch(/TEMP B-TREE|SCAN/);
    const filtered = plan(path, sqliteText(listPending({ username: 'alice', type: 'close' })), { reseller: 'main', username: 'alice', type: 'close' });
    expect(filtered).toMatch(/SEARCH pending_changes USING COVERING INDEX pending_changes_listed \(reseller=\?\)/);
  });

  it('claims from the partial due and lease indexes, without sorting', async () => {
    const { path } = openTemp();
    const due = plan(path, sqliteText(duePending), { dueAt: '2024-01-01T00:00:00.000Z', limit: 10 });
    expect(due).toMatch(/USING (COVERING )?INDEX pending_changes_due \(due_at<\?\)/);
    const leases = plan(path, sqliteText(expiredLeases), { now: '2024-01-01T00:00:00.000Z', limit: 10 });
    expect(leases).toMatch(/USING (COVERING )?INDEX pending_changes_leases \(lease_expires_at<\?\)/);
    expect(`${due}\n${leases}`).not.toMatch(/TEMP B-TREE/);
    // The claim merges exactly those two range scans.
    const merged = plan(path, sqliteText(claimCandidates), { dueAt: '2024-01-01T00:00:00.000Z', now: '2024-01-01T00:00:00.000Z', limit: 10 });
    expect(merged).toMatch(/INDEX pending_changes_due/);
    expect(merged).toMatch(/INDEX pending_changes_leases/);
  });

  it('finds a customer’s listed change through the one-listed index', async () => {
    const { path } = openTemp();
    expect(LISTED).toBe(`('pending', 'applying', 'failed')`);
    expect(plan(path, sqliteText(listedChangeOf).replace(':customerId', '1'), {})).toMatch(/pending_changes_one_listed_per_customer/);
  });
});
