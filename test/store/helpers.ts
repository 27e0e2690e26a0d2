// Shared fixtures for the store tests: a temp folder per test, a clock the test moves,
// and a small world of customers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { AuditInput, CustomerRecord, NewPendingChange } from '../../src/store/store.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-store-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestClock {
  now: () => Date;
  set(iso: string): void;
  advance(ms: number): void;
}

export function testClock(start = '2024-03-10T12:00:00.000Z'): TestClock {
  let time = Date.parse(start);
  return {
    now: () => new Date(time),
    set: (iso) => {
      time = Date.parse(iso);
    },
    advance: (ms) => {
      time += ms;
    },
  };
}

/** Opens a store on a file in a fresh temp folder; closed after the test. */
export function openTemp(clock: TestClock = testClock(), path = join(tempDir(), 'data', 'bridge.db')) {
  const store = SqliteStore.open(path, { now: clock.now });
  cleanups.push(() => store.close());
  return { store, path, clock };
}

export function reopen(path: string, clock: TestClock = testClock()): SqliteStore {
  const store = SqliteStore.open(path, { now: clock.now });
  cleanups.push(() => store.close());
  return store;
}

export const WORLD = [
  { reseller: 'main', username: 'alice', accountId: 'acc-alice', billingDay: 15 },
  { reseller: 'main', username: 'bob', accountId: 'acc-bob', billingDay: 1 },
  { reseller: 'main', username: 'carol', accountId: 'acc-carol' },
  { reseller: 'other', username: 'dave', accountId: 'acc-dave', billingDay: 20 },
  { reseller: 'main', businessUid: 'biz-1', accountId: 'acc-biz-1' },
];

/** Imports WORLD and returns the customers by username (or business uid). */
export async function seed(store: SqliteStore): Promise<Record<string, CustomerRecord>> {
  await store.importCustomers(WORLD);
  const customers = await store.listCustomers();
  return Object.fromEntries(customers.map((c) => [c.username ?? c.businessUid ?? '', c]));
}

export function changeFor(customer: CustomerRecord, overrides: Partial<NewPendingChange> = {}): NewPendingChange {
  return {
    customerId: customer.id,
    accountId: customer.accountId,
    type: 'upgrade',
    currentPackage: 'Basic Package',
    targetPackage: 'Silver Package',
    ips: [],
    ipGroups: [],
    effectiveAt: '2024-03-15T00:00:00.000Z',
    ...overrides,
  };
}

export const legacyAudit = (action = 'scheduled_upgrade'): Omit<AuditInput, 'customerId' | 'changeId'> => ({
  actor: 'legacy',
  action,
  outcome: 'scheduled',
});

export const schedulerAudit = (customerId: number, outcome: string): AuditInput => ({
  actor: 'scheduler',
  action: 'apply',
  customerId,
  outcome,
});
