// The SQLite driver (node:sqlite): the embedded default store. A write script runs as one
// synchronous block between BEGIN IMMEDIATE and COMMIT: nothing else in this process runs in
// between, and the write lock is taken at BEGIN, so no transaction fails half-way on a lock
// upgrade. The store's logic is in sql-store.ts and operations.ts, shared with PostgreSQL.
//
// Never blocking the event loop: SQLite's own busy wait (busy_timeout) sleeps inside the
// synchronous call, freezing the process while another process (the operator CLI, say) holds
// the write lock. So once the file is open busy_timeout is 0: a transaction that finds the
// database locked fails at once, before doing anything, and is retried after a short jittered
// pause (1 ms doubling to 25 ms) until `busyTimeoutMs` has passed, the event loop free meanwhile.
// Opening (and migrating) still waits synchronously, before the process serves anything.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { setTimeout as delay } from 'node:timers/promises';
import { RowCustomerLock, type CustomerLockOptions } from './customer-lock.js';
import { GroupCommit, type QueuedWrite } from './group-commit.js';
import { isBusy } from './sqlite-busy.js';
import { positional } from './dialect.js';
import { migrationScript, type Migration } from './migrate.js';
import { SQLITE_MIGRATIONS } from './schema/sqlite.js';
import { stepSync, type Driver, type WriteOptions, type Param, type Script, type Statement, type Step, type StepResult } from './script.js';
import { SqlStore, type SqlStoreOptions } from './sql-store.js';
import type { CustomerLockHold } from './store.js';
import { WalCheckpointer, type WalCheckpointOptions } from './wal-checkpointer.js';

export { SchemaMismatchError } from './migrate.js';

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** How long a statement waits for another process's lock before failing (asynchronously, once open). */
  busyTimeoutMs?: number;
  /** The customer lock across processes (customer-lock.ts). */
  customerLock?: CustomerLockOptions;
  /** WAL checkpoints with their fsyncs off the event loop (wal-checkpointer.ts); `false`: SQLite's own, on the event loop. */
  checkpoints?: WalCheckpointOptions | false;
}

export class DatabaseBusyError extends Error {
  constructor(waitedMs: number, options: ErrorOptions) {
    super(`the SQLite database stayed locked by another process for ${Math.round(waitedMs)} ms`, options);
    this.name = 'DatabaseBusyError';
  }
}

/** Lists go to json_each as JSON text; booleans are 1/0 (STRICT tables take no other). */
function sqliteValue(value: Param): SQLInputValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return JSON.stringify(value);
  return value as SQLInputValue;
}

/** One connection, its prepared statements, and how it runs a script's steps. */
class SqliteConnection {
  private readonly prepared = new Map<Statement, { statement: StatementSync; names: string[] }>();
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
  transactionBatch(batch: QueuedWrite<() => Script<unknown>>[]): void {
    if (batch.length === 1) {
      const [only] = batch as [QueuedWrite<() => Script<unknown>>];
      let result: unknown;
      try {
        result = this.transaction(only.work());
      } catch (error) {
        // Busy: nothing was written; the caller retries the batch (SqliteDriver.whenFree).
        if (isBusy(error)) throw error;
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
          outcomes.push({ ok: true, value: this.run(entry.work()) });
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
    let prepared = this.prepared.get(step.statement);
    if (!prepared) {
      const { sql, names } = positional(rendered.sql);
      prepared = { statement: this.db.prepare(sql), names };
      if (step.statement.arrays) prepared.statement.setReturnArrays(true);
      this.prepared.set(step.statement, prepared);
    }
    const values = prepared.names.map((name) => {
      const value = step.params[name];
      if (value === undefined) throw new TypeError(`statement ${step.statement.name}: parameter :${name} is missing`);
      return sqliteValue(value);
    });
    if (step.want === 'count') return Number(prepared.statement.run(...values).changes);
    return prepared.statement.all(...values) as StepResult;
  }
}

/** Applies the migrations `db` lacks (see migrate.ts); returns the versions applied. */
export function migrate(db: DatabaseSync, migrations: readonly Migration[], now: () => Date): number[] {
  return new SqliteConnection(db).run(migrationScript('sqlite', migrations, now));
}

class SqliteDriver implements Driver {
  readonly kind = 'sqlite' as const;
  readonly importLockKey = 0;
  private readonly locks: RowCustomerLock;
  private readonly commits: GroupCommit<() => Script<unknown>>;

  constructor(
    private readonly connection: SqliteConnection,
    private readonly busyTimeoutMs: number,
    lockOptions: CustomerLockOptions | undefined,
    private readonly checkpointer: WalCheckpointer | undefined,
  ) {
    // A batch that finds the database locked has changed nothing: it is retried whole.
    this.commits = new GroupCommit((batch) =>
      this.whenFree(() => {
        connection.transactionBatch(batch);
        checkpointer?.committed();
      }),
    );
    this.locks = new RowCustomerLock({ write: (script) => this.commits.submit(script), read: (script) => this.read(script) }, lockOptions);
  }

  /** Committed with the other writes of this round of the event loop (group-commit.ts); a lazy customer hold's first write takes its lock row too. */
  write<T>(script: () => Script<T>, options?: WriteOptions): Promise<T> {
    return this.locks.write(script, options);
  }

  read<T>(script: () => Script<T>): Promise<T> {
    return this.whenFree(() => this.connection.run(script()));
  }

  /** Across processes on this file: see customer-lock.ts. */
  withCustomerLock<T>(customerId: number, fn: () => Promise<T>, options?: CustomerLockHold): Promise<T> {
    return this.locks.run(customerId, fn, options);
  }

  async close(): Promise<void> {
    await this.commits.drain();
    // The worker's connection closes first: the main connection, the last, then checkpoints what
    // is left and removes the WAL.
    await this.checkpointer?.stop();
    this.connection.close();
  }

  /**
   * Runs `attempt` (synchronous, whole) until it does not find the database locked. A busy
   * attempt has changed nothing: the transaction never began, or was rolled back whole.
   */
  private async whenFree<T>(attempt: () => T): Promise<T> {
    const started = performance.now();
    for (let tries = 0; ; tries++) {
      try {
        return attempt();
      } catch (error) {
        if (!isBusy(error)) throw error;
        const waited = performance.now() - started;
        if (waited >= this.busyTimeoutMs) throw new DatabaseBusyError(waited, { cause: error });
        await delay(Math.random() * Math.min(25, 2 ** tries));
      }
    }
  }
}

export class SqliteStore extends SqlStore {
  /** Opens (creating the file and its folder if needed) and migrates. `:memory:` is for tests. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
    const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      // WAL lets readers (the listing) run beside the writer; a file that cannot switch
      // (a network filesystem, say) would silently lose that, so refuse it.
      const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() ?? {};
      if (path !== ':memory:' && mode !== 'wal') throw new Error(`${path}: SQLite could not use WAL mode (got ${String(mode)})`);
      // In WAL mode NORMAL survives a crash of the process; only a power loss can take the last commits.
      db.exec('PRAGMA synchronous = NORMAL');
      const connection = new SqliteConnection(db);
      connection.run(migrationScript('sqlite', SQLITE_MIGRATIONS, options.now ?? (() => new Date())));
      // From here on, waits for another process's lock are asynchronous (SqliteDriver.whenFree).
      db.exec('PRAGMA busy_timeout = 0');
      const checkpointer = path === ':memory:' || options.checkpoints === false ? undefined : new WalCheckpointer(db, path, options.checkpoints);
      return new SqliteStore(new SqliteDriver(connection, busyTimeoutMs, options.customerLock, checkpointer), options);
    } catch (error) {
      db.close();
      throw error;
    }
  }
}
