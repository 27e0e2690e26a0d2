// The SQLite schema, as an ordered list of migrations. A released migration is never
// edited: a change of schema is a new entry at the end. The runner (sqlite/migrate.ts)
// applies each once, in order, in its own transaction, and records it in schema_migrations.
//
// Timestamps are ISO-8601 UTC text in the exact form `Date.toISOString()` gives, so text
// order is time order; the CHECKs refuse any other form (a `...00Z` without milliseconds
// would sort after `...00.500Z`).

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The database's migration history is not this build's (both stores' runners check it). */
export class SchemaMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaMismatchError';
  }
}

/** A row of schema_migrations. */
export interface AppliedMigration {
  version: number;
  name: string;
}

export function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`);
    }
  });
}

/** Refuses a database written by a newer build, or whose history differs from this build's. */
export function checkApplied(applied: readonly AppliedMigration[], migrations: readonly Migration[]): void {
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

const ISO = `'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'`;

const initialSchema = `
CREATE TABLE customers (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  reseller            TEXT NOT NULL,
  username            TEXT,
  business_uid        TEXT,
  account_id          TEXT NOT NULL CHECK (account_id <> ''),
  billing_day         INTEGER CHECK (billing_day BETWEEN 1 AND 31),
  ips                 TEXT NOT NULL DEFAULT '[]' CHECK (json_type(ips) = 'array'),
  ip_groups           TEXT NOT NULL DEFAULT '[]' CHECK (json_type(ip_groups) = 'array'),
  tags                TEXT NOT NULL DEFAULT '[]' CHECK (json_type(tags) = 'array'),
  subscription_params TEXT NOT NULL DEFAULT '[]' CHECK (json_type(subscription_params) = 'array'),
  active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at          TEXT NOT NULL CHECK (created_at GLOB ${ISO}),
  updated_at          TEXT NOT NULL CHECK (updated_at GLOB ${ISO}),
  CHECK (username IS NOT NULL OR business_uid IS NOT NULL)
) STRICT;

CREATE UNIQUE INDEX customers_by_username ON customers (reseller, username) WHERE username IS NOT NULL;
CREATE UNIQUE INDEX customers_by_business_uid ON customers (business_uid) WHERE business_uid IS NOT NULL;
CREATE INDEX customers_by_reseller ON customers (reseller, active);

CREATE TABLE pending_changes (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id      INTEGER NOT NULL REFERENCES customers (id),
  -- Snapshots taken when scheduled, so the listing needs no join.
  reseller         TEXT NOT NULL,
  username         TEXT NOT NULL,
  account_id       TEXT NOT NULL,
  type             TEXT NOT NULL CHECK (type IN ('upgrade', 'downgrade', 'close')),
  current_package  TEXT NOT NULL,
  target_package   TEXT NOT NULL,
  ips              TEXT NOT NULL CHECK (json_type(ips) = 'array'),
  ip_groups        TEXT NOT NULL CHECK (json_type(ip_groups) = 'array'),
  effective_at     TEXT NOT NULL CHECK (effective_at GLOB ${ISO}),
  status           TEXT NOT NULL CHECK (status IN ('pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error       TEXT,
  retry_at         TEXT CHECK (retry_at GLOB ${ISO}),
  lease_owner      TEXT,
  lease_expires_at TEXT CHECK (lease_expires_at GLOB ${ISO}),
  fence            INTEGER NOT NULL DEFAULT 0 CHECK (fence >= 0),
  created_at       TEXT NOT NULL CHECK (created_at GLOB ${ISO}),
  updated_at       TEXT NOT NULL CHECK (updated_at GLOB ${ISO}),
  -- When a pending change may next be claimed: its effective time, or later after a transient failure.
  due_at           TEXT GENERATED ALWAYS AS (max(effective_at, coalesce(retry_at, effective_at))) VIRTUAL,
  -- A lease exists exactly while a change is being applied.
  CHECK ((status = 'applying') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
) STRICT;

-- At most one listed change per customer: a new schedule supersedes the listed one first.
CREATE UNIQUE INDEX pending_changes_one_listed_per_customer ON pending_changes (customer_id)
  WHERE status IN ('pending', 'applying', 'failed');
-- reseller.pending list: one range of one index, already in listing order, never touching history.
CREATE INDEX pending_changes_listed ON pending_changes (reseller, effective_at, id)
  WHERE status IN ('pending', 'applying', 'failed');
-- The claim: due pending changes, and applying ones whose lease expired, each in claim order.
CREATE INDEX pending_changes_due ON pending_changes (due_at, id) WHERE status = 'pending';
CREATE INDEX pending_changes_leases ON pending_changes (lease_expires_at, id) WHERE status = 'applying';
-- The operator's view by status, and a customer's history.
CREATE INDEX pending_changes_by_status ON pending_changes (status, id);
CREATE INDEX pending_changes_by_customer ON pending_changes (customer_id, id);

CREATE TABLE audit_log (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  at               TEXT NOT NULL CHECK (at GLOB ${ISO}),
  actor            TEXT NOT NULL,
  action           TEXT NOT NULL,
  customer_id      INTEGER NOT NULL REFERENCES customers (id),
  change_id        INTEGER REFERENCES pending_changes (id),
  outcome          TEXT NOT NULL,
  offerings_before TEXT CHECK (json_type(offerings_before) = 'array'),
  offerings_after  TEXT CHECK (json_type(offerings_after) = 'array'),
  detail           TEXT
) STRICT;

CREATE INDEX audit_log_by_customer ON audit_log (customer_id, id);
CREATE INDEX audit_log_by_change ON audit_log (change_id, id) WHERE change_id IS NOT NULL;

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

export const SQLITE_MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'initial schema', sql: initialSchema }];
