import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { Migration } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/open.js';
import { SQLITE_MIGRATIONS } from '../../src/store/schema/sqlite.js';
import { migrate, SchemaMismatchError, SqliteStore } from '../../src/store/sqlite.js';
import { listPending } from '../../src/store/statements.js';
import { openTemp, reopen, seed, tempDir, testClock } from './helpers.js';

function readOnly(path: string) {
  return new DatabaseSync(path, { readOnly: true });
}

describe('SQLite migrations', () => {
  it('creates the parent folder, applies every migration once and records it', async () => {
    const { store, path } = openTemp();
    expect(existsSync(path)).toBe(true);
    await store.close();
    reopen(path);
    reopen(path);

    const db = readOnly(path);
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    db.close();
    expect(rows.map((r) => ({ ...r }))).toEqual(SQLITE_MIGRATIONS.map(({ version, name }) => ({ version, name })));
  });

  it('applies only the migrations a database lacks, in order', () => {
    const db = new DatabaseSync(':memory:');
    const first: Migration[] = [{ version: 1, name: 'one', sql: 'CREATE TABLE one (x INTEGER)' }];
    const both: Migration[] = [...first, { version: 2, name: 'two', sql: 'ALTER TABLE one ADD COLUMN y INTEGER' }];
    const clock = testClock();
    expect(migrate(db, first, clock.now)).toEqual([1]);
    expect(migrate(db, both, clock.now)).toEqual([2]);
    expect(migrate(db, both, clock.now)).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: 2 });
    db.close();
  });

  it('rolls a failing migration back whole and leaves it unrecorded', () => {
    const db = new DatabaseSync(':memory:');
    const broken: Migration[] = [{ version: 1, name: 'broken', sql: 'CREATE TABLE kept (x INTEGER); SELECT nonsense FROM nowhere;' }];
    expect(() => migrate(db, broken, testClock().now)).toThrow(/migration 1 \("broken"\) failed/);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'kept'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a database written by a newer build or with a different history', () => {
    const db = new DatabaseSync(':memory:');
    const clock = testClock();
    migrate(db, [{ version: 1, name: 'one', sql: 'SELECT 1' }, { version: 2, name: 'two', sql: 'SELECT 1' }], clock.now);
    expect(() => migrate(db, [{ version: 1, name: 'one', sql: 'SELECT 1' }], clock.now)).toThrow(SchemaMismatchError);
    expect(() => migrate(db, [{ version: 1, name: 'uno', sql: 'SELECT 1' }, { version: 2, name: 'two', sql: 'SELECT 1' }], clock.now)).toThrow(
      /history differs/,
    );
    db.close();
  });

  it('opens the file in WAL mode with foreign keys on', async () => {
    const { store, path } = openTemp();
    await expect(store.appendAudit({ actor: 'operator', action: 'note', customerId: 9999, outcome: 'noted' })).rejects.toThrow(/FOREIGN KEY/);
    const db = readOnly(path);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.close();
    expect(existsSync(`${path}-wal`)).toBe(true);
  });
});

describe('SQLite migrations 7 and 8 (the covering listing index, then narrowed)', () => {
  it('keeps listing the changes a database at version 6 already had, from the index alone', async () => {
    const path = join(tempDir(), 'bridge.db');
    const db = new DatabaseSync(path);
    migrate(db, SQLITE_MIGRATIONS.slice(0, 6), testClock().now);
    const at = '2024-01-01T00:00:00.000Z';
    db.exec(`INSERT INTO customers (reseller, username, account_id, created_at, updated_at) VALUES ('main', 'alice', 'acc-alice', '${at}', '${at}')`);
    db.exec(`INSERT INTO pending_changes (customer_id, reseller, username, account_id, type, current_package, target_package, ips, ip_groups,
        effective_at, status, last_error, created_at, updated_at)
      VALUES (1, 'main', 'alice', 'acc-alice', 'upgrade', 'Basic', 'Silver', '["10.0.0.1"]', '["g"]', '2024-02-01T00:00:00.000Z', 'failed', 'gone', '${at}', '${at}')`);
    db.close();

    const store = reopen(path);
    expect(await store.listPending('main')).toEqual([
      {
        username: 'alice',
        type: 'upgrade',
        currentPackage: 'Basic',
        targetPackage: 'Silver',
        ips: ['10.0.0.1'],
        ipGroups: ['g'],
        effectiveAt: '2024-02-01T00:00:00.000Z',
      },
    ]);
    const plan = readOnly(path);
    const detail = plan
      .prepare(`EXPLAIN QUERY PLAN ${listPending({}).text.sqlite!.sql}`)
      .all({ reseller: 'main' })
      .map((row) => String(row.detail));
    plan.close();
    expect(detail.join('\n')).toMatch(/USING COVERING INDEX pending_changes_listed/);
  });
});

describe('an in-memory store', () => {
  it('works in memory for tests', async () => {
    const store = SqliteStore.open(':memory:');
    await seed(store);
    expect(await store.listCustomers()).toHaveLength(5);
    await store.close();
  });
});

describe('openStore', () => {
  it('opens SQLite at the configured path', async () => {
    const path = join(tempDir(), 'nested', 'bridge.db');
    const store = await openStore({ sqlitePath: path });
    expect(store.kind).toBe('sqlite');
    await store.close();
    expect(existsSync(path)).toBe(true);
  });

  it('does not fall back to SQLite when a database URL is given', async () => {
    await expect(openStore({ sqlitePath: ':memory:', databaseUrl: 'postgres://127.0.0.1:1/bridge' })).rejects.toThrow(/^PostgreSQL store at/);
  });
});
