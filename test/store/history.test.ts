import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { changeFor, legacyAudit, openTemp, schedulerAudit, seed, WORLD } from './helpers.js';

function counts(path: string) {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const count = (table: string) => Number(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()!.n);
    return { customers: count('customers'), changes: count('pending_changes'), audit: count('audit_log') };
  } finally {
    db.close();
  }
}

describe('history', () => {
  it('only grows: every operation keeps the rows it found', async () => {
    const { store, path, clock } = openTemp();
    const world = await seed(store);
    let last = counts(path);
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
      const now = counts(path);
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
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    const { change } = await store.schedule(changeFor(alice!), legacyAudit());
    await store.cancelPending(alice!.id, { actor: 'legacy', action: 'pending.delete', outcome: 'cancelled' });
    await store.close();

    const db = new DatabaseSync(path);
    try {
      expect(() => db.exec('DELETE FROM pending_changes')).toThrow(/kept for history/);
      expect(() => db.exec('DELETE FROM customers')).toThrow(/kept for history/);
      expect(() => db.exec('DELETE FROM audit_log')).toThrow(/append-only/);
      expect(() => db.exec("UPDATE audit_log SET outcome = 'other'")).toThrow(/append-only/);
      expect(() => db.exec(`UPDATE pending_changes SET status = 'pending' WHERE id = ${change.id}`)).toThrow(/never changes again/);
      expect(() => db.exec(`UPDATE pending_changes SET effective_at = '2024-03-16T00:00:00.000Z' WHERE id = ${change.id}`)).toThrow(/never changes again/);
    } finally {
      db.close();
    }
  });

  it('refuses a second listed change for one customer', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    await store.schedule(changeFor(alice!), legacyAudit());
    await store.close();
    const db = new DatabaseSync(path);
    try {
      expect(() =>
        db.exec(`INSERT INTO pending_changes (customer_id, reseller, username, account_id, type, current_package, target_package,
          ips, ip_groups, effective_at, status, created_at, updated_at)
          SELECT customer_id, reseller, username, account_id, type, current_package, target_package,
          ips, ip_groups, effective_at, 'failed', created_at, updated_at FROM pending_changes`),
      ).toThrow(/UNIQUE/);
    } finally {
      db.close();
    }
  });
});
