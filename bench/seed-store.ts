// Fills a bridge database directly through the store, as `scheduled_*` requests would
// have: the customers of the world, each with one pending change.
import type { ChangeType, NewPendingChange } from '../src/store/store.js';
import { openStore, type StoreOptions } from '../src/store/open.js';
import { LOWER, MAIN_RESELLER, UPPER, type BenchCustomer } from './world.js';

/** Every third change also names the reseller's IP group, so list entries are not all alike. */
const IP_GROUP = 'Reseller Group';

/** `target`: a SQLite file, or the options of any store. */
export async function seedPendingChanges(target: string | StoreOptions, customers: readonly BenchCustomer[], effectiveAt: (c: BenchCustomer) => Date): Promise<void> {
  const store = await openStore(typeof target === 'string' ? { sqlitePath: target } : target);
  try {
    await store.importCustomers(
      customers.map((c) => ({ reseller: MAIN_RESELLER.apiUser, username: c.username, accountId: c.accountId, billingDay: c.billingDay })),
    );
    const ids = new Map((await store.listCustomers({ reseller: MAIN_RESELLER.apiUser })).map((r) => [r.username, r.id]));
    for (const [i, customer] of customers.entries()) {
      // The move a reseller would schedule: Basic customers up to Silver, Silver ones down to Basic.
      const type: ChangeType = customer.startsOn.offering === LOWER.offering ? 'upgrade' : 'downgrade';
      const change: NewPendingChange = {
        customerId: ids.get(customer.username)!,
        accountId: customer.accountId,
        type,
        currentPackage: customer.startsOn.name,
        targetPackage: (customer.startsOn.offering === LOWER.offering ? UPPER : LOWER).name,
        ips: [],
        ipGroups: i % 3 === 0 ? [IP_GROUP] : [],
        effectiveAt: effectiveAt(customer).toISOString(),
      };
      await store.schedule(change, { actor: 'legacy', action: `scheduled_${type}`, outcome: 'scheduled' });
    }
  } finally {
    await store.close();
  }
}
