// Chooses the store from the configuration (DESIGN.md §2): PostgreSQL when a database URL
// is given (several bridge instances), else the embedded SQLite file.
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export interface StoreOptions {
  /** `BRIDGE_DB`; `:memory:` for tests. */
  sqlitePath?: string | undefined;
  /** `DATABASE_URL`; when set it wins, and start-up fails rather than fall back to SQLite. */
  databaseUrl?: string | undefined;
  /** The clock for stored timestamps (tests inject one). */
  now?: (() => Date) | undefined;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) return openPostgresStore(options.databaseUrl);
  if (!options.sqlitePath) throw new Error('no store configured: set BRIDGE_DB (SQLite file) or DATABASE_URL');
  return SqliteStore.open(options.sqlitePath, options.now ? { now: options.now } : {});
}

/**
 * The seam for PostgreSQL: a `PostgresStore implements Store` (pg Pool, the same schema in
 * its own migrations list, claims with `FOR UPDATE SKIP LOCKED`, withCustomerLock through
 * `pg_advisory_lock` so it holds across instances) is created and migrated here.
 */
async function openPostgresStore(_databaseUrl: string): Promise<Store> {
  throw new Error('DATABASE_URL is set, but this build has no PostgreSQL store yet: unset it to use SQLite (BRIDGE_DB)');
}
