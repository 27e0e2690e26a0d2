// A demo world with more customers for the crash tests: the demo mappings plus generated
// customers (of both resellers), each a simulator account on Silver with a marketing add-on,
// and one due scheduled change per generated customer written straight into the store.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { ChangeType } from '../../src/store/store.js';
import { demoMappings } from '../helpers/bridge.js';

export const MAIN_RESELLER = 'your_sendgrid_username';
export const SECOND_RESELLER = 'second_reseller';

export interface GeneratedChange {
  username: string;
  reseller: string;
  accountId: string;
  type: ChangeType;
  targetPackage: string;
  ipGroups: string[];
  /** The account's offerings once the change is applied, as sorted `name:quantity`. */
  expectedOfferings: string[];
}

const SILVER = { name: 'org.ei.silver.v1', type: 'package', quantity: 1 };
const MARKETING = { name: 'org.mc.basic.v1', type: 'addon', quantity: 1 };

/** Cycles through downgrade, close and upgrade, over both resellers. */
export function generatedChanges(count: number): GeneratedChange[] {
  return Array.from({ length: count }, (_, i) => {
    const reseller = i % 5 === 4 ? SECOND_RESELLER : MAIN_RESELLER;
    const group = reseller === MAIN_RESELLER ? 'Reseller Group' : 'Second Group';
    const common = {
      username: `crash-${String(i).padStart(3, '0')}@example.test`,
      reseller,
      accountId: `sgc7a5e${String(i).padStart(26, '0')}`,
      ipGroups: i % 2 === 0 ? [group] : [],
    };
    switch (i % 3) {
      case 0:
        return { ...common, type: 'downgrade', targetPackage: 'Basic Package', expectedOfferings: ['org.ei.basic.v1:1', 'org.mc.basic.v1:1'] };
      case 1:
        return { ...common, type: 'close', targetPackage: 'Free Package', expectedOfferings: ['org.ei.free.v1:1', 'org.mc.basic.v1:1'] };
      default:
        return { ...common, type: 'upgrade', targetPackage: 'Platinum 20', expectedOfferings: ['org.ei.platinum20.v1:1', 'org.mc.basic.v1:1'] };
    }
  });
}

/** Copies the demo mappings into `folder` and adds the generated customers and their accounts. */
export function writeCrashMappings(folder: string, changes: GeneratedChange[]): void {
  cpSync(demoMappings, folder, { recursive: true });
  const customersFile = join(folder, 'customers.json');
  const customers = JSON.parse(readFileSync(customersFile, 'utf8')) as { customers: object[] };
  customers.customers.push(...changes.map((c) => ({ username: c.username, account_id: c.accountId, reseller: c.reseller })));
  writeFileSync(customersFile, JSON.stringify(customers, null, 1));

  const seedFile = join(folder, 'simulator.json');
  const seed = JSON.parse(readFileSync(seedFile, 'utf8')) as { accounts: object[] };
  seed.accounts.push(
    ...changes.map((c, i) => ({
      id: c.accountId,
      reseller: c.reseller,
      email: c.username,
      created_at: `2019-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`,
      offerings: [SILVER, MARKETING],
    })),
  );
  writeFileSync(seedFile, JSON.stringify(seed, null, 1));
}

/**
 * Writes the customers and one change each, effective in the past (already due), into a new
 * store file, the way `reseller.pending` would have stored them.
 */
export async function writeDueChanges(dbPath: string, mappingsFolder: string, changes: GeneratedChange[]): Promise<Map<string, number>> {
  const { customers } = JSON.parse(readFileSync(join(mappingsFolder, 'customers.json'), 'utf8')) as {
    customers: { username?: string; business_uid?: string; account_id: string; reseller: string }[];
  };
  const store = SqliteStore.open(dbPath);
  try {
    await store.importCustomers(
      customers.map((c) => ({ reseller: c.reseller, username: c.username, businessUid: c.business_uid, accountId: c.account_id })),
    );
    const ids = new Map<string, number>();
    for (const change of changes) {
      const customer = await store.findCustomer({ reseller: change.reseller, username: change.username });
      const { change: stored } = await store.schedule(
        {
          customerId: customer!.id,
          accountId: change.accountId,
          type: change.type,
          currentPackage: 'Silver Package',
          targetPackage: change.targetPackage,
          ips: [],
          ipGroups: change.ipGroups,
          effectiveAt: '2020-01-01T00:00:00.000Z',
        },
        { actor: 'legacy', action: `scheduled_${change.type}`, outcome: 'scheduled' },
      );
      ids.set(change.username, stored.id);
    }
    return ids;
  } finally {
    await store.close();
  }
}
