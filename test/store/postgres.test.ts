// PostgreSQL only: what several bridge instances on one database rely on (migrations applied
// once, disjoint claims, customer locks across instances), connection settings, and plans.
// The store contract itself runs against PostgreSQL in the other files of this folder.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Migration } from '../../src/store/migrate.js';
import { EDGE_CUSTOMER_LOCKS, openStore } from '../../src/store/open.js';
import { migrate, SchemaMismatchError } from '../../src/store/postgres.js';
import { advisoryKey, connectionTarget } from '../../src/store/postgres/connection.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/schema/postgres.js';
import { bind, type Params, type Statement } from '../../src/store/script.js';
import { claimCandidates, listedChangeOf, LISTED, listPending } from '../../src/store/statements.js';
import type { Store } from '../../src/store/store.js';
import { onCleanup } from './cleanup.js';
import { changeFor, legacyAudit, seed, testClock, WORLD } from './helpers.js';
import { freshSchema, inSchema, needingServer, openPostgres, separatePool, sharedSchema, STORE_URL } from './postgres-harness.js';

const MINUTE = 60_000;

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Waits until `condition` holds on the server, asking again after each answer. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setImmediate(resolve));
}

/** Two bridge instances on one schema: a store (and pools) each. */
async function twoInstances() {
  const schema = await sharedSchema();
  const clock = testClock();
  const a = await openPostgres(schema, { now: clock.now });
  const b = await openPostgres(schema, { now: clock.now });
  return { schema, clock, a, b };
}

/**
 * The customer locks of this schema on the server, by whether they are held or awaited (other
 * test runs share the server: their locks are in other namespaces).
 */
async function advisoryLocks(schema: string): Promise<{ granted: number; waiting: number }> {
  return inSchema(schema, async (client) => {
    const { rows } = await client.query<{ granted: boolean; n: number }>(
      `SELECT granted, count(*)::int AS n FROM pg_locks
       WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND objsubid = 2 AND classid = $1::bigint::oid
       GROUP BY granted`,
      // The two-int form's first key is the lock's classid, read as unsigned.
      [advisoryKey('customer', schema) >>> 0],
    );
    return {
      granted: rows.find((row) => row.granted)?.n ?? 0,
      waiting: rows.find((row) => !row.granted)?.n ?? 0,
    };
  });
}

/** Sessions waiting for the migrations' advisory lock `key`. */
async function migrationLockWaiters(client: pg.PoolClient, [namespace, id]: readonly [number, number]): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2 AND classid = $1::bigint::oid AND objid = $2::bigint::oid`,
    [namespace >>> 0, id >>> 0],
  );
  return rows[0]!.n;
}

/** Sessions waiting for a row lock that `client`'s transaction holds. */
async function rowLockWaiters(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))',
  );
  return rows[0]!.n;
}

describe('connection settings', () => {
  it('takes the schema from the URL or the options, adds it to the search_path and hides the password', () => {
    const target = connectionTarget('postgres://bridge:secret@db.example:5432/bridge?schema=tenant_a&options=-c%20statement_timeout%3D5s');
    expect(target.schema).toBe('tenant_a');
    const url = new URL(target.connectionString);
    expect(url.searchParams.get('schema')).toBeNull();
    expect(url.searchParams.get('options')).toBe('-c statement_timeout=5s -c search_path=tenant_a');
    expect(target.display).toBe('postgres://bridge:***@db.example:5432/bridge');
    expect(connectionTarget('postgres://db.example/bridge', 'tenant_b').schema).toBe('tenant_b');
    expect(connectionTarget('postgres://db.example/bridge').schema).toBeUndefined();
  });

  it('refuses a schema name that would need quoting, and two different schemas', () => {
    expect(() => connectionTarget('postgres://db.example/bridge?schema=Tenant')).toThrow(/lower-case SQL identifier/);
    expect(() => connectionTarget('postgres://db.example/bridge', 'a;drop')).toThrow(/lower-case SQL identifier/);
    expect(() => connectionTarget('postgres://db.example/bridge?schema=a', 'b')).toThrow(/two schemas/);
  });

  it('openStore opens PostgreSQL when a database URL is given, in the schema the URL names', async () => {
    const schema = await sharedSchema();
    const url = new URL(STORE_URL);
    url.searchParams.set('schema', schema);
    const store = await needingServer(() => openStore({ sqlitePath: ':memory:', databaseUrl: url.toString() }));
    onCleanup(() => store.close());
    expect(store.kind).toBe('postgres');
    await seed(store);
    const customers = await inSchema(schema, async (client) => (await client.query('SELECT count(*)::int AS n FROM customers')).rows[0].n);
    expect(customers).toBe(WORLD.length);
  });

  it("openStore sizes the lock pool for the scheduler's concurrency plus the edge: all of them hold customer locks at once", async () => {
    const schema = await sharedSchema();
    const url = new URL(STORE_URL);
    url.searchParams.set('schema', schema);
    const store = await needingServer(() => openStore({ databaseUrl: url.toString(), schedulerConcurrency: 16 }));
    onCleanup(() => store.close());
    // The scheduler's 16 attempts and the edge's 10 immediate tasks, each on its own customer.
    const customers = Array.from({ length: 26 }, (_, i) => ({ reseller: 'main', username: `user${i}`, accountId: `acc-${i}` }));
    expect(16 + EDGE_CUSTOMER_LOCKS).toBe(customers.length);
    await store.importCustomers(customers);
    const release = deferred();
    onCleanup(release.resolve);
    const holders = (await store.listCustomers()).map((customer) => store.withCustomerLock(customer.id, () => release.promise));
    // Every one of them holds its lock on the server at the same time: none waits for a connection.
    await until(async () => (await advisoryLocks(schema)).granted === customers.length);
    release.resolve();
    await Promise.all(holders);
  });

  it('fails to open, naming PostgreSQL and without the password, when the server is not there', async () => {
    const error = await openStore({ databaseUrl: 'postgres://bridge:secret@127.0.0.1:1/bridge' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^PostgreSQL store at postgres:\/\/bridge:\*\*\*@127\.0\.0\.1:1\/bridge: /);
    expect((error as Error).message).not.toContain('secret');
  });

  it('returns timestamps as the same ISO strings whatever the session time zone', async () => {
    const schema = await sharedSchema();
    const url = new URL(STORE_URL);
    url.searchParams.set('options', `${url.searchParams.get('options') ?? ''} -c TimeZone=Asia/Kolkata`);
    const clock = testClock();
    const store = await needingServer(() => openStore({ databaseUrl: `${url}&schema=${schema}`, now: clock.now }));
    onCleanup(() => store.close());
    const { alice } = await seed(store);
    const { change } = await store.schedule(changeFor(alice!, { effectiveAt: '2024-03-15T00:00:00.123Z' }), legacyAudit());
    expect(change).toMatchObject({ effectiveAt: '2024-03-15T00:00:00.123Z', createdAt: '2024-03-10T12:00:00.000Z' });
    const [claimed] = await store.claimDue(new Date('2024-03-15T00:00:00.123Z'), 'w', MINUTE, 1);
    const [again] = await store.claimDue(new Date('2024-03-15T00:01:00.123Z'), 'w2', MINUTE, 1);
    expect(claimed!.leaseExpiresAt).toBe('2024-03-15T00:01:00.123Z');
    expect(again!.lastError).toBe('lease of w expired at 2024-03-15T00:01:00.123Z');
    const types = await inSchema(schema, async (client) => {
      const { rows } = await client.query<{ data_type: string }>(
        `SELECT DISTINCT data_type FROM information_schema.columns
         WHERE table_schema = $1 AND column_name IN ('effective_at', 'retry_at', 'lease_expires_at', 'created_at', 'updated_at', 'at')`,
        [schema],
      );
      return rows.map((row) => row.data_type);
    });
    expect(types).toEqual(['timestamp with time zone']);
  });
});

describe('PostgreSQL migrations', () => {
  it('are applied once when several instances open the same schema at the same time', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgres(schema)));
    const applied = await inSchema(schema, async (client) => (await client.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows);
    expect(applied).toEqual(POSTGRES_MIGRATIONS.map(({ version, name }) => ({ version, name })));
    await seed(stores[0]!);
    expect(await stores[3]!.listCustomers()).toHaveLength(WORLD.length);
  });

  it('are run by one process while the others wait for its lock', async () => {
    const schema = freshSchema();
    const lock = [advisoryKey('migrations', schema), 0] as const;
    const once: Migration[] = [{ version: 1, name: 'once', sql: 'CREATE TABLE made_once (x integer)' }];
    const run = () => needingServer(() => migrate(separatePool(schema), once, { schema, lock, now: testClock().now }));
    // Hold the migrations' lock, let both runs queue behind it, then let them go together.
    const results = await inSchema(schema, async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1, $2)', [...lock]);
      const runs = [run(), run()];
      await until(async () => (await migrationLockWaiters(holder, lock)) === 2);
      await holder.query('SELECT pg_advisory_unlock($1, $2)', [...lock]);
      return Promise.all(runs);
    });
    expect(results.sort()).toEqual([[], [1]]);
  });

  it('apply only what a schema lacks, roll a failing one back whole, and refuse a newer or different history', async () => {
    const schema = freshSchema();
    const pool = separatePool(schema);
    const options = { schema, lock: [advisoryKey('migrations', schema), 0] as const, now: testClock().now };
    const first: Migration[] = [{ version: 1, name: 'one', sql: 'CREATE TABLE one (x integer)' }];
    const both: Migration[] = [...first, { version: 2, name: 'two', sql: 'ALTER TABLE one ADD COLUMN y integer' }];
    expect(await needingServer(() => migrate(pool, first, options))).toEqual([1]);
    expect(await migrate(pool, both, options)).toEqual([2]);
    expect(await migrate(pool, both, options)).toEqual([]);

    const broken: Migration[] = [...both, { version: 3, name: 'broken', sql: 'CREATE TABLE kept (x integer); SELECT nonsense FROM nowhere' }];
    await expect(migrate(pool, broken, options)).rejects.toThrow(/migration 3 \("broken"\) failed/);
    const tables = await inSchema(schema, async (client) => (await client.query(`SELECT to_regclass('kept') AS kept, (SELECT max(version) FROM schema_migrations) AS version`)).rows[0]);
    expect(tables).toEqual({ kept: null, version: 2 });

    await expect(migrate(pool, first, options)).rejects.toBeInstanceOf(SchemaMismatchError);
    await expect(migrate(pool, [{ ...first[0]!, name: 'uno' }, both[1]!], options)).rejects.toThrow(/history differs/);
  });
});

describe('several instances on one database', () => {
  it('claim disjoint changes when they claim at the same time', async () => {
    const { a, b } = await twoInstances();
    const customers = Array.from({ length: 60 }, (_, i) => ({ reseller: 'main', username: `user${i}`, accountId: `acc-${i}` }));
    await a.importCustomers(customers);
    for (const customer of await a.listCustomers()) await a.schedule(changeFor(customer), legacyAudit());

    const now = new Date('2024-03-15T00:00:00.000Z');
    const claimAll = async (store: Store, owner: string) => {
      const mine: number[] = [];
      for (;;) {
        const batch = await store.claimDue(now, owner, MINUTE, 3);
        if (batch.length === 0) return mine;
        mine.push(...batch.map((change) => change.id));
      }
    };
    const claims = await Promise.all([claimAll(a, 'a1'), claimAll(b, 'b1'), claimAll(a, 'a2'), claimAll(b, 'b2')]);
    const all = claims.flat();
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    const changes = await a.listChanges({ statuses: ['applying'] });
    expect(changes.map((c) => c.fence)).toEqual(Array(60).fill(1));
  });

  it('skip, without waiting, a change another instance has locked', async () => {
    const { schema, a } = await twoInstances();
    const { alice, bob } = await seed(a);
    const aliceChange = (await a.schedule(changeFor(alice!, { effectiveAt: '2024-03-14T00:00:00.000Z' }), legacyAudit())).change;
    const bobChange = (await a.schedule(changeFor(bob!), legacyAudit())).change;

    const now = new Date('2024-03-15T00:00:00.000Z');
    const claimed = await inSchema(schema, async (client) => {
      await client.query('BEGIN');
      try {
        await client.query('SELECT id FROM pending_changes WHERE id = $1 FOR UPDATE', [aliceChange.id]);
        // Either the claim answers, or it is seen waiting for our row lock on the server.
        const waiting = until(async () => (await rowLockWaiters(client)) > 0).then(() => 'waited for the lock' as const);
        return await Promise.race([a.claimDue(now, 'w', MINUTE, 10), waiting]);
      } finally {
        await client.query('ROLLBACK');
      }
    });
    if (claimed === 'waited for the lock') expect.fail('the claim waited for a change another instance had locked');
    expect(claimed.map((c) => c.id)).toEqual([bobChange.id]);
    expect(await a.claimDue(now, 'w', MINUTE, 10)).toEqual([expect.objectContaining({ id: aliceChange.id })]);
  });

  it('serialise work on one customer across instances, and not on different customers', async () => {
    const { schema, a, b } = await twoInstances();
    const { alice, bob } = await seed(a);
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside += 1;
      most = Math.max(most, inside);
      await a.findCustomer({ id: alice!.id }); // a round trip while holding the lock
      inside -= 1;
    };
    const first = deferred();
    onCleanup(first.resolve);
    const holder = a.withCustomerLock(alice!.id, async () => {
      inside += 1;
      most = Math.max(most, inside);
      await first.promise;
      inside -= 1;
    });
    await until(async () => (await advisoryLocks(schema)).granted === 1);
    const others = [b, a, b, a, b].map((store) => store.withCustomerLock(alice!.id, work));
    // b's first caller waits on the server (its others queue in process behind it).
    await until(async () => (await advisoryLocks(schema)).waiting === 1);
    expect(inside).toBe(1);

    expect(await b.withCustomerLock(bob!.id, async () => 'bob is free')).toBe('bob is free');
    first.resolve();
    await Promise.all([holder, ...others]);
    expect(most).toBe(1);
  });

  it('queue callers of one instance in process: only one connection per customer waits on the server', async () => {
    const { schema, a, b } = await twoInstances();
    const { alice } = await seed(a);
    const held = deferred();
    onCleanup(held.resolve); // so a failed expectation does not leave the lock (and the pools) held
    const holder = a.withCustomerLock(alice!.id, () => held.promise);
    await until(async () => (await advisoryLocks(schema)).granted === 1);
    const sameInstance = [a.withCustomerLock(alice!.id, async () => 'a'), a.withCustomerLock(alice!.id, async () => 'a')];
    // Asked after a's two, so once b's caller is seen waiting on the server, a's would be too.
    const otherInstance = b.withCustomerLock(alice!.id, async () => 'b');
    await until(async () => (await advisoryLocks(schema)).waiting > 0);
    expect(await advisoryLocks(schema)).toEqual({ granted: 1, waiting: 1 });
    held.resolve();
    expect(await Promise.all([holder, ...sameInstance, otherInstance])).toEqual([undefined, 'a', 'a', 'b']);
    expect(await advisoryLocks(schema)).toEqual({ granted: 0, waiting: 0 });
  });

  it('release the customer lock when the work fails', async () => {
    const { schema, a, b } = await twoInstances();
    const { alice } = await seed(a);
    await expect(a.withCustomerLock(alice!.id, async () => Promise.reject(new Error('upstream down')))).rejects.toThrow('upstream down');
    expect(await advisoryLocks(schema)).toEqual({ granted: 0, waiting: 0 });
    expect(await b.withCustomerLock(alice!.id, async () => 'taken')).toBe('taken');
  });

  it('keep store queries working while every lock connection is held', async () => {
    const schema = await sharedSchema();
    const store = await openPostgres(schema, { maxLockConnections: 1, maxConnections: 1 });
    const { alice, bob } = await seed(store);
    const names = await Promise.all(
      [alice!, bob!].map((customer) =>
        store.withCustomerLock(customer.id, async () => (await store.findCustomer({ id: customer.id }))?.username),
      ),
    );
    expect(names).toEqual(['alice', 'bob']);
  });

  it('schedule for one customer at the same time without breaking the one-listed-change rule', async () => {
    const { a, b } = await twoInstances();
    const { alice } = await seed(a);
    const targets = ['Silver Package', 'Gold Package', 'Platinum Package', 'Bronze Package'];
    const results = await Promise.all(
      targets.map((targetPackage, i) => (i % 2 ? b : a).schedule(changeFor(alice!, { targetPackage }), legacyAudit())),
    );
    expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'replaced', 'replaced', 'replaced']);
    expect(await a.listPending('main')).toHaveLength(1);
    expect(await a.listChanges({ statuses: ['superseded'] })).toHaveLength(3);
  });

  it('import the same mappings at the same time, as instances starting together do', async () => {
    const { a, b } = await twoInstances();
    await Promise.all([a.importCustomers(WORLD), b.importCustomers(WORLD), a.importCustomers(WORLD)]);
    expect(await b.listCustomers()).toHaveLength(WORLD.length);
  });
});

describe('PostgreSQL query plans', () => {
  async function plan(schema: string, statement: Statement, params: Params): Promise<string> {
    const rendered = statement.text.postgres!;
    const sql = rendered.sql;
    const values = bind(statement, rendered, params);
    return inSchema(schema, async (client) => {
      // The tables are nearly empty, so only forbidding scans shows which index a query can use.
      await client.query('SET enable_seqscan = off');
      try {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      } finally {
        await client.query('RESET enable_seqscan');
      }
    });
  }

  it('claims through the partial claimable index, in its order, without sorting', async () => {
    // A schema of its own: the plans depend on table statistics, which other tests' data would move.
    const schema = freshSchema();
    await openPostgres(schema);
    const detail = await plan(schema, claimCandidates, { dueAt: '2024-01-01T00:00:00.000Z', now: '2024-01-01T00:00:00.000Z', limit: 10 });
    expect(detail).toMatch(/Index Scan using pending_changes_claimable/);
    expect(detail).not.toMatch(/Sort/);
  });

  it('lists one range of the listing index and finds a listed change through the one-listed index', async () => {
    const schema = freshSchema();
    await openPostgres(schema);
    expect(LISTED).toBe(`('pending', 'applying', 'failed')`);
    const listing = await plan(schema, listPending({}), { reseller: 'main' });
    expect(listing).toMatch(/Index Scan using pending_changes_listed/);
    expect(listing).not.toMatch(/Sort/);
    expect(await plan(schema, listedChangeOf, { customerId: 1 })).toMatch(/pending_changes_one_listed_per_customer/);
  });
});
