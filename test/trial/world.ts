// The trial's world: the demo mappings plus generated customers of both resellers (some of
// them businesses of the demo directory, so the directory endpoint reaches them), each a
// simulator account on Silver with the marketing add-on; and a few scheduled changes already
// due, written into the store as `reseller.pending` would have, so the bridge's own scheduler
// passes are at work when the bridge is killed.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/store/open.js';
import type { ChangeType } from '../../src/store/store.js';
import { demoMappings } from '../helpers/bridge.js';

export const MAIN_RESELLER = 'your_sendgrid_username';
export const SECOND_RESELLER = 'second_reseller';
/** The v3 keys double as legacy credentials (`Authorization: Bearer`): no scrypt per request. */
export const KEYS: Record<string, string> = { [MAIN_RESELLER]: 'SG.demo-reseller-key', [SECOND_RESELLER]: 'SG.demo-second-reseller-key' };
export const KEY_ENV = { SENDGRID_API_KEY: KEYS[MAIN_RESELLER]!, SECOND_RESELLER_API_KEY: KEYS[SECOND_RESELLER]! };
/** The demo directory's token (its HMAC is in mappings/directories.json). */
export const DIRECTORY_TOKEN = 'aaaabbbbccccddddeeeeffff11112222';

export interface TrialCustomer {
  username: string;
  reseller: string;
  accountId: string;
  /** Set when the demo directory reaches it. */
  businessUid?: string;
}

/** Legacy package names, their v3 offering and rank (mappings/packages.json). */
export const PACKAGES = {
  'Free Package': { offering: 'org.ei.free.v1', rank: 0 },
  'Basic Package': { offering: 'org.ei.basic.v1', rank: 10 },
  'Business 20': { offering: 'org.ei.business20.v1', rank: 15 },
  'Silver Package': { offering: 'org.ei.silver.v1', rank: 20 },
  'Platinum 20': { offering: 'org.ei.platinum20.v1', rank: 25 },
  'Gold Package': { offering: 'org.ei.gold.v1', rank: 30 },
} as const;
export type PackageName = keyof typeof PACKAGES;
/** The directory's `package_name`s (mappings/directories.json). */
export const DIRECTORY_PACKAGES: Record<string, PackageName> = { business20: 'Business 20', platinum20: 'Platinum 20' };
export const GOLD_IPS: Record<string, string[]> = { [MAIN_RESELLER]: ['255.255.255.0', '255.255.254.0'], [SECOND_RESELLER]: ['10.0.0.1'] };

/** The demo customers a legacy call can name (a business without a username cannot be). */
const DEMO_CUSTOMERS: TrialCustomer[] = [
  { username: 'customer@example.com', reseller: MAIN_RESELLER, accountId: 'sg7c1f4b2a9d3e4f5a6b7c8d9e0f1a2b3c' },
  { username: 'user4', reseller: MAIN_RESELLER, accountId: 'sg4d2e6f8a0b1c3d5e7f9a1b3c5d7e9f04' },
  { username: 'user5', reseller: MAIN_RESELLER, accountId: 'sg5e3f7a9b1c2d4e6f8a0b2c4d6e8f0a05' },
  {
    username: 'owner@88pzdbz1hmkdoel4.example',
    reseller: MAIN_RESELLER,
    accountId: 'sg88a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5',
    businessUid: '88pzdbz1hmkdoel4',
  },
  { username: 'customer@second.example', reseller: SECOND_RESELLER, accountId: 'sg2b9c8d7e6f5a4b3c2d1e0f9a8b7c6d52' },
];

const GENERATED = 8;
function generated(i: number): TrialCustomer {
  const reseller = i % 4 === 3 ? SECOND_RESELLER : MAIN_RESELLER;
  const n = String(i).padStart(2, '0');
  return {
    username: `trial-${n}@example.test`,
    reseller,
    accountId: `sgtr1a1${n.padStart(26, '0')}`,
    ...(reseller === MAIN_RESELLER && i % 2 === 0 ? { businessUid: `trialbiz${n}` } : {}),
  };
}

export const TRIAL_CUSTOMERS: TrialCustomer[] = [...DEMO_CUSTOMERS, ...Array.from({ length: GENERATED }, (_, i) => generated(i))];

/** The generated customers whose scheduled change is already due when a run starts. */
export const DUE_CHANGES: { username: string; reseller: string; type: ChangeType; targetPackage: PackageName }[] = TRIAL_CUSTOMERS.filter(
  (c) => c.username.startsWith('trial-'),
).flatMap((c, i) =>
  i % 2 === 0 ? [{ username: c.username, reseller: c.reseller, type: (i % 4 === 0 ? 'downgrade' : 'upgrade') as ChangeType, targetPackage: (i % 4 === 0 ? 'Basic Package' : 'Platinum 20') as PackageName }] : [],
);

/** Copies the demo mappings into `folder` with the generated customers and their accounts. */
export function writeTrialMappings(folder: string): void {
  cpSync(demoMappings, folder, { recursive: true });
  const extra = TRIAL_CUSTOMERS.filter((c) => c.username.startsWith('trial-'));
  const customersFile = join(folder, 'customers.json');
  const customers = JSON.parse(readFileSync(customersFile, 'utf8')) as { customers: object[] };
  customers.customers.push(
    ...extra.map((c) => ({ username: c.username, ...(c.businessUid ? { business_uid: c.businessUid } : {}), account_id: c.accountId, reseller: c.reseller })),
  );
  writeFileSync(customersFile, JSON.stringify(customers, null, 1));
  const seedFile = join(folder, 'simulator.json');
  const seed = JSON.parse(readFileSync(seedFile, 'utf8')) as { accounts: object[] };
  seed.accounts.push(
    ...extra.map((c, i) => ({
      id: c.accountId,
      reseller: c.reseller,
      email: c.username,
      created_at: `2019-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`,
      offerings: [
        { name: PACKAGES['Silver Package'].offering, type: 'package', quantity: 1 },
        { name: 'org.mc.basic.v1', type: 'addon', quantity: 1 },
      ],
    })),
  );
  writeFileSync(seedFile, JSON.stringify(seed, null, 1));
}

/** A store for a run: a SQLite file, or a PostgreSQL schema of its own. */
export type StoreTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export const storeEnv = (target: StoreTarget): Record<string, string> =>
  target.kind === 'sqlite' ? { BRIDGE_DB: target.path } : { DATABASE_URL: target.url };

export const openTarget = (target: StoreTarget) =>
  openStore(target.kind === 'sqlite' ? { sqlitePath: target.path } : { databaseUrl: target.url });

/** Imports the mappings' customers and writes DUE_CHANGES (effective in 2020) into a new store. */
export async function seedStore(target: StoreTarget, mappingsFolder: string): Promise<void> {
  const { customers } = JSON.parse(readFileSync(join(mappingsFolder, 'customers.json'), 'utf8')) as {
    customers: { username?: string; business_uid?: string; account_id: string; reseller: string }[];
  };
  const store = await openTarget(target);
  try {
    await store.importCustomers(customers.map((c) => ({ reseller: c.reseller, username: c.username, businessUid: c.business_uid, accountId: c.account_id })));
    for (const due of DUE_CHANGES) {
      const customer = (await store.findCustomer({ reseller: due.reseller, username: due.username }))!;
      await store.schedule(
        {
          customerId: customer.id,
          accountId: customer.accountId,
          type: due.type,
          currentPackage: 'Silver Package',
          targetPackage: due.targetPackage,
          ips: [],
          ipGroups: [],
          effectiveAt: '2020-01-01T00:00:00.000Z',
        },
        { actor: 'legacy', action: `scheduled_${due.type}`, outcome: 'scheduled' },
      );
    }
  } finally {
    await store.close();
  }
}
