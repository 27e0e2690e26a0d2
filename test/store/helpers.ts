// Shared fixtures for the store tests: the stores the contract tests run against (SQLite and
// PostgreSQL, through one harness shape), a clock the test moves, and a small world of customers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { AuditInput, CustomerRecord, NewPendingChange, Store } from '../../src/store/store.js';
import { onCleanup } from './cleanup.js';
import { inSchema, openPostgres, sharedSchema } from './postgres-harness.js';

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-store-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
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

/** SQLite only: opens a store on a file in a fresh temp folder; closed after the test. */
export function openTemp(clock: TestClock = testClock(), path = join(tempDir(), 'data', 'bridge.db')) {
  const store = SqliteStore.open(path, { now: clock.now });
  onCleanup(() => store.close());
  return { store, path, clock };
}

/** SQLite only: another connection to the file, as another process would open it. */
export function reopen(path: string, clock: TestClock = testClock()): SqliteStore {
  const store = SqliteStore.open(path, { now: clock.now });
  onCleanup(() => store.close());
  return store;
}

/** SQL straight to the store's database, past the store: to check the schema's own guards. */
export interface RawSql {
  exec(sql: string): Promise<void>;
  count(table: string): Promise<number>;
}

export interface OpenedStore {
  store: Store;
  clock: TestClock;
  /** A second store on the same data: another process (SQLite) or bridge instance (PostgreSQL). */
  another(clock?: TestClock): Promise<Store>;
  raw: RawSql;
}

export interface StoreHarness {
  name: Store['kind'];
  /** An empty, migrated store; closed after the test (PostgreSQL: this file's schema, emptied). */
  open(clock?: TestClock): Promise<OpenedStore>;
}

const sqlite: StoreHarness = {
  name: 'sqlite',
  async open(clock = testClock()) {
    const { store, path } = openTemp(clock);
    const withFile = async <T>(work: (db: DatabaseSync) => T): Promise<T> => {
      const db = new DatabaseSync(path);
      try {
        return work(db);
      } finally {
        db.close();
      }
    };
    return {
      store,
      clock,
      another: async (otherClock = clock) => reopen(path, otherClock),
      raw: {
        exec: (sql) => withFile((db) => db.exec(sql)),
        count: (table) => withFile((db) => Number(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()!.n)),
      },
    };
  },
};

const postgres: StoreHarness = {
  name: 'postgres',
  async open(clock = testClock()) {
    const schema = await sharedSchema();
    const store = await openPostgres(schema, { now: clock.now });
    return {
      store,
      clock,
      another: (otherClock = clock) => openPostgres(schema, { now: otherClock.now }),
      raw: {
        exec: (sql) => inSchema(schema, async (client) => void (await client.query(sql))),
        count: (table) => inSchema(schema, async (client) => Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n)),
      },
    };
  },
};

/** The stores every contract test runs against: `describe.each(STORES)('$name store', ...)`. */
export const STORES: readonly StoreHarness[] = [sqlite, postgres];

export const WORLD = [
  { reseller: 'main', username: 'alice', accountId: 'acc-alice', billingDay: 15 },
  { reseller: 'main', username: 'bob', accountId: 'acc-bob', billingDay: 1 },
  { reseller: 'main', username: 'carol', accountId: 'acc-carol' },
  { reseller: 'other', username: 'dave', accountId: 'acc-dave', billingDay: 20 },
  { reseller: 'main', businessUid: 'biz-1', accountId: 'acc-biz-1' },
];

/** Imports WORLD and returns the customers by username (or business uid). */
export async function seed(store: Store): Promise<Record<string, CustomerRecord>> {
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
