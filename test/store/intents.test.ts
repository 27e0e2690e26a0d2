// Contract tests of the write intents (store.ts WriteIntent), against both stores: one unsettled
// intent per customer, completed with the change's record in one transaction, settled once, and
// while one is unsettled the customer's schedules and cancels wait.
import { describe, expect, it } from 'vitest';
import { WriteUnsettledError, type AuditInput, type CustomerRecord, type NewWriteIntent, type Store } from '../../src/store/store.js';
import { changeFor, legacyAudit, seed, STORES } from './helpers.js';

const BASIC = [{ name: 'org.basic', type: 'package' as const, quantity: 1 }];
const SILVER = [{ name: 'org.silver', type: 'package' as const, quantity: 1 }];
const SETTLE_AFTER = '2030-01-01T00:00:00.000Z';

function intentFor(customer: CustomerRecord, overrides: Partial<NewWriteIntent> = {}): NewWriteIntent {
  return {
    customerId: customer.id,
    source: 'immediate',
    actor: 'legacy',
    action: 'immediate_upgrade',
    requestId: 'req-1',
    changeId: null,
    offeringsBefore: BASIC,
    targetOfferings: SILVER,
    customerUpdate: { ips: ['10.0.0.1'] },
    settleAfter: SETTLE_AFTER,
    owner: 'host:1',
    ...overrides,
  };
}

const audit = (customer: CustomerRecord, outcome: string, detail?: string): AuditInput => ({
  actor: 'legacy',
  action: 'immediate_upgrade',
  customerId: customer.id,
  outcome,
  offeringsBefore: BASIC,
  offeringsAfter: SILVER,
  detail,
});

async function outcomes(store: Store, customerId: number) {
  return (await store.listAudit({ customerId })).map((a) => `${a.action}:${a.outcome}`);
}

describe.each(STORES)('$name store', ({ open }) => {
  describe('write intents', () => {
    it('opens one intent per customer, with the listed change it would supersede', async () => {
      const { store } = await open();
      const { alice, bob } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!), legacyAudit());
      const intent = await store.openIntent(intentFor(alice!));
      expect(intent).toMatchObject({
        customerId: alice!.id,
        status: 'open',
        supersededChangeId: change.id,
        offeringsBefore: BASIC,
        targetOfferings: SILVER,
        customerUpdate: { ips: ['10.0.0.1'] },
        settleAfter: SETTLE_AFTER,
        requestId: 'req-1',
        settledAt: null,
      });
      expect(await store.unsettledIntentOf(alice!.id)).toEqual(intent);
      expect(await store.latestIntentOf(alice!.id)).toEqual(intent);
      await expect(store.openIntent(intentFor(alice!))).rejects.toBeInstanceOf(WriteUnsettledError);
      // Another customer is not held back.
      expect((await store.openIntent(intentFor(bob!))).status).toBe('open');
    });

    it("a scheduled attempt's first look reads the change, its customer and the customer's latest intent together", async () => {
      const { store } = await open();
      const { alice, bob } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!), legacyAudit());
      const { change: bobs } = await store.schedule(changeFor(bob!), legacyAudit());
      expect(await store.getChangeForAttempt(change.id)).toEqual({ change: await store.getChange(change.id), customer: alice, latestIntent: undefined });
      const intent = await store.openIntent(intentFor(alice!, { source: 'scheduled', actor: 'scheduler', changeId: change.id }));
      const [found, other] = await Promise.all([store.getChangeForAttempt(change.id), store.getChangeForAttempt(bobs.id)]);
      expect(found).toEqual({ change: await store.getChange(change.id), customer: await store.findCustomer({ id: alice!.id }), latestIntent: intent });
      expect(other).toEqual({ change: bobs, customer: bob, latestIntent: undefined });
      expect(await store.getChangeForAttempt(bobs.id + 1_000)).toBeUndefined();
    });

    it('completes with the immediate record in one transaction: applied, change superseded, IPs and audit', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!), legacyAudit());
      const intent = await store.openIntent(intentFor(alice!));
      await store.recordImmediateChange(alice!.id, { ips: ['10.0.0.1'] }, audit(alice!, 'applied'), { id: intent.id, settleAfter: '2024-03-10T12:00:05.000Z' });
      const [settled] = await store.listIntents({ customerId: alice!.id });
      expect(settled).toMatchObject({ status: 'applied', settleAfter: '2024-03-10T12:00:05.000Z' });
      expect(settled!.settledAt).not.toBeNull();
      expect((await store.getChange(change.id))!.status).toBe('superseded');
      expect((await store.findCustomer({ id: alice!.id }))!.ips).toEqual(['10.0.0.1']);
      expect(await store.unsettledIntentOf(alice!.id)).toBeUndefined();
      // A completed intent cannot be completed again: the record is refused as a whole.
      await expect(store.recordImmediateChange(alice!.id, {}, audit(alice!, 'applied'), { id: intent.id, settleAfter: SETTLE_AFTER })).rejects.toThrow(
        /already settled/,
      );
      expect(await outcomes(store, alice!.id)).toEqual(['scheduled_upgrade:scheduled', 'immediate_upgrade:superseded', 'immediate_upgrade:applied']);
    });

    it('while unsettled, schedules and cancels of the customer are refused and change nothing', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      await store.schedule(changeFor(alice!), legacyAudit());
      const intent = await store.openIntent(intentFor(alice!));
      await expect(store.schedule(changeFor(alice!, { targetPackage: 'Gold Package' }), legacyAudit())).rejects.toBeInstanceOf(WriteUnsettledError);
      await expect(store.cancelPending(alice!.id, { actor: 'legacy', action: 'pending.delete', outcome: 'cancelled' })).rejects.toBeInstanceOf(
        WriteUnsettledError,
      );
      expect((await store.listPending('main', { username: 'alice' })).map((c) => c.targetPackage)).toEqual(['Silver Package']);
      expect(await store.markIntentUncertain(intent.id, '2024-03-10T12:01:00.000Z', audit(alice!, 'uncertain'))).toBe(true);
      expect((await store.unsettledIntentOf(alice!.id))!).toMatchObject({ status: 'uncertain', settleAfter: '2024-03-10T12:01:00.000Z' });
      await expect(store.cancelPending(alice!.id, { actor: 'legacy', action: 'pending.delete', outcome: 'cancelled' })).rejects.toBeInstanceOf(
        WriteUnsettledError,
      );
    });

    it('settled as applied: recorded as the success would have been, once', async () => {
      const { store, another } = await open();
      const { alice } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!), legacyAudit());
      const intent = await store.openIntent(intentFor(alice!));
      await store.markIntentUncertain(intent.id, '2024-03-10T12:01:00.000Z', audit(alice!, 'uncertain'));
      const second = await another();
      // Two settlers at once (two instances): exactly one settles.
      const results = await Promise.all([
        store.settleIntent(intent.id, { status: 'applied', audit: audit(alice!, 'applied', 'confirmed by read-back') }),
        second.settleIntent(intent.id, { status: 'applied', audit: audit(alice!, 'applied', 'confirmed by read-back') }),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.getChange(change.id))!.status).toBe('superseded');
      expect((await store.findCustomer({ id: alice!.id }))!.ips).toEqual(['10.0.0.1']);
      expect(await outcomes(store, alice!.id)).toEqual([
        'scheduled_upgrade:scheduled',
        'immediate_upgrade:uncertain',
        'immediate_upgrade:superseded',
        'immediate_upgrade:applied',
      ]);
      // Settled now: the customer may be scheduled again.
      expect((await store.schedule(changeFor(alice!, { targetPackage: 'Gold Package' }), legacyAudit())).outcome).toBe('created');
    });

    it('settled as abandoned: the pending change stays listed, nothing recorded but the audit', async () => {
      const { store } = await open();
      const { alice } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!), legacyAudit());
      const intent = await store.openIntent(intentFor(alice!));
      expect(await store.settleIntent(intent.id, { status: 'abandoned', audit: audit(alice!, 'abandoned'), settleAfter: '2024-03-10T12:00:00.000Z' })).toBe(true);
      expect(await store.settleIntent(intent.id, { status: 'applied', audit: audit(alice!, 'applied') })).toBe(false);
      expect((await store.getChange(change.id))!.status).toBe('pending');
      expect((await store.findCustomer({ id: alice!.id }))!.ips).toEqual([]);
      expect((await store.listIntents({ customerId: alice!.id }))[0]).toMatchObject({ status: 'abandoned', settleAfter: '2024-03-10T12:00:00.000Z' });
      expect(await outcomes(store, alice!.id)).toEqual(['scheduled_upgrade:scheduled', 'immediate_upgrade:abandoned']);
    });

    it('a scheduled write: completed by its change finish; a landed one left unfinished leaves the change alone', async () => {
      const { store, clock } = await open();
      const { alice, bob } = await seed(store);
      await store.schedule(changeFor(alice!), legacyAudit());
      await store.schedule(changeFor(bob!), legacyAudit());
      clock.set('2024-03-15T00:00:00.000Z');
      const [a, b] = await store.claimDue(clock.now(), 'w', 60_000, 10);
      const scheduled = (c: typeof a) =>
        intentFor(c!.customerId === alice!.id ? alice! : bob!, { source: 'scheduled', actor: 'scheduler', action: 'apply_upgrade', changeId: c!.id, customerUpdate: {} });
      const first = await store.openIntent(scheduled(a));
      expect(first.supersededChangeId).toBeNull();
      const finishAudit = { actor: 'scheduler' as const, action: 'apply_upgrade', customerId: a!.customerId, outcome: 'applied' };
      expect(await store.finishChange(a!.id, a!.fence, { status: 'applied' }, {}, finishAudit, { id: first.id, settleAfter: SETTLE_AFTER })).toBe(true);
      expect((await store.listIntents({ customerId: a!.customerId }))[0]!.status).toBe('applied');

      const second = await store.openIntent(scheduled(b));
      const landed = { ...finishAudit, customerId: b!.customerId, changeId: b!.id, outcome: 'landed' };
      expect(await store.settleIntent(second.id, { status: 'applied', audit: landed })).toBe(true);
      expect((await store.getChange(b!.id))!.status).toBe('applying');
    });

    it('a deferred change goes back to pending at its retry time without counting an attempt', async () => {
      const { store, clock } = await open();
      const { alice } = await seed(store);
      await store.schedule(changeFor(alice!), legacyAudit());
      clock.set('2024-03-15T00:00:00.000Z');
      const [claimed] = await store.claimDue(clock.now(), 'w', 60_000, 10);
      const deferred = { status: 'deferred' as const, reason: 'an earlier write may still land', retryAt: '2024-03-15T00:01:00.000Z' };
      expect(await store.finishChange(claimed!.id, claimed!.fence, deferred, undefined, { actor: 'scheduler', action: 'apply_upgrade', customerId: alice!.id, outcome: 'deferred' })).toBe(true);
      expect(await store.getChange(claimed!.id)).toMatchObject({ status: 'pending', attempts: 0, retryAt: '2024-03-15T00:01:00.000Z', leaseOwner: null });
      expect(await store.claimDue(clock.now(), 'w', 60_000, 10)).toEqual([]);
      clock.set('2024-03-15T00:01:00.000Z');
      expect((await store.claimDue(clock.now(), 'w', 60_000, 10)).map((c) => c.id)).toEqual([claimed!.id]);
    });

    it('lists the settleable ones by settle time; settled intents are final', async () => {
      const { store, raw } = await open();
      const { alice, bob, carol } = await seed(store);
      const late = await store.openIntent(intentFor(alice!, { settleAfter: '2024-03-10T12:05:00.000Z' }));
      const early = await store.openIntent(intentFor(bob!, { settleAfter: '2024-03-10T12:01:00.000Z' }));
      await store.openIntent(intentFor(carol!, { settleAfter: '2024-03-10T13:00:00.000Z' }));
      const ids = async (at: string) => (await store.settleableIntents(new Date(at), 10)).map((i) => i.id);
      expect(await ids('2024-03-10T12:00:00.000Z')).toEqual([]);
      expect(await ids('2024-03-10T12:10:00.000Z')).toEqual([early.id, late.id]);
      await store.settleIntent(early.id, { status: 'abandoned', audit: audit(bob!, 'abandoned') });
      expect(await ids('2024-03-10T12:10:00.000Z')).toEqual([late.id]);
      expect((await store.listIntents({ unsettled: true })).map((i) => i.customerId).sort()).toEqual([alice!.id, carol!.id].sort());
      await expect(raw.exec(`UPDATE write_intents SET status = 'open', settled_at = NULL WHERE id = ${early.id}`)).rejects.toThrow(/never changes again/);
      await expect(raw.exec(`DELETE FROM write_intents WHERE id = ${late.id}`)).rejects.toThrow(/kept for history/);
    });
  });
});
