// Chooses the store from the configuration (DESIGN.md §2): PostgreSQL when a database URL
// is given (several bridge instances), else the embedded SQLite file.
import { PostgresStore } from './postgres.js';
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
}

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) return PostgresStore.open(options.databaseUrl, { now: options.now });
  if (!options.sqlitePath) throw new Error('no store configured: set BRIDGE_DB (SQLite file) or DATABASE_URL');
  return SqliteStore.open(options.sqlitePath, options.now ? { now: options.now } : {});
}
