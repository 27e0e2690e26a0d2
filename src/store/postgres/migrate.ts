// Applies the migrations a database lacks, each once, in order, each in its own transaction
// with its record in schema_migrations. Several bridge instances starting together are safe:
// the whole run holds an advisory lock for the schema, so one migrates while the others
// wait, then find nothing left to do.
import type pg from 'pg';
import { checkApplied, checkOrder, SchemaMismatchError, type AppliedMigration, type Migration } from '../migrations.js';
import { withAdvisoryLock, type LockKey } from './advisory-lock.js';

export { SchemaMismatchError };

export interface MigrateOptions {
  /** Created when missing (the connection's search_path already names it). */
  schema: string | undefined;
  lock: LockKey;
  now: () => Date;
}

/** Returns the versions this call applied. */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[], options: MigrateOptions): Promise<number[]> {
  checkOrder(migrations);
  return withAdvisoryLock(pool, options.lock, async (client) => {
    if (options.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL
    )`);
    const { rows: applied } = await client.query<AppliedMigration>('SELECT version, name FROM schema_migrations ORDER BY version');
    checkApplied(applied, migrations);
    const appliedBefore = new Set(applied.map((row) => row.version));
    const appliedNow: number[] = [];
    for (const migration of migrations) {
      if (appliedBefore.has(migration.version)) continue;
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          options.now().toISOString(),
        ]);
        await client.query('COMMIT');
        appliedNow.push(migration.version);
      } catch (error) {
        // A failed ROLLBACK leaves the connection unusable; withAdvisoryLock then destroys it.
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${migration.version} ("${migration.name}") failed: ${(error as Error).message}`, { cause: error });
      }
    }
    return appliedNow;
  });
}
