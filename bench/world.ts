// A generated world for one benchmark: the demo mappings with N customers of the main
// reseller, each with a v3 account in the simulator seed. Customers alternate between
// Basic and Silver so every upgrade or downgrade is a real change upstream.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorSeed } from '../src/config/mappings-schema.js';
import { demoMappingsFolder } from './paths.js';

export const MAIN_RESELLER = {
  apiUser: 'your_sendgrid_username',
  password: 'your_sendgrid_password',
  v3Key: 'SG.demo-reseller-key',
} as const;
export const SECOND_RESELLER_V3_KEY = 'SG.demo-second-reseller-key';

/** The two packages customers move between, and the add-on every account keeps. */
export const LOWER = { name: 'Basic Package', offering: 'org.ei.basic.v1' } as const;
export const UPPER = { name: 'Silver Package', offering: 'org.ei.silver.v1' } as const;
export const KEPT_ADDON = 'org.mc.basic.v1';

export type BenchPackage = typeof LOWER | typeof UPPER;

export interface BenchCustomer {
  username: string;
  accountId: string;
  billingDay: number;
  /** The package the seed starts it on. */
  startsOn: BenchPackage;
}

export interface World {
  /** Temp folder holding everything of this benchmark. */
  root: string;
  mappings: string;
  db: string;
  /** What the floor forwarder needs to know (bench/floor.ts): account ids and package offerings. */
  floorWorld: string;
  customers: BenchCustomer[];
  remove(): void;
}

export function benchCustomers(count: number): BenchCustomer[] {
  return Array.from({ length: count }, (_, i) => ({
    username: `bench-${String(i).padStart(5, '0')}@example.com`,
    accountId: `sgbench${i.toString(16).padStart(25, '0')}`,
    // Billing days are in the mappings, so start-up never pages the v3 account list.
    billingDay: (i % 28) + 1,
    startsOn: i % 2 === 0 ? LOWER : UPPER,
  }));
}

export function createWorld(name: string, customerCount: number): World {
  const root = mkdtempSync(join(tmpdir(), `reseller-bridge-bench-${name}-`));
  const mappings = join(root, 'mappings');
  mkdirSync(mappings);
  for (const file of ['resellers.json', 'packages.json', 'directories.json'])
    copyFileSync(join(demoMappingsFolder, file), join(mappings, file));

  const customers = benchCustomers(customerCount);
  writeJson(join(mappings, 'customers.json'), {
    version: 1,
    customers: customers.map((c) => ({
      username: c.username,
      account_id: c.accountId,
      reseller: MAIN_RESELLER.apiUser,
      billing_day: c.billingDay,
    })),
  });

  const demoSeed = JSON.parse(readFileSync(join(demoMappingsFolder, 'simulator.json'), 'utf8')) as SimulatorSeed;
  const seed: SimulatorSeed = {
    version: 1,
    resellers: demoSeed.resellers,
    catalog: demoSeed.catalog,
    accounts: customers.map((c) => ({
      id: c.accountId,
      reseller: MAIN_RESELLER.apiUser,
      email: c.username,
      created_at: '2020-01-01T00:00:00Z',
      state: 'activated',
      offerings: [
        { name: c.startsOn.offering, type: 'package', quantity: 1 },
        { name: KEPT_ADDON, type: 'addon', quantity: 1 },
      ],
    })),
  };
  writeJson(join(mappings, 'simulator.json'), seed);
  const floorWorld = join(root, 'floor.json');
  writeJson(floorWorld, {
    accounts: Object.fromEntries(customers.map((c) => [c.username, c.accountId])),
    packages: Object.fromEntries([LOWER, UPPER].map((p) => [p.name, p.offering])),
  });

  return {
    root,
    mappings,
    db: join(root, 'bridge.db'),
    floorWorld,
    customers,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 1)}\n`);
}
