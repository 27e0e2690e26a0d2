// Applies the migrations a database lacks, each once, in order, each in its own
// transaction with its record in schema_migrations, so a crash leaves the schema at a
// known version. Several processes opening one file at once are safe: each migration
// re-checks, under the write lock, whether another process applied it meanwhile.
import type { DatabaseSync } from 'node:sqlite';
import { checkApplied, checkOrder, type AppliedMigration, type Migration } from '../migrations.js';

export { SchemaMismatchError } from '../migrations.js';

/** Returns the versions this call applied. */
export function migrate(db: DatabaseSync, migrations: readonly Migration[], now: () => Date): number[] {
  checkOrder(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const readApplied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');

  const applied = readApplied.all() as unknown as AppliedMigration[];
  checkApplied(applied, migrations);
  const appliedBefore = new Set(applied.map((row) => row.version));
  const appliedNow: number[] = [];
  for (const migration of migrations) {
    if (appliedBefore.has(migration.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      if (!isApplied.get(migration.version)) {
        db.exec(migration.sql);
        record.run(migration.version, migration.name, now().toISOString());
        appliedNow.push(migration.version);
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw new Error(`migration ${migration.version} ("${migration.name}") failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return appliedNow;
}
