// The SQLite driver (node:sqlite): the embedded default store. A write script runs as one
// synchronous block between BEGIN IMMEDIATE and COMMIT: nothing else in this process runs in
// between, and the write lock is taken at BEGIN, so no transaction fails half-way on a lock
// upgrade. The store's logic is in sql-store.ts and operations.ts, shared with PostgreSQL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { GroupCommit, type QueuedWrite } from './group-commit.js';
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
  private readonly controls = new Map<string, StatementSync>();

  constructor(readonly db: DatabaseSync) {}

  run<T>(script: Script<T>): T {
    return stepSync(script, (step) => this.execute(step));
  }

  /** One write transaction: synchronous from BEGIN to COMMIT, rolled back whole on any error. */
  transaction<T>(script: Script<T>): T {
    this.control('BEGIN IMMEDIATE');
    try {
      const result = this.run(script);
      this.control('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.control('ROLLBACK');
      throw error;
    }
  }

  /**
   * Several write scripts in one transaction (group commit), each inside a savepoint: a script
   * that throws is rolled back alone and rejected, the others commit. Settles every entry only
   * after the COMMIT; if BEGIN or COMMIT fails, nothing is committed and every entry is rejected.
   */
  transactionBatch(batch: QueuedWrite<Script<unknown>>[]): void {
    if (batch.length === 1) {
      const [only] = batch as [QueuedWrite<Script<unknown>>];
      let result: unknown;
      try {
        result = this.transaction(only.work);
      } catch (error) {
        return only.reject(error);
      }
      return only.resolve(result);
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    this.control('BEGIN IMMEDIATE');
    try {
      for (const entry of batch) {
        this.control('SAVEPOINT script');
        try {
          outcomes.push({ ok: true, value: this.run(entry.work) });
        } catch (error) {
          this.control('ROLLBACK TO script');
          outcomes.push({ ok: false, error });
        }
        this.control('RELEASE script');
      }
      this.control('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.control('ROLLBACK');
      throw error;
    }
    batch.forEach((entry, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) entry.resolve(outcome.value);
      else entry.reject(outcome.error);
    });
  }

  /** Transaction control through statements prepared once (exec would parse the text every time). */
  private control(sql: 'BEGIN IMMEDIATE' | 'COMMIT' | 'ROLLBACK' | 'SAVEPOINT script' | 'ROLLBACK TO script' | 'RELEASE script'): void {
    let statement = this.controls.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.controls.set(sql, statement);
    }
    statement.run();
  }

  close(): void {
    this.controls.clear();
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
  private readonly commits: GroupCommit<Script<unknown>>;

  constructor(private readonly connection: SqliteConnection) {
    this.commits = new GroupCommit((batch) => connection.transactionBatch(batch));
  }

  /** Committed with the other writes of this round of the event loop (group-commit.ts). */
  write<T>(script: Script<T>): Promise<T> {
    return this.commits.submit<T>(script);
  }

  async read<T>(script: Script<T>): Promise<T> {
    return this.connection.run(script);
  }

  /** In-process only: SQLite serves one bridge instance (PostgreSQL adds a lock across instances). */
  withCustomerLock<T>(customerId: number, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(customerId, fn);
  }

  async close(): Promise<void> {
    await this.commits.drain();
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
