// The one migration runner, for both databases: applies the migrations a database lacks, each
// once, in order, each in its own transaction with its record in schema_migrations, so a crash
// leaves the schema at a known version. It is a script (script.ts) its driver steps on one
// connection, inside the driver's locking hook: SQLite takes the write lock per migration
// (BEGIN IMMEDIATE) and re-checks under it; PostgreSQL holds an advisory lock for the whole run.
// Either way several processes opening one database at once apply each migration once.
import type { DialectName } from './dialect.js';
import { all, exec, one, run, type Script } from './script.js';
import { migrationHistory } from './statements.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The database's migration history is not this build's. */
export class SchemaMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaMismatchError';
  }
}

/** A row of schema_migrations. */
interface AppliedMigration {
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
function checkApplied(applied: readonly AppliedMigration[], migrations: readonly Migration[]): void {
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

/** Returns the versions this run applied. */
export function* migrationScript(dialect: DialectName, migrations: readonly Migration[], now: () => Date): Script<number[]> {
  checkOrder(migrations);
  yield* run(migrationHistory.create);
  const applied = yield* all<AppliedMigration>(migrationHistory.applied);
  checkApplied(
    applied.map((row) => ({ version: Number(row.version), name: row.name })),
    migrations,
  );
  const appliedBefore = new Set(applied.map((row) => Number(row.version)));
  const appliedNow: number[] = [];
  for (const migration of migrations) {
    if (appliedBefore.has(migration.version)) continue;
    yield* exec(migrationHistory.begin[dialect]);
    try {
      // Another process may have applied it since we read the history.
      if (!(yield* one(migrationHistory.isApplied, { version: migration.version }))) {
        yield* exec(migration.sql);
        yield* run(migrationHistory.record, { version: migration.version, name: migration.name, now: now().toISOString() });
        appliedNow.push(migration.version);
      }
      yield* exec('COMMIT');
    } catch (error) {
      try {
        yield* exec('ROLLBACK');
      } catch {
        // No transaction left to roll back, or a broken connection its driver discards.
      }
      throw new Error(`migration ${migration.version} ("${migration.name}") failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return appliedNow;
}
