import { describe, expect, it } from 'vitest';
import { changeFor, legacyAudit, schedulerAudit, seed, STORES, WORLD, type RawSql } from './helpers.js';

async function counts(raw: RawSql) {
  return { customers: await raw.count('customers'), changes: await raw.count('pending_changes'), audit: await raw.count('audit_log') };
}

describe.each(STORES)('$name store', ({ open }) => {
  describe('history', () => {
    it('only grows: every operation keeps the rows it found', async () => {
      const { store, raw, clock } = await open();
      const world = await seed(store);
      let last = await counts(raw);
      // Each step, and whether it writes an audit record (an import does not).
      const steps: [() => Promise<unknown>, boolean][] = [
        [() => store.schedule(changeFor(world.alice!), legacyAudit()), true],
        [() => store.schedule(changeFor(world.alice!, { targetPackage: 'Gold Package' }), legacyAudit()), true],
        [() => store.schedule(changeFor(world.bob!), legacyAudit()), true],
        [() => store.cancelPending(world.bob!.id, { actor: 'legacy', action: 'pending.delete', outcome: 'cancelled' }), true],
        [() => store.schedule(changeFor(world.carol!), legacyAudit()), true],
        [
          async () => {
            clock.set('2024-03-15T00:00:00.000Z');
            for (const c of await store.claimDue(clock.now(), 'w', 60_000, 10)) {
              await store.finishChange(c.id, c.fence, { status: 'applied' }, {}, schedulerAudit(c.customerId, 'applied'));
            }
          },
          true,
        ],
        [
          () => store.recordImmediateChange(world.alice!.id, {}, { actor: 'legacy', action: 'immediate_close', customerId: world.alice!.id, outcome: 'applied' }),
          true,
        ],
        [() => store.importCustomers(WORLD.slice(0, 1)), false],
      ];
      for (const [step, audits] of steps) {
        await step();
        const now = await counts(raw);
        expect(now.customers).toBeGreaterThanOrEqual(last.customers);
        expect(now.changes).toBeGreaterThanOrEqual(last.changes);
        expect(now.audit).toBeGreaterThanOrEqual(last.audit + (audits ? 1 : 0));
        last = now;
      }
      expect(last).toMatchObject({ customers: 5, changes: 4 });
      expect((await store.listChanges({ statuses: ['applied', 'cancelled', 'superseded', 'pending', 'applying', 'failed'] })).map((c) => c.status)).toEqual([
        'superseded',
        'applied',
        'cancelled',
        'applied',
      ]);
    });

    it('is protected by the schema itself: no delete, no rewrite of the audit, no change to a finished change', async () => {
      const { store, raw } = await open();
      const { alice } = await seed(store);
      const { change } = await store.schedule(changeFor(alice!), legacyAudit());
      await store.cancelPending(alice!.id, { actor: 'legacy', action: 'pending.delete', outcome: 'cancelled' });

      await expect(raw.exec('DELETE FROM pending_changes')).rejects.toThrow(/kept for history/);
      await expect(raw.exec('DELETE FROM customers')).rejects.toThrow(/kept for history/);
      await expect(raw.exec('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      await expect(raw.exec("UPDATE audit_log SET outcome = 'other'")).rejects.toThrow(/append-only/);
      await expect(raw.exec(`UPDATE pending_changes SET status = 'pending' WHERE id = ${change.id}`)).rejects.toThrow(/never changes again/);
      await expect(raw.exec(`UPDATE pending_changes SET effective_at = '2024-03-16T00:00:00.000Z' WHERE id = ${change.id}`)).rejects.toThrow(
        /never changes again/,
      );
      expect(await counts(raw)).toEqual({ customers: 5, changes: 1, audit: 2 });
    });

    it('refuses a second listed change for one customer', async () => {
      const { store, raw } = await open();
      const { alice } = await seed(store);
      await store.schedule(changeFor(alice!), legacyAudit());
      await expect(
        raw.exec(`INSERT INTO pending_changes (customer_id, reseller, username, account_id, type, current_package, target_package,
          ips, ip_groups, effective_at, status, created_at, updated_at)
          SELECT customer_id, reseller, username, account_id, type, current_package, target_package,
          ips, ip_groups, effective_at, 'failed', created_at, updated_at FROM pending_changes`),
      ).rejects.toThrow(/UNIQUE|unique constraint "pending_changes_one_listed_per_customer"/);
    });

    it('refuses an audit record about an unknown customer', async () => {
      const { store } = await open();
      await expect(store.appendAudit({ actor: 'operator', action: 'note', customerId: 9999, outcome: 'noted' })).rejects.toThrow(/FOREIGN KEY|foreign key/);
    });
  });

  describe('durability', () => {
    it('keeps customers, changes and the audit log for the next store opened on the same data', async () => {
      const { store, another } = await open();
      const world = await seed(store);
      const { change } = await store.schedule(changeFor(world.alice!), legacyAudit());
      await store.close();

      const again = await another();
      expect(await again.listCustomers()).toEqual(Object.values(world).sort((a, b) => a.id - b.id));
      expect(await again.getChange(change.id)).toEqual(change);
      expect(await again.listAudit({ changeId: change.id })).toHaveLength(1);
    });
  });
});
