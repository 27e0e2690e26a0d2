// The tables and indexes both databases share, written once over each one's column types;
// sqlite.ts and postgres.ts add what only their database has (the claim's generated column and
// indexes, the triggers that guard history) and list the migrations.

export interface ColumnTypes {
  /** The primary key of a table whose ids the store hands out; `big` for tables that grow without bound. */
  id(big: boolean): string;
  /** A reference to another table's id. */
  ref(big: boolean): string;
  readonly text: string;
  readonly integer: string;
  /** A JSON array column (NOT NULL and a default unless `nullable`). */
  jsonArray(column: string, nullable?: 'nullable'): string;
  /** An instant (a NOT NULL is added by the caller). */
  instant(column: string): string;
  /** A counter that grows for ever. */
  readonly counter: string;
  /** A boolean, NOT NULL, defaulting to true. */
  flag(column: string): string;
  /** What follows a table's closing parenthesis. */
  readonly tableOptions: string;
}

export const LISTED = `('pending', 'applying', 'failed')`;

/** Migration 1's tables: customers, pending changes and the audit log. `claimColumn` is the claim's generated column. */
export function initialTables(t: ColumnTypes, claimColumn: string): string {
  return `
CREATE TABLE customers (
  id                  ${t.id(false)},
  reseller            ${t.text} NOT NULL,
  username            ${t.text},
  business_uid        ${t.text},
  account_id          ${t.text} NOT NULL CHECK (account_id <> ''),
  billing_day         ${t.integer} CHECK (billing_day BETWEEN 1 AND 31),
  ips                 ${t.jsonArray('ips')},
  ip_groups           ${t.jsonArray('ip_groups')},
  tags                ${t.jsonArray('tags')},
  subscription_params ${t.jsonArray('subscription_params')},
  active              ${t.flag('active')},
  created_at          ${t.instant('created_at')} NOT NULL,
  updated_at          ${t.instant('updated_at')} NOT NULL,
  CHECK (username IS NOT NULL OR business_uid IS NOT NULL)
)${t.tableOptions};

CREATE UNIQUE INDEX customers_by_username ON customers (reseller, username) WHERE username IS NOT NULL;
CREATE UNIQUE INDEX customers_by_business_uid ON customers (business_uid) WHERE business_uid IS NOT NULL;
CREATE INDEX customers_by_reseller ON customers (reseller, active);

CREATE TABLE pending_changes (
  id               ${t.id(true)},
  customer_id      ${t.ref(false)} NOT NULL REFERENCES customers (id),
  -- Snapshots taken when scheduled, so the listing needs no join.
  reseller         ${t.text} NOT NULL,
  username         ${t.text} NOT NULL,
  account_id       ${t.text} NOT NULL,
  type             ${t.text} NOT NULL CHECK (type IN ('upgrade', 'downgrade', 'close')),
  current_package  ${t.text} NOT NULL,
  target_package   ${t.text} NOT NULL,
  ips              ${t.jsonArray('ips', 'nullable')} NOT NULL,
  ip_groups        ${t.jsonArray('ip_groups', 'nullable')} NOT NULL,
  effective_at     ${t.instant('effective_at')} NOT NULL,
  status           ${t.text} NOT NULL CHECK (status IN ('pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed')),
  attempts         ${t.integer} NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error       ${t.text},
  retry_at         ${t.instant('retry_at')},
  lease_owner      ${t.text},
  lease_expires_at ${t.instant('lease_expires_at')},
  fence            ${t.counter} NOT NULL DEFAULT 0 CHECK (fence >= 0),
  created_at       ${t.instant('created_at')} NOT NULL,
  updated_at       ${t.instant('updated_at')} NOT NULL,
  ${claimColumn},
  -- A lease exists exactly while a change is being applied.
  CHECK ((status = 'applying') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
)${t.tableOptions};

-- At most one listed change per customer: a new schedule supersedes the listed one first.
CREATE UNIQUE INDEX pending_changes_one_listed_per_customer ON pending_changes (customer_id)
  WHERE status IN ${LISTED};
-- reseller.pending list: one range of one index, already in listing order, never touching history.
CREATE INDEX pending_changes_listed ON pending_changes (reseller, effective_at, id)
  WHERE status IN ${LISTED};
-- The operator's view by status, and a customer's history.
CREATE INDEX pending_changes_by_status ON pending_changes (status, id);
CREATE INDEX pending_changes_by_customer ON pending_changes (customer_id, id);

CREATE TABLE audit_log (
  id               ${t.id(true)},
  at               ${t.instant('at')} NOT NULL,
  actor            ${t.text} NOT NULL,
  action           ${t.text} NOT NULL,
  customer_id      ${t.ref(false)} NOT NULL REFERENCES customers (id),
  change_id        ${t.ref(true)} REFERENCES pending_changes (id),
  outcome          ${t.text} NOT NULL,
  offerings_before ${t.jsonArray('offerings_before', 'nullable')},
  offerings_after  ${t.jsonArray('offerings_after', 'nullable')},
  detail           ${t.text}
)${t.tableOptions};

CREATE INDEX audit_log_by_customer ON audit_log (customer_id, id);
CREATE INDEX audit_log_by_change ON audit_log (change_id, id) WHERE change_id IS NOT NULL;
`;
}

const LEDGER_KEY = `reseller, auth_style, surface, task, format, outcome`;
const ledgerKeyColumns = (t: ColumnTypes) => `
  reseller    ${t.text} NOT NULL,
  auth_style  ${t.text} NOT NULL,
  surface     ${t.text} NOT NULL,
  task        ${t.text} NOT NULL,
  format      ${t.text} NOT NULL,
  outcome     ${t.text} NOT NULL,`;

/**
 * The operator page's read (statements.ts `ledgerTaskDays`: the window's daily counts per
 * reseller, surface and task) from one covering index in the order it groups by: the table is
 * not touched and no sort is needed (1,000 callers × 90 days: 150 ms down to about 15 ms). The
 * index on the day stays for the pruning.
 */
export const usageDaysPageIndex = `
CREATE INDEX usage_days_for_page ON usage_days (reseller, surface, task, day, count);
`;

/**
 * Migration 2's tables: the caller ledger (totals per key since first seen, and counts per key
 * and UTC day) and the brownout windows with the operator's switch (one row, id 1).
 */
export function ledgerAndBrownoutTables(t: ColumnTypes): string {
  return `
CREATE TABLE usage_totals (${ledgerKeyColumns(t)}
  count       ${t.counter} NOT NULL CHECK (count > 0),
  first_seen  ${t.instant('first_seen')} NOT NULL,
  last_seen   ${t.instant('last_seen')} NOT NULL,
  last_status ${t.integer} NOT NULL,
  PRIMARY KEY (${LEDGER_KEY})
)${t.tableOptions};

CREATE TABLE usage_days (${ledgerKeyColumns(t)}
  day         ${t.text} NOT NULL CHECK (length(day) = 10),
  count       ${t.counter} NOT NULL CHECK (count > 0),
  PRIMARY KEY (${LEDGER_KEY}, day)
)${t.tableOptions};
-- The operator page reads the last days; the pruning drops the oldest.
CREATE INDEX usage_days_by_day ON usage_days (day);

CREATE TABLE brownout_windows (
  id                ${t.id(false)},
  starts_at         ${t.instant('starts_at')} NOT NULL,
  ends_at           ${t.instant('ends_at')} NOT NULL,
  surfaces          ${t.jsonArray('surfaces')},
  tasks             ${t.jsonArray('tasks')},
  resellers         ${t.jsonArray('resellers')},
  dry_run           ${t.flag('dry_run')},
  gone_after_sunset ${t.flag('gone_after_sunset')},
  note              ${t.text},
  refused           ${t.counter} NOT NULL DEFAULT 0,
  would_refuse      ${t.counter} NOT NULL DEFAULT 0,
  created_at        ${t.instant('created_at')} NOT NULL,
  CHECK (ends_at > starts_at)
)${t.tableOptions};
CREATE INDEX brownout_windows_by_end ON brownout_windows (ends_at);

CREATE TABLE brownout_switch (
  id         ${t.integer} PRIMARY KEY CHECK (id = 1),
  enabled    ${t.flag('enabled')},
  updated_at ${t.instant('updated_at')} NOT NULL
)${t.tableOptions};
`;
}

/**
 * The write-ahead intents of offerings writes (store.ts WriteIntent): one row per PUT of a
 * change, recorded before its first attempt and settled once its outcome is known. History, like
 * the audit log: settled rows stay. `jsonObject` is the dialect's type of a JSON object column.
 */
export function writeIntentsTable(t: ColumnTypes, jsonObject: (column: string) => string): string {
  return `
CREATE TABLE write_intents (
  id                   ${t.id(true)},
  customer_id          ${t.ref(false)} NOT NULL REFERENCES customers (id),
  source               ${t.text} NOT NULL CHECK (source IN ('immediate', 'directory', 'scheduled')),
  actor                ${t.text} NOT NULL,
  action               ${t.text} NOT NULL,
  request_id           ${t.text},
  change_id            ${t.ref(true)} REFERENCES pending_changes (id),
  superseded_change_id ${t.ref(true)} REFERENCES pending_changes (id),
  offerings_before     ${t.jsonArray('offerings_before')},
  target_offerings     ${t.jsonArray('target_offerings')},
  customer_update      ${jsonObject('customer_update')} NOT NULL,
  status               ${t.text} NOT NULL CHECK (status IN ('open', 'uncertain', 'applied', 'abandoned')),
  settle_after         ${t.instant('settle_after')} NOT NULL,
  owner                ${t.text} NOT NULL,
  created_at           ${t.instant('created_at')} NOT NULL,
  settled_at           ${t.instant('settled_at')},
  CHECK ((status IN ('applied', 'abandoned')) = (settled_at IS NOT NULL)),
  CHECK ((source = 'scheduled') = (change_id IS NOT NULL))
)${t.tableOptions};

-- At most one unsettled write per customer: no other write is computed while one may still land.
CREATE UNIQUE INDEX write_intents_one_unsettled_per_customer ON write_intents (customer_id)
  WHERE status IN ('open', 'uncertain');
-- Settlement passes: the unsettled ones in settle order.
CREATE INDEX write_intents_settleable ON write_intents (settle_after, id) WHERE status IN ('open', 'uncertain');
CREATE INDEX write_intents_by_customer ON write_intents (customer_id, id);
`;
}
