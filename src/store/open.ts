// Chooses the store from the configuration (DESIGN.md §2): PostgreSQL when a database URL
// is given (several bridge instances), else the embedded SQLite file. The PostgreSQL store (and its
// driver, `pg`) is loaded only when DATABASE_URL asks for it: a SQLite sidecar never holds its code.
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export interface StoreOptions {
  /** `BRIDGE_DB`; `:memory:` for tests. */
  sqlitePath?: string | undefined;
  /**
   * `DATABASE_URL`; when set it wins, and start-up fails rather than fall back to SQLite.
   * `?schema=name` keeps the bridge's tables in that schema (created if missing).
   */
  databaseUrl?: string | undefined;
  /** The clock for stored timestamps (tests inject one). */
  now?: (() => Date) | undefined;
  /** How many changes this process's scheduler applies at once (PostgreSQL sizes its lock pool for them). */
  schedulerConcurrency?: number | undefined;
  /** SQLite: a checkpoint off the event loop failed (wal-checkpointer.ts); the store goes on without them. */
  onCheckpointError?: ((error: unknown) => void) | undefined;
}

/** Customer locks the edge may hold at once beside the scheduler's (each waits for its v3 calls). */
export const EDGE_CUSTOMER_LOCKS = 10;

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    // A held customer lock is a session advisory lock: one connection for each scheduler
    // attempt and each immediate task in flight, so a pool smaller than that would serialise
    // them. Queries and transactions have their own pool: they never wait for a v3 call.
    const maxLockConnections = (options.schedulerConcurrency ?? 0) + EDGE_CUSTOMER_LOCKS;
    const { PostgresStore } = await import('./postgres.js');
    return PostgresStore.open(options.databaseUrl, { now: options.now, maxLockConnections });
  }
  if (!options.sqlitePath) throw new Error('no store configured: set BRIDGE_DB (SQLite file) or DATABASE_URL');
  const checkpoints = options.onCheckpointError ? { onError: options.onCheckpointError } : {};
  return SqliteStore.open(options.sqlitePath, { ...(options.now ? { now: options.now } : {}), checkpoints });
}
