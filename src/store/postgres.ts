// The PostgreSQL driver (a pg Pool): the store for several bridge instances. A write script is
// one READ COMMITTED transaction on one connection, awaited statement by statement; its
// statements lock rows in one order (statements.ts), so writes about one customer queue rather
// than race or deadlock, with no retry loop as SERIALIZABLE would need. The store's logic is in
// sql-store.ts and operations.ts, shared with SQLite.
import type pg from 'pg';
import { KeyedMutex } from './keyed-mutex.js';
import { migrationScript, type Migration } from './migrate.js';
import { withAdvisoryLock, type LockKey } from './postgres/advisory-lock.js';
import { advisoryKey, connectionTarget, createPool, type Db } from './postgres/connection.js';
import { POSTGRES_MIGRATIONS } from './schema/postgres.js';
import { bind, stepAsync, type Driver, type Script, type Step, type StepResult } from './script.js';
import { SqlStore } from './sql-store.js';

export { SchemaMismatchError } from './migrate.js';

export interface PostgresStoreOptions {
  /** The schema to live in (created if missing); also `?schema=` in the URL. Else the server's search_path. */
  schema?: string | undefined;
  /** The clock for created/updated/audit times; claimDue takes its `now` explicitly. */
  now?: (() => Date) | undefined;
  /** Connections for queries and transactions. */
  maxConnections?: number | undefined;
  /** Connections that hold customer locks, apart from the others so lock holders never starve their own queries. */
  maxLockConnections?: number | undefined;
  /** An idle connection broke (the pool already dropped it); for logging. */
  onConnectionError?: ((error: Error) => void) | undefined;
}

async function execute(db: Db, step: Step): Promise<StepResult> {
  if (step.kind === 'exec') {
    await db.query(step.sql);
    return undefined;
  }
  const rendered = step.statement.text.postgres;
  if (!rendered) return step.want === 'rows' ? [] : 0;
  const query = { text: rendered.sql, values: bind(step.statement, rendered, step.params) as unknown[] };
  const result = step.statement.arrays ? await db.query({ ...query, rowMode: 'array' as const }) : await db.query(query);
  return step.want === 'count' ? (result.rowCount ?? 0) : result.rows;
}

function runOn<T>(db: Db, script: Script<T>): Promise<T> {
  return stepAsync(script, (step) => execute(db, step));
}

export interface MigrateOptions {
  /** Created when missing (the connection's search_path already names it). */
  schema: string | undefined;
  /** The advisory lock the whole run holds: instances starting together migrate one at a time. */
  lock: LockKey;
  now: () => Date;
}

/** Applies the migrations the schema lacks (see migrate.ts); returns the versions applied. */
export function migrate(pool: pg.Pool, migrations: readonly Migration[], options: MigrateOptions): Promise<number[]> {
  return withAdvisoryLock(pool, options.lock, async (client) => {
    if (options.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    return runOn(client, migrationScript('postgres', migrations, options.now));
  });
}

class PostgresDriver implements Driver {
  readonly kind = 'postgres' as const;
  private readonly locks = new KeyedMutex<number>();
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly lockPool: pg.Pool,
    private readonly keys: { customer: number; imports: number },
  ) {}

  get importLockKey(): number {
    return this.keys.imports;
  }

  read<T>(script: () => Script<T>): Promise<T> {
    return runOn(this.pool, script());
  }

  /** One READ COMMITTED transaction on one connection, rolled back whole on any error. */
  async write<T>(script: () => Script<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      // Explicit, so a server whose default is SERIALIZABLE does not turn lock waits into failures.
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await runOn(client, script());
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is not given to the next caller.
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Across instances: a session advisory lock on a connection of the lock pool, held while `fn`
   * runs. Callers in this process queue on the in-process mutex first, so at most one
   * connection per customer waits on the server. A lazy hold is taken eagerly here: an advisory
   * lock costs no transaction.
   */
  withCustomerLock<T>(customerId: number, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(customerId, () => withAdvisoryLock(this.lockPool, [this.keys.customer, customerId], () => fn()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.lockPool.end()]);
  }
}

async function currentSchema(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('no schema to use: the search_path names none that exists (set ?schema= in DATABASE_URL)');
  return schema;
}

export class PostgresStore extends SqlStore {
  /** Connects and migrates (once across instances starting together). Fails rather than half-opens. */
  static async open(databaseUrl: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const target = connectionTarget(databaseUrl, options.schema);
    const onError = options.onConnectionError ?? (() => undefined);
    const pool = createPool(target, options.maxConnections ?? 10, onError);
    const lockPool = createPool(target, options.maxLockConnections ?? 10, onError);
    const clock = options.now ?? (() => new Date());
    try {
      const schema = target.schema ?? (await currentSchema(pool));
      await migrate(pool, POSTGRES_MIGRATIONS, { schema: target.schema, lock: [advisoryKey('migrations', schema), 0], now: clock });
      const keys = { customer: advisoryKey('customer', schema), imports: advisoryKey('imports', schema) };
      return new PostgresStore(new PostgresDriver(pool, lockPool, keys), { now: clock });
    } catch (error) {
      await Promise.all([pool.end(), lockPool.end()]);
      throw new Error(`PostgreSQL store at ${target.display}: ${(error as Error).message}`, { cause: error });
    }
  }
}
