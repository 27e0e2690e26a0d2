// The SQLite driver (node:sqlite): the embedded default store. A write script runs as one
// synchronous block between BEGIN IMMEDIATE and COMMIT: nothing else in this process runs in
// between, and the write lock is taken at BEGIN, so no transaction fails half-way on a lock
// upgrade. The store's logic is in sql-store.ts and operations.ts, shared with PostgreSQL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { KeyedMutex } from './keyed-mutex.js';
import { migrationScript, type Migration } from './migrate.js';
import { SQLITE_MIGRATIONS } from './schema/sqlite.js';
import { bind, stepSync, type Driver, type Param, type Script, type Statement, type Step, type StepResult } from './script.js';
import { SqlStore, type SqlStoreOptions } from './sql-store.js';

export { SchemaMismatchError } from './migrate.js';

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** How long a write waits for another process's write lock before failing. */
  busyTimeoutMs?: number;
}

/** Lists go to json_each as JSON text; booleans are 1/0 (STRICT tables take no other). */
function sqliteValue(value: Param): SQLInputValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return JSON.stringify(value);
  return value as SQLInputValue;
}

/** One connection, its prepared statements, and how it runs a script's steps. */
class SqliteConnection {
  private readonly prepared = new Map<Statement, StatementSync>();

  constructor(readonly db: DatabaseSync) {}

  run<T>(script: Script<T>): T {
    return stepSync(script, (step) => this.execute(step));
  }

  /** One write transaction: synchronous from BEGIN to COMMIT, rolled back whole on any error. */
  transaction<T>(script: Script<T>): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = this.run(script);
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    this.prepared.clear();
    if (this.db.isOpen) this.db.close();
  }

  private execute(step: Step): StepResult {
    if (step.kind === 'exec') {
      this.db.exec(step.sql);
      return undefined;
    }
    const rendered = step.statement.text.sqlite;
    if (!rendered) return step.want === 'rows' ? [] : 0;
    let statement = this.prepared.get(step.statement);
    if (!statement) {
      statement = this.db.prepare(rendered.sql);
      if (step.statement.arrays) statement.setReturnArrays(true);
      this.prepared.set(step.statement, statement);
    }
    const values = bind(step.statement, rendered, step.params);
    const params: Record<string, SQLInputValue> = {};
    rendered.params.forEach((name, i) => (params[name] = sqliteValue(values[i]!)));
    if (step.want === 'count') return Number(statement.run(params).changes);
    return statement.all(params) as StepResult;
  }
}

/** Applies the migrations `db` lacks (see migrate.ts); returns the versions applied. */
export function migrate(db: DatabaseSync, migrations: readonly Migration[], now: () => Date): number[] {
  return new SqliteConnection(db).run(migrationScript('sqlite', migrations, now));
}

class SqliteDriver implements Driver {
  readonly kind = 'sqlite' as const;
  readonly importLockKey = 0;
  private readonly locks = new KeyedMutex<number>();

  constructor(private readonly connection: SqliteConnection) {}

  async write<T>(script: Script<T>): Promise<T> {
    return this.connection.transaction(script);
  }

  async read<T>(script: Script<T>): Promise<T> {
    return this.connection.run(script);
  }

  /** In-process only: SQLite serves one bridge instance (PostgreSQL adds a lock across instances). */
  withCustomerLock<T>(customerId: number, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(customerId, fn);
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}

export class SqliteStore extends SqlStore {
  /** Opens (creating the file and its folder if needed) and migrates. `:memory:` is for tests. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5_000)}`);
      // WAL lets readers (the listing) run beside the writer; a file that cannot switch
      // (a network filesystem, say) would silently lose that, so refuse it.
      const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() ?? {};
      if (path !== ':memory:' && mode !== 'wal') throw new Error(`${path}: SQLite could not use WAL mode (got ${String(mode)})`);
      // In WAL mode NORMAL survives a crash of the process; only a power loss can take the last commits.
      db.exec('PRAGMA synchronous = NORMAL');
      const connection = new SqliteConnection(db);
      connection.run(migrationScript('sqlite', SQLITE_MIGRATIONS, options.now ?? (() => new Date())));
      return new SqliteStore(new SqliteDriver(connection), options);
    } catch (error) {
      db.close();
      throw error;
    }
  }
}
