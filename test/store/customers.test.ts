import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { changeFor, legacyAudit, openTemp, seed, STORES, WORLD } from './helpers.js';

describe.each(STORES)('$name store', ({ open }) => {
  describe('importCustomers', () => {
    it('is idempotent: the same import twice gives the same customers', async () => {
      const { store } = await open();
      const first = await seed(store);
      await store.importCustomers(WORLD);
      expect(await store.listCustomers()).toEqual(Object.values(first).sort((a, b) => a.id - b.id));
      expect(first.alice).toMatchObject({
        reseller: 'main',
        username: 'alice',
        businessUid: null,
        accountId: 'acc-alice',
        billingDay: 15,
        ips: [],
        ipGroups: [],
        tags: [],
        subscriptionParams: [],
        active: true,
      });
    });

    it('updates the account id and keeps the stored billing day when the import gives none', async () => {
      const { store } = await open();
      const before = await seed(store);
      await store.setBillingDay(before.carol!.id, 7);
      await store.importCustomers(WORLD.map((c) => (c.username === 'alice' ? { ...c, accountId: 'acc-alice-2', billingDay: 3 } : c)));
      expect(await store.findCustomer({ id: before.alice!.id })).toMatchObject({ accountId: 'acc-alice-2', billingDay: 3 });
      expect(await store.findCustomer({ id: before.carol!.id })).toMatchObject({ billingDay: 7 });
    });

    it('forgets a billing day derived from an account that changed, so it is resolved again', async () => {
      const { store } = await open();
      const before = await seed(store);
      await store.setBillingDay(before.carol!.id, 7);
      await store.importCustomers(WORLD.map((c) => (c.username === 'carol' ? { ...c, accountId: 'acc-carol-2' } : c)));
      expect(await store.findCustomer({ id: before.carol!.id })).toMatchObject({ accountId: 'acc-carol-2', billingDay: null });
    });

    it('lists only the customers whose billing day is still missing, when asked', async () => {
      const { store } = await open();
      await seed(store);
      const missing = (await store.listCustomers()).filter((c) => c.billingDay === null);
      expect(missing.length).toBeGreaterThan(0);
      expect(await store.listCustomers({ withoutBillingDay: true })).toEqual(missing);
      await store.setBillingDay(missing[0]!.id, 9);
      expect(await store.listCustomers({ active: true, withoutBillingDay: true })).toEqual(missing.slice(1).filter((c) => c.active));
    });

    it('marks customers missing from the import inactive, never deletes them, and reactivates returning ones', async () => {
      const { store } = await open();
      const before = await seed(store);
      await store.importCustomers(WORLD.filter((c) => c.username !== 'bob'));
      expect(await store.findCustomer({ reseller: 'main', username: 'bob' })).toMatchObject({ id: before.bob!.id, active: false });
      expect(await store.listCustomers({ active: true })).toHaveLength(4);
      expect(await store.listCustomers({ reseller: 'main', active: false })).toHaveLength(1);

      await store.importCustomers(WORLD);
      expect(await store.findCustomer({ id: before.bob!.id })).toMatchObject({ active: true });
      expect(await store.listCustomers()).toHaveLength(5);
    });

    it('matches by business uid and adds an identifier the import brings', async () => {
      const { store } = await open();
      const before = await seed(store);
      await store.importCustomers([...WORLD, { reseller: 'main', username: 'biz-user', businessUid: 'biz-1', accountId: 'acc-biz-1' }]);
      const found = await store.findCustomer({ businessUid: 'biz-1' });
      expect(found).toMatchObject({ id: before['biz-1']!.id, username: 'biz-user' });
      expect(await store.findCustomer({ reseller: 'main', username: 'biz-user' })).toEqual(found);
    });

    it('refuses, whole, an entry whose username and business uid name two customers', async () => {
      const { store } = await open();
      await seed(store);
      const before = await store.listCustomers();
      await expect(
        store.importCustomers([{ reseller: 'main', username: 'newcomer', accountId: 'acc-new' }, { reseller: 'main', username: 'alice', businessUid: 'biz-1', accountId: 'x' }]),
      ).rejects.toThrow(/customers \d+ and \d+/);
      expect(await store.listCustomers()).toEqual(before);
    });

    it('refuses an entry with no identifier or an impossible billing day', async () => {
      const { store } = await open();
      await expect(store.importCustomers([{ reseller: 'main', accountId: 'acc' }])).rejects.toThrow(/neither a username nor a business uid/);
      await expect(store.importCustomers([{ reseller: 'main', username: 'x', accountId: 'acc', billingDay: 32 }])).rejects.toThrow(/1-31/);
    });
  });

  describe('customer lookups and updates', () => {
    it('finds a customer by username only within its reseller', async () => {
      const { store } = await open();
      await seed(store);
      expect(await store.findCustomer({ reseller: 'main', username: 'dave' })).toBeUndefined();
      expect(await store.findCustomer({ reseller: 'other', username: 'dave' })).toMatchObject({ accountId: 'acc-dave' });
      expect(await store.findCustomer({ id: 9999 })).toBeUndefined();
    });

    it('setBillingDay refuses a day outside 1-31 and an unknown customer', async () => {
      const { store } = await open();
      const world = await seed(store);
      await expect(store.setBillingDay(world.alice!.id, 0)).rejects.toThrow(RangeError);
      await expect(store.setBillingDay(9999, 5)).rejects.toThrow(/unknown customer/);
    });

    it('updateCustomer changes only the given fields and audits in the same transaction', async () => {
      const { store } = await open();
      const world = await seed(store);
      const id = world['biz-1']!.id;
      await store.updateCustomer(id, { tags: ['a', 'b'], subscriptionParams: [['plan', 'x']] }, {
        actor: 'directory',
        action: 'change_package',
        customerId: id,
        outcome: 'noop',
      });
      expect(await store.findCustomer({ id })).toMatchObject({ tags: ['a', 'b'], subscriptionParams: [['plan', 'x']], ips: [] });
      expect(await store.listAudit({ customerId: id })).toEqual([
        expect.objectContaining({ actor: 'directory', action: 'change_package', outcome: 'noop', at: '2024-03-10T12:00:00.000Z' }),
      ]);
      await expect(store.updateCustomer(9999, { tags: [] }, { actor: 'directory', action: 'x', customerId: 9999, outcome: 'noop' })).rejects.toThrow();
    });
  });

  describe('ipHolders', () => {
    it('names the active customers of the reseller holding any of the IPs, except the asking one', async () => {
      const { store } = await open();
      const world = await seed(store);
      const audit = (customerId: number) => ({ actor: 'legacy' as const, action: 'immediate_upgrade', customerId, outcome: 'applied' });
      await store.recordImmediateChange(world.alice!.id, { ips: ['10.0.0.1', '10.0.0.2'] }, audit(world.alice!.id));
      await store.recordImmediateChange(world.bob!.id, { ips: ['10.0.0.3'] }, audit(world.bob!.id));
      await store.recordImmediateChange(world.dave!.id, { ips: ['10.0.0.4'] }, audit(world.dave!.id));

      const holders = await store.ipHolders('main', ['10.0.0.1', '10.0.0.3', '10.0.0.4', '10.0.0.9'], world.carol!.id);
      expect(holders).toEqual(new Map([['10.0.0.1', world.alice!.id], ['10.0.0.3', world.bob!.id]]));
      expect(await store.ipHolders('main', ['10.0.0.1', '10.0.0.2'], world.alice!.id)).toEqual(new Map());
      expect(await store.ipHolders('main', [], world.carol!.id)).toEqual(new Map());

      // An inactive customer's IPs are free again.
      await store.importCustomers(WORLD.filter((c) => c.username !== 'bob'));
      expect(await store.ipHolders('main', ['10.0.0.3'], world.carol!.id)).toEqual(new Map());
    });

    it('counts the IPs another customer’s pending change asks for, until it is cancelled', async () => {
      const { store } = await open();
      const world = await seed(store);
      await store.schedule(changeFor(world.alice!, { ips: ['10.0.0.7'] }), legacyAudit());
      expect(await store.ipHolders('main', ['10.0.0.7'], world.carol!.id)).toEqual(new Map([['10.0.0.7', world.alice!.id]]));
      expect(await store.ipHolders('main', ['10.0.0.7'], world.alice!.id)).toEqual(new Map()); // its own
      await store.cancelPending(world.alice!.id, legacyAudit('pending.delete'));
      expect(await store.ipHolders('main', ['10.0.0.7'], world.carol!.id)).toEqual(new Map());
    });
  });
});

describe('SQLite importCustomers rewrites only what it changes', () => {
  const updatedAt = (path: string) => {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return Object.fromEntries(db.prepare('SELECT id, updated_at FROM customers ORDER BY id').all().map((r) => [r.id, r.updated_at]));
    } finally {
      db.close();
    }
  };

  it('leaves the rows of an unchanged import as they were, and rewrites a changed or returning customer', async () => {
    const { store, path, clock } = openTemp();
    const first = await seed(store);
    const seeded = updatedAt(path);
    clock.advance(60_000);
    await store.importCustomers(WORLD);
    expect(updatedAt(path)).toEqual(seeded);

    await store.importCustomers(WORLD.filter((c) => c.username !== 'bob'));
    clock.advance(60_000);
    await store.importCustomers(WORLD.map((c) => (c.username === 'alice' ? { ...c, billingDay: 3 } : c)));
    const after = updatedAt(path);
    const rewritten = Object.keys(after).filter((id) => after[id] !== seeded[id]).map(Number).sort((a, b) => a - b);
    expect(rewritten).toEqual([first.alice!.id, first.bob!.id].sort((a, b) => a - b));
    expect(await store.findCustomer({ id: first.alice!.id })).toMatchObject({ billingDay: 3, active: true });
    expect(await store.findCustomer({ id: first.bob!.id })).toMatchObject({ active: true });
  });
});
