// The SQLite schema, as an ordered list of migrations, beside the PostgreSQL one (postgres.ts);
// the tables both share are in tables.ts. A released migration is never edited: a change of
// schema is a new entry at the end of both lists. The runner (../migrate.ts) applies each once,
// in order, in its own transaction.
//
// Timestamps are ISO-8601 UTC text in the exact form `Date.toISOString()` gives, so text
// order is time order; the CHECKs refuse any other form (a `...00Z` without milliseconds
// would sort after `...00.500Z`).
import type { Migration } from '../migrate.js';
import { initialTables, ledgerAndBrownoutTables, LISTED, usageDaysPageIndex, writeIntentsTable, type ColumnTypes } from './tables.js';

const ISO = `'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'`;

const types: ColumnTypes = {
  id: () => 'INTEGER PRIMARY KEY AUTOINCREMENT',
  ref: () => 'INTEGER',
  text: 'TEXT',
  integer: 'INTEGER',
  counter: 'INTEGER',
  jsonArray: (column, nullable) => `TEXT${nullable ? '' : ` NOT NULL DEFAULT '[]'`} CHECK (json_type(${column}) = 'array')`,
  instant: (column) => `TEXT CHECK (${column} GLOB ${ISO})`,
  flag: (column) => `INTEGER NOT NULL DEFAULT 1 CHECK (${column} IN (0, 1))`,
  tableOptions: ' STRICT',
};

const initialSchema = `${initialTables(
  types,
  `-- When a pending change may next be claimed: its effective time, or later after a transient failure.
  due_at           TEXT GENERATED ALWAYS AS (max(effective_at, coalesce(retry_at, effective_at))) VIRTUAL`,
)}
-- The claim: due pending changes, and applying ones whose lease expired, each in claim order.
CREATE INDEX pending_changes_due ON pending_changes (due_at, id) WHERE status = 'pending';
CREATE INDEX pending_changes_leases ON pending_changes (lease_expires_at, id) WHERE status = 'applying';

-- History is never deleted, the audit log is append-only, and a finished change stays finished:
-- enforced here too, so no code path (or hand-typed SQL) can break it.
CREATE TRIGGER customers_are_never_deleted BEFORE DELETE ON customers
BEGIN SELECT RAISE(ABORT, 'customers are kept for history: mark them inactive'); END;
CREATE TRIGGER pending_changes_are_never_deleted BEFORE DELETE ON pending_changes
BEGIN SELECT RAISE(ABORT, 'pending changes are kept for history: change their status'); END;
CREATE TRIGGER finished_changes_are_final BEFORE UPDATE ON pending_changes
WHEN OLD.status IN ('applied', 'cancelled', 'superseded')
BEGIN SELECT RAISE(ABORT, 'a finished change (applied, cancelled, superseded) never changes again'); END;
CREATE TRIGGER audit_log_is_never_updated BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_is_never_deleted BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

/**
 * The customer's lock across processes on one file (customer-lock.ts): one row while held, its
 * holder and a real-time expiry. Not a history table: rows come and go. (PostgreSQL has
 * advisory locks for this, and no such table.)
 */
const customerLocks = `
CREATE TABLE customer_locks (
  customer_id INTEGER PRIMARY KEY,
  owner       TEXT NOT NULL,
  expires_at  TEXT NOT NULL CHECK (expires_at GLOB ${ISO})
) STRICT;
`;

/**
 * A lock row now stays once made: releasing it expires it, and every take counts one more
 * generation. A writer that read the row free at generation g and finds it still free at g in
 * its first write knows no other process held the customer in between (customer-lock.ts).
 */
const customerLockGenerations = `
ALTER TABLE customer_locks ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
`;

/**
 * \`reseller.pending list\` from its index alone (statements.ts \`listPending\`): the listing index
 * carries every column the listing reads after its key, so 10,000 entries are one range of one
 * index and no table row is looked up (each lookup was a B-tree descent: about 60% of the
 * read's time). Same name, so the statement's INDEXED BY is unchanged. SQLite only: a
 * PostgreSQL B-tree entry is limited to about 2.7 kB, which a long \`last_error\` or IP list
 * could exceed (and then the write fails), so its index stays the key alone.
 */
const coveringListingIndex = `
DROP INDEX pending_changes_listed;
CREATE INDEX pending_changes_listed ON pending_changes (
  reseller, effective_at, id,
  username, type, current_package, target_package, ips, ip_groups, customer_id, status, last_error
) WHERE status IN ${LISTED};
`;

/**
 * The listing index carries only what the listing reads now (statements.ts \`LISTING_COLUMNS\`: the
 * legacy entry has no customer id or error; \`id\` stays in the key for the order, and \`status\`, which the
 * listing's WHERE names, or SQLite would look up each table row to test it): a narrower index
 * is less to read for a list and less to rewrite for every claim and finish, which move a change
 * in or out of it.
 */
const narrowerListingIndex = `
DROP INDEX pending_changes_listed;
CREATE INDEX pending_changes_listed ON pending_changes (
  reseller, effective_at, id,
  username, type, current_package, target_package, ips, ip_groups, status
) WHERE status IN ${LISTED};
`;

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: initialSchema },
  { version: 2, name: 'caller ledger and brownouts', sql: ledgerAndBrownoutTables(types) },
  { version: 3, name: 'customer locks across processes', sql: customerLocks },
  { version: 4, name: 'usage days read by the operator page', sql: usageDaysPageIndex },
  {
    version: 5,
    name: 'write intents',
    sql: `${writeIntentsTable(types, (column) => `TEXT CHECK (json_type(${column}) = 'object')`)}
-- A settled intent is final, and intents are history.
CREATE TRIGGER settled_intents_are_final BEFORE UPDATE ON write_intents
WHEN OLD.status IN ('applied', 'abandoned')
BEGIN SELECT RAISE(ABORT, 'a settled write intent never changes again'); END;
CREATE TRIGGER write_intents_are_never_deleted BEFORE DELETE ON write_intents
BEGIN SELECT RAISE(ABORT, 'write intents are kept for history'); END;
`,
  },
  {
    version: 6,
    name: 'customer lock generations',
    sql: customerLockGenerations,
  },
  { version: 7, name: 'the pending listing read from its index alone', sql: coveringListingIndex },
  { version: 8, name: 'the listing index narrowed to what the listing reads', sql: narrowerListingIndex },
];
