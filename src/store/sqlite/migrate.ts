// Applies the migrations a database lacks, each once, in order, each in its own
// transaction with its record in schema_migrations, so a crash leaves the schema at a
// known version. Several processes opening one file at once are safe: each migration
// re-checks, under the write lock, whether another process applied it meanwhile.
import type { DatabaseSync } from 'node:sqlite';
import type { Migration } from '../migrations.js';

export class SchemaMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaMismatchError';
  }
}

interface AppliedRow {
  version: number;
  name: string;
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`);
    }
  });
}

/** Refuses a database written by a newer build, or whose history differs from this build's. */
function checkApplied(applied: AppliedRow[], migrations: readonly Migration[]): void {
  for (const row of applied) {
    const known = migrations[row.version - 1];
    if (!known) {
      throw new SchemaMismatchError(
        `database schema is at version ${row.version} ("${row.name}"), newer than this build knows (${migrations.length}): upgrade the bridge`,
      );
    }
    if (known.name !== row.name) {
      throw new SchemaMismatchError(
        `database migration ${row.version} is "${row.name}" but this build calls it "${known.name}": the schema history differs`,
      );
    }
  }
}

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

  const applied = readApplied.all() as unknown as AppliedRow[];
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
