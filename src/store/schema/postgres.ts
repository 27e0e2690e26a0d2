// The PostgreSQL schema, as an ordered list of migrations, beside the SQLite one (sqlite.ts);
// the tables both share are in tables.ts. A released migration is never edited: a change of
// schema is a new entry at the end of both lists.
//
// Timestamps are timestamptz (the store reads them back as ISO strings); lists and pairs are
// jsonb arrays. Customer ids are `integer` because they are also the object half of the
// two-int advisory lock that serialises work on a customer across bridge instances.
import type { Migration } from '../migrate.js';
import { initialTables, ledgerAndBrownoutTables, writeIntentsTable, type ColumnTypes } from './tables.js';

const types: ColumnTypes = {
  id: (big) => `${big ? 'bigint' : 'integer'} GENERATED ALWAYS AS IDENTITY PRIMARY KEY`,
  ref: (big) => (big ? 'bigint' : 'integer'),
  text: 'text',
  integer: 'integer',
  counter: 'bigint',
  jsonArray: (column, nullable) => `jsonb${nullable ? '' : ` NOT NULL DEFAULT '[]'`} CHECK (jsonb_typeof(${column}) = 'array')`,
  instant: () => 'timestamptz',
  flag: () => 'boolean NOT NULL DEFAULT true',
  tableOptions: '',
};

const initialSchema = `${initialTables(
  types,
  `-- When a change may next be claimed: a pending one at its effective time (or its retry time,
  -- if later), an applying one when its lease expires. One column, so one index serves the claim.
  claimable_at     timestamptz GENERATED ALWAYS AS (
                     CASE status WHEN 'pending' THEN greatest(effective_at, retry_at)
                                 WHEN 'applying' THEN lease_expires_at END) STORED`,
)}
-- The claim: due pending changes and expired leases, in claim order.
CREATE INDEX pending_changes_claimable ON pending_changes (claimable_at, id)
  WHERE status IN ('pending', 'applying');

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

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: initialSchema },
  { version: 2, name: 'caller ledger and brownouts', sql: ledgerAndBrownoutTables(types) },
  {
    version: 3,
    name: 'write intents',
    sql: `${writeIntentsTable(types, (column) => `jsonb CHECK (jsonb_typeof(${column}) = 'object')`)}
CREATE TRIGGER settled_intents_are_final BEFORE UPDATE ON write_intents
  FOR EACH ROW WHEN (OLD.status IN ('applied', 'abandoned'))
  EXECUTE FUNCTION refuse_history_change('a settled write intent never changes again');
CREATE TRIGGER write_intents_are_never_deleted BEFORE DELETE OR TRUNCATE ON write_intents
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change('write intents are kept for history');
`,
  },
];
