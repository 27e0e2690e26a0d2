import { describe, expect, it } from 'vitest';
import { ChangeInFlightError, LISTED_STATUSES, LISTING_FIELDS } from '../../src/store/store.js';

const pick = <T extends object, K extends keyof T>(value: T, keys: readonly K[]) =>
  Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
import { changeFor, legacyAudit, schedulerAudit, seed, STORES } from './helpers.js';

describe.each(STORES)('$name store', ({ open }) => {
  describe('schedule', () => {
    it('creates a pending change and audits it in the same transaction', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      const result = await store.schedule(changeFor(alice!, { ips: ['10.0.0.1'], ipGroups: ['Reseller Group'] }), legacyAudit());
      expect(result.outcome).toBe('created');
      expect(result.change).toMatchObject({
        customerId: alice!.id,
        reseller: 'main',
        username: 'alice',
        accountId: 'acc-alice',
        type: 'upgrade',
        currentPackage: 'Basic Package',
        targetPackage: 'Silver Package',
        ips: ['10.0.0.1'],
        ipGroups: ['Reseller Group'],
        effectiveAt: '2024-03-15T00:00:00.000Z',
        status: 'pending',
        attempts: 0,
        lastError: null,
        retryAt: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        fence: 0,
        createdAt: '2024-03-10T12:00:00.000Z',
      });
      expect(await store.listAudit({ changeId: result.change.id })).toEqual([
        expect.objectContaining({ actor: 'legacy', action: 'scheduled_upgrade', customerId: alice!.id, outcome: 'scheduled' }),
      ]);
    });

    it('stores effective times in the one canonical form', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!, { effectiveAt: '2024-03-15T00:00:00Z' }), legacyAudit());
      expect(change.effectiveAt).toBe('2024-03-15T00:00:00.000Z');
      await expect(store.schedule(changeFor(alice!, { effectiveAt: 'next tuesday' }), legacyAudit())).rejects.toThrow(/ISO-8601/);
    });

    it('answers the identical change again with unchanged, whatever the order of IPs', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      const change = changeFor(alice!, { ips: ['10.0.0.1', '10.0.0.2'] });
      const first = await store.schedule(change, legacyAudit());
      const again = await store.schedule({ ...change, ips: ['10.0.0.2', '10.0.0.1'] }, legacyAudit());
      expect(again).toEqual({ outcome: 'unchanged', change: first.change });
      expect(await store.listChanges({ statuses: ['pending', 'superseded'] })).toHaveLength(1);
      expect((await store.listAudit({ changeId: first.change.id })).map((a) => a.outcome)).toEqual(['scheduled', 'noop']);
    });

    it.each([
      ['type', { type: 'downgrade' as const, targetPackage: 'Free Package' }],
      ['target', { targetPackage: 'Gold Package' }],
      ['ips', { ips: ['10.0.0.9'] }],
      ['groups', { ipGroups: ['Reseller Group'] }],
      ['effective time', { effectiveAt: '2024-04-15T00:00:00.000Z' }],
    ])('replaces the pending change when the %s differs, keeping the old one as superseded', async (_, overrides) => {
      const { store } = await open();
      const { alice } = await seed(store);
      const first = await store.schedule(changeFor(alice!), legacyAudit());
      const second = await store.schedule(changeFor(alice!, overrides), legacyAudit('scheduled_downgrade'));
      expect(second.outcome).toBe('replaced');
      expect(second.change).toMatchObject({ ...overrides, status: 'pending' });
      expect(await store.getChange(first.change.id)).toMatchObject({ status: 'superseded' });
      expect(await store.listPending('main')).toEqual([pick(second.change, LISTING_FIELDS)]);
      expect((await store.listAudit({ changeId: first.change.id })).map((a) => a.outcome)).toEqual(['scheduled', 'superseded']);
      expect(await store.listAudit({ changeId: second.change.id })).toEqual([
        expect.objectContaining({ outcome: 'replaced', detail: `replaces change ${first.change.id}` }),
      ]);
    });

    it('replaces a failed change, even an identical one: sending it again retries it', async () => {
      const { store, clock } = await open();
      const { alice } = await seed(store);
      const first = await store.schedule(changeFor(alice!), legacyAudit());
      clock.set('2024-03-15T00:00:00.000Z');
      const [claimed] = await store.claimDue(clock.now(), 'worker', 60_000, 10);
      await store.finishChange(claimed!.id, claimed!.fence, { status: 'failed', reason: 'account gone' }, undefined, schedulerAudit(alice!.id, 'failed'));

      const again = await store.schedule(changeFor(alice!), legacyAudit());
      expect(again.outcome).toBe('replaced');
      expect(again.change.id).not.toBe(first.change.id);
      expect(await store.getChange(first.change.id)).toMatchObject({ status: 'superseded', lastError: 'account gone' });
    });

    it('refuses to replace a change being applied, and takes the identical one as unchanged', async () => {
      const { store, clock } = await open();
      const { alice } = await seed(store);
      const first = await store.schedule(changeFor(alice!), legacyAudit());
      clock.set('2024-03-15T00:00:00.000Z');
      const [claimed] = await store.claimDue(clock.now(), 'worker', 60_000, 10);

      await expect(store.schedule(changeFor(alice!, { targetPackage: 'Gold Package' }), legacyAudit())).rejects.toBeInstanceOf(
        ChangeInFlightError,
      );
      expect(await store.schedule(changeFor(alice!), legacyAudit())).toMatchObject({ outcome: 'unchanged', change: { id: first.change.id, status: 'applying' } });
      expect(await store.getChange(first.change.id)).toEqual(claimed);
    });

    it('refuses an unknown customer', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      await expect(store.schedule({ ...changeFor(alice!), customerId: 9999 }, legacyAudit())).rejects.toThrow(/unknown customer/);
    });
  });

  describe('recordImmediateChange', () => {
    it('supersedes the listed change, applies the update and audits, in one transaction', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!), legacyAudit());
      const offeringsBefore = [{ name: 'org.basic', type: 'package' as const, quantity: 1 }];
      const offeringsAfter = [{ name: 'org.gold', type: 'package' as const, quantity: 1 }];
      await store.recordImmediateChange(alice!.id, { ips: ['10.0.0.1'], ipGroups: ['Reseller Group'] }, {
        actor: 'legacy',
        action: 'immediate_upgrade',
        customerId: alice!.id,
        outcome: 'applied',
        offeringsBefore,
        offeringsAfter,
      });
      expect(await store.getChange(change.id)).toMatchObject({ status: 'superseded' });
      expect(await store.listPending('main')).toEqual([]);
      expect(await store.findCustomer({ id: alice!.id })).toMatchObject({ ips: ['10.0.0.1'], ipGroups: ['Reseller Group'] });
      const audit = await store.listAudit({ customerId: alice!.id });
      expect(audit.map((a) => [a.changeId, a.outcome])).toEqual([
        [change.id, 'scheduled'],
        [change.id, 'superseded'],
        [undefined, 'applied'],
      ]);
      expect(audit[2]).toMatchObject({ offeringsBefore, offeringsAfter });
    });

    it('supersedes a change the scheduler claimed: its finish is then refused', async () => {
      const { store, clock } = await open();
      const { alice } = await seed(store);
      await store.schedule(changeFor(alice!), legacyAudit());
      clock.set('2024-03-15T00:00:00.000Z');
      const [claimed] = await store.claimDue(clock.now(), 'worker', 60_000, 10);
      await store.recordImmediateChange(alice!.id, {}, { actor: 'legacy', action: 'immediate_close', customerId: alice!.id, outcome: 'applied' });
      expect(await store.getChange(claimed!.id)).toMatchObject({ status: 'superseded', leaseOwner: null, leaseExpiresAt: null });
      expect(await store.finishChange(claimed!.id, claimed!.fence, { status: 'applied' }, { ips: ['x'] }, schedulerAudit(alice!.id, 'applied'))).toBe(
        false,
      );
      expect(await store.findCustomer({ id: alice!.id })).toMatchObject({ ips: [] });
    });

    it('writes nothing when the update fails', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!), legacyAudit());
      const auditBefore = await store.listAudit();
      // The audit insert, the last step, fails its CHECK after the supersession and the update ran.
      await expect(
        store.recordImmediateChange(alice!.id, { ips: ['10.0.0.1'] }, { actor: 'legacy', action: 'x', customerId: alice!.id, outcome: 'applied', offeringsBefore: 'not a list' as never }),
      ).rejects.toThrow();
      expect(await store.getChange(change.id)).toMatchObject({ status: 'pending' });
      expect(await store.findCustomer({ id: alice!.id })).toMatchObject({ ips: [] });
      expect(await store.listAudit()).toEqual(auditBefore);
    });
  });

  describe('cancelPending', () => {
    it('cancels the pending change, keeps it as cancelled and audits it', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!), legacyAudit());
      const cancelled = await store.cancelPending(alice!.id, { actor: 'legacy', action: 'pending.delete', outcome: 'cancelled' });
      expect(cancelled).toMatchObject({ id: change.id, status: 'cancelled' });
      expect(await store.listPending('main')).toEqual([]);
      expect(await store.listChanges({ statuses: ['cancelled'] })).toEqual([cancelled]);
      expect((await store.listAudit({ changeId: change.id })).map((a) => a.action)).toEqual(['scheduled_upgrade', 'pending.delete']);
    });

    it('answers undefined, writing nothing, when there is none', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      expect(await store.cancelPending(alice!.id, { actor: 'legacy', action: 'pending.delete', outcome: 'cancelled' })).toBeUndefined();
      expect(await store.listAudit()).toEqual([]);
    });

    it('cancels a failed change, and refuses one being applied', async () => {
      const { store, clock } = await open();
      const { alice, bob } = await seed(store);
      await store.schedule(changeFor(alice!, { effectiveAt: '2024-03-15T00:00:00.000Z' }), legacyAudit());
      await store.schedule(changeFor(bob!, { effectiveAt: '2024-03-15T00:00:00.000Z' }), legacyAudit());
      clock.set('2024-03-15T00:00:00.000Z');
      const claimed = await store.claimDue(clock.now(), 'worker', 60_000, 10);
      const aliceChange = claimed.find((c) => c.customerId === alice!.id)!;
      await store.finishChange(aliceChange.id, aliceChange.fence, { status: 'failed', reason: 'not activated' }, undefined, schedulerAudit(alice!.id, 'failed'));

      const audit = { actor: 'operator' as const, action: 'pending.delete', outcome: 'cancelled' };
      expect(await store.cancelPending(alice!.id, audit)).toMatchObject({ status: 'cancelled', lastError: 'not activated' });
      await expect(store.cancelPending(bob!.id, audit)).rejects.toBeInstanceOf(ChangeInFlightError);
      expect((await store.listPending('main')).map((c) => c.username)).toEqual(['bob']);
      expect(await store.getChange(aliceChange.id)).toMatchObject({ status: 'cancelled' });
      expect(await store.getChange(claimed.find((c) => c.customerId === bob!.id)!.id)).toMatchObject({ status: 'applying' });
    });
  });

  describe('listPending', () => {
    async function world() {
      const { store, clock } = await open();
      const customers = await seed(store);
      const { alice, bob, carol, dave } = customers;
      await store.schedule(changeFor(alice!, { effectiveAt: '2024-04-15T00:00:00.000Z' }), legacyAudit());
      await store.schedule(changeFor(bob!, { type: 'downgrade', targetPackage: 'Free Package', effectiveAt: '2024-04-01T00:00:00.000Z' }), legacyAudit());
      await store.schedule(changeFor(carol!, { type: 'close', targetPackage: 'Free Package', effectiveAt: '2024-03-12T00:00:00.000Z' }), legacyAudit());
      await store.schedule(changeFor(dave!, { effectiveAt: '2024-03-20T00:00:00.000Z' }), legacyAudit());
      return { store, clock, customers };
    }

    it("lists only the reseller's changes, by effective time", async () => {
      const { store } = await world();
      expect((await store.listPending('main')).map((c) => c.username)).toEqual(['carol', 'bob', 'alice']);
      expect((await store.listPending('other')).map((c) => c.username)).toEqual(['dave']);
      expect(await store.listPending('nobody')).toEqual([]);
    });

    it('filters by username and by type', async () => {
      const { store } = await world();
      expect((await store.listPending('main', { username: 'bob' })).map((c) => c.type)).toEqual(['downgrade']);
      expect((await store.listPending('main', { username: 'dave' }))).toEqual([]);
      expect((await store.listPending('main', { type: 'close' })).map((c) => c.username)).toEqual(['carol']);
      expect(await store.listPending('main', { username: 'alice', type: 'close' })).toEqual([]);
    });

    it('lists pending, applying and failed changes, and no finished ones', async () => {
      const { store, clock, customers } = await world();
      const { alice, bob, carol } = customers;
      expect(LISTED_STATUSES).toEqual(['pending', 'applying', 'failed']);
      clock.set('2024-04-01T00:00:00.000Z');
      const claimed = await store.claimDue(clock.now(), 'worker', 60_000, 10);
      expect(claimed.map((c) => c.username)).toEqual(['carol', 'dave', 'bob']);
      const [carolChange, , bobChange] = claimed;
      await store.finishChange(carolChange!.id, carolChange!.fence, { status: 'failed', reason: 'banned' }, undefined, schedulerAudit(carol!.id, 'failed'));
      await store.schedule(changeFor(alice!, { targetPackage: 'Gold Package', effectiveAt: '2024-04-15T00:00:00.000Z' }), legacyAudit());

      expect((await store.listPending('main')).map((c) => c.username)).toEqual(['carol', 'bob', 'alice']);
      expect((await store.listChanges({ statuses: [...LISTED_STATUSES] })).filter((c) => c.reseller === 'main').map((c) => [c.username, c.status])).toEqual([
        ['bob', 'applying'],
        ['carol', 'failed'],
        ['alice', 'pending'],
      ]);
      await store.finishChange(bobChange!.id, bobChange!.fence, { status: 'applied' }, {}, schedulerAudit(bob!.id, 'applied'));
      expect((await store.listPending('main')).map((c) => c.username)).toEqual(['carol', 'alice']);
      expect((await store.listChanges({ statuses: ['applied', 'superseded'] })).map((c) => [c.username, c.status])).toEqual([
        ['alice', 'superseded'],
        ['bob', 'applied'],
      ]);
    });

    // The timeout is for PostgreSQL: 10,000 transactions of a few round trips each.
    it('lists 10,000 changes of one reseller in order', async () => {
      const { store } = await open();
      const customers = Array.from({ length: 10_000 }, (_, i) => ({ reseller: 'big', username: `user${i}`, accountId: `acc-${i}` }));
      await store.importCustomers(customers);
      const records = await store.listCustomers({ reseller: 'big' });
      const scheduleOne = (i: number) => {
        const day = String((i % 28) + 1).padStart(2, '0');
        return store.schedule(changeFor(records[i]!, { effectiveAt: `2024-04-${day}T00:00:00.000Z` }), legacyAudit());
      };
      // A few at a time, as concurrent requests would (a server-backed store overlaps them).
      for (let first = 0; first < records.length; first += 24) {
        await Promise.all(Array.from({ length: Math.min(24, records.length - first) }, (_, j) => scheduleOne(first + j)));
      }
      const listed = await store.listPending('big');
      expect(listed).toHaveLength(10_000);
      // In effective date, then in the order scheduled (id): the listing carries neither id nor status.
      const scheduled = await store.listChanges({ statuses: ['pending'] });
      const inOrder = scheduled.sort((a, b) => a.effectiveAt.localeCompare(b.effectiveAt) || a.id - b.id).map((c) => c.username);
      expect(listed.map((c) => c.username)).toEqual(inOrder);
    }, 120_000);
  });
});
