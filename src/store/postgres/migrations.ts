// The PostgreSQL schema, as an ordered list of migrations: the same tables, constraints and
// indexes as the SQLite schema (../migrations.ts), in PostgreSQL's types. A released
// migration is never edited: a change of schema is a new entry at the end, and usually one
// in SQLITE_MIGRATIONS too.
//
// Timestamps are timestamptz (the store reads them back as ISO strings); lists and pairs are
// jsonb arrays. Customer ids are `integer` because they are also the object half of the
// two-int advisory lock that serialises work on a customer across bridge instances.
import type { Migration } from '../migrations.js';

const initialSchema = `
CREATE TABLE customers (
  id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reseller            text NOT NULL,
  username            text,
  business_uid        text,
  account_id          text NOT NULL CHECK (account_id <> ''),
  billing_day         integer CHECK (billing_day BETWEEN 1 AND 31),
  ips                 jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(ips) = 'array'),
  ip_groups           jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(ip_groups) = 'array'),
  tags                jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tags) = 'array'),
  subscription_params jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(subscription_params) = 'array'),
  active              boolean NOT NULL DEFAULT true,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  CHECK (username IS NOT NULL OR business_uid IS NOT NULL)
);

CREATE UNIQUE INDEX customers_by_username ON customers (reseller, username) WHERE username IS NOT NULL;
CREATE UNIQUE INDEX customers_by_business_uid ON customers (business_uid) WHERE business_uid IS NOT NULL;
CREATE INDEX customers_by_reseller ON customers (reseller, active);

CREATE TABLE pending_changes (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id      integer NOT NULL REFERENCES customers (id),
  -- Snapshots taken when scheduled, so the listing needs no join.
  reseller         text NOT NULL,
  username         text NOT NULL,
  account_id       text NOT NULL,
  type             text NOT NULL CHECK (type IN ('upgrade', 'downgrade', 'close')),
  current_package  text NOT NULL,
  target_package   text NOT NULL,
  ips              jsonb NOT NULL CHECK (jsonb_typeof(ips) = 'array'),
  ip_groups        jsonb NOT NULL CHECK (jsonb_typeof(ip_groups) = 'array'),
  effective_at     timestamptz NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error       text,
  retry_at         timestamptz,
  lease_owner      text,
  lease_expires_at timestamptz,
  fence            bigint NOT NULL DEFAULT 0 CHECK (fence >= 0),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  -- When a change may next be claimed: a pending one at its effective time (or its retry time,
  -- if later), an applying one when its lease expires. One column, so one index serves the claim.
  claimable_at     timestamptz GENERATED ALWAYS AS (
                     CASE status WHEN 'pending' THEN greatest(effective_at, retry_at)
                                 WHEN 'applying' THEN lease_expires_at END) STORED,
  -- A lease exists exactly while a change is being applied.
  CHECK ((status = 'applying') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);

-- At most one listed change per customer: a new schedule supersedes the listed one first.
CREATE UNIQUE INDEX pending_changes_one_listed_per_customer ON pending_changes (customer_id)
  WHERE status IN ('pending', 'applying', 'failed');
-- reseller.pending list: one range of one index, already in listing order, never touching history.
CREATE INDEX pending_changes_listed ON pending_changes (reseller, effective_at, id)
  WHERE status IN ('pending', 'applying', 'failed');
-- The claim: due pending changes and expired leases, in claim order.
CREATE INDEX pending_changes_claimable ON pending_changes (claimable_at, id)
  WHERE status IN ('pending', 'applying');
-- The operator's view by status, and a customer's history.
CREATE INDEX pending_changes_by_status ON pending_changes (status, id);
CREATE INDEX pending_changes_by_customer ON pending_changes (customer_id, id);

CREATE TABLE audit_log (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at               timestamptz NOT NULL,
  actor            text NOT NULL,
  action           text NOT NULL,
  customer_id      integer NOT NULL REFERENCES customers (id),
  change_id        bigint REFERENCES pending_changes (id),
  outcome          text NOT NULL,
  offerings_before jsonb CHECK (jsonb_typeof(offerings_before) = 'array'),
  offerings_after  jsonb CHECK (jsonb_typeof(offerings_after) = 'array'),
  detail           text
);

CREATE INDEX audit_log_by_customer ON audit_log (customer_id, id);
CREATE INDEX audit_log_by_change ON audit_log (change_id, id) WHERE change_id IS NOT NULL;

-- History is never deleted, the audit log is append-only, and a finished change stays finished.
-- Triggers rather than revoked privileges: the bridge usually connects as the tables' owner, and
-- an owner can always grant itself back what was revoked. TRUNCATE is refused too, since it
-- skips DELETE triggers. (DROP is left to whoever owns the schema.)
CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER customers_are_never_deleted BEFORE DELETE OR TRUNCATE ON customers
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change('customers are kept for history: mark them inactive');
CREATE TRIGGER pending_changes_are_never_deleted BEFORE DELETE OR TRUNCATE ON pending_changes
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change('pending changes are kept for history: change their status');
CREATE TRIGGER finished_changes_are_final BEFORE UPDATE ON pending_changes
  FOR EACH ROW WHEN (OLD.status IN ('applied', 'cancelled', 'superseded'))
  EXECUTE FUNCTION refuse_history_change('a finished change (applied, cancelled, superseded) never changes again');
CREATE TRIGGER audit_log_is_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change('the audit log is append-only');
`;

export const POSTGRES_MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'initial schema', sql: initialSchema }];
