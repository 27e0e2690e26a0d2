// Every SQL statement of the store, in one place, each written once for both databases through
// the dialect layer (dialect.ts) and rendered for both when this module loads (a statement that
// does not render fails at start-up, not mid-request). Parameters are `:name`.
//
// Lock order in PostgreSQL (READ COMMITTED): every write about a customer first locks the
// customer's row (lockCustomer), then its listed change (listedChangeOf): writes about one
// customer queue behind each other, always in that order, so they neither race nor deadlock. In
// SQLite BEGIN IMMEDIATE already admits one writer at a time and those locks render as nothing.
//
// Hot statements name their index (INDEXED BY, SQLite): the planner cannot drift to a scan as
// the data grows. The listed-status literal must match the partial indexes' WHERE exactly
// (schema/) for either planner to use them.
import { DIALECTS, render, type Dialect, type DialectName } from './dialect.js';
import type { Statement } from './script.js';

export const LISTED = `('pending', 'applying', 'failed')`;

type Build = (d: Dialect) => string | null;

function define(name: string, build: Build | string, options: { arrays?: boolean } = {}): Statement {
  const text = {} as Record<DialectName, Statement['text'][DialectName]>;
  for (const dialect of Object.values(DIALECTS)) {
    const sql = typeof build === 'string' ? build : build(dialect);
    text[dialect.name] = sql === null ? null : render(dialect.name, sql);
  }
  return { name, text, arrays: options.arrays ?? false };
}

/** A read with optional conditions: the statement for the conditions a call gives, made once per combination. */
function filtered<F extends string>(
  name: string,
  shape: (d: Dialect) => { select: string; where: string[]; filters: Record<F, string>; order: string },
  options: { arrays?: boolean } = {},
): (given: Partial<Record<F, unknown>>) => Statement {
  const made = new Map<string, Statement>();
  return (given) => {
    const present = (Object.keys(shape(DIALECTS.sqlite).filters) as F[]).filter((filter) => given[filter] !== undefined);
    const key = present.join(',');
    let statement = made.get(key);
    if (!statement) {
      statement = define(
        `${name}(${key})`,
        (d) => {
          const { select, where, filters, order } = shape(d);
          const conditions = [...where, ...present.map((filter) => filters[filter])];
          return `${select}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''}${order}`;
        },
        options,
      );
      made.set(key, statement);
    }
    return statement;
  };
}

/** An ISO-8601 text of an instant column, as `Date.toISOString()` writes it (SQLite stores exactly that). */
const isoText = (d: Dialect, column: string) =>
  d.name === 'sqlite' ? column : `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// --- customers ---------------------------------------------------------------------------------

export const customerById = define('customerById', 'SELECT * FROM customers WHERE id = :id');
/** Every write about one customer starts here (see the lock order above). Only the id: the lock is what it is for. */
export const lockCustomer = define('lockCustomer', (d) => `SELECT id FROM customers WHERE id = :id${d.lockCustomer}`);
/** The same lock, for the one write that needs the row's other columns (a scheduled change copies its names). */
export const lockCustomerRow = define('lockCustomerRow', (d) => `SELECT * FROM customers WHERE id = :id${d.lockCustomer}`);
export const customerByUsername = define('customerByUsername', 'SELECT * FROM customers WHERE reseller = :reseller AND username = :username');
export const customerByBusinessUid = define('customerByBusinessUid', 'SELECT * FROM customers WHERE business_uid = :businessUid');
export const listCustomers = filtered('listCustomers', () => ({
  select: 'SELECT * FROM customers',
  where: [],
  // withoutBillingDay takes no parameter: given (as true), it adds its condition.
  filters: { reseller: 'reseller = :reseller', active: 'active = :active', withoutBillingDay: 'billing_day IS NULL' },
  order: ' ORDER BY id',
}));

/** Imports run one at a time across instances: two importing the same mappings would race to insert them. */
export const lockImports = define('lockImports', (d) => (d.name === 'postgres' ? 'SELECT pg_advisory_xact_lock(:key, 0)' : null));
/** The import's reads: every customer named by `names` ([reseller, username] pairs) or `uids`, locked; only what the import decides on. */
export const customersNamed = define(
  'customersNamed',
  (d) => `SELECT id, reseller, username, business_uid, account_id, billing_day, active FROM customers
    WHERE (reseller, username) IN (SELECT n.value ->> 0, n.value ->> 1 FROM ${d.jsonRows('names', 'n')})
       OR ${d.inList('business_uid', 'uids', 'text')}
    ORDER BY id${d.lockCustomer}`,
);
/** `drafts`: a JSON array of customers as the import leaves them. */
export const reimportCustomers = define(
  'reimportCustomers',
  (d) => `UPDATE customers SET
      reseller = r.value ->> 'reseller',
      username = r.value ->> 'username',
      business_uid = r.value ->> 'business_uid',
      account_id = r.value ->> 'account_id',
      billing_day = ${d.integer(`r.value ->> 'billing_day'`)},
      active = ${d.true},
      updated_at = :now
    FROM ${d.jsonRows('drafts', 'r')}
    WHERE customers.id = ${d.integer(`r.value ->> 'id'`)}`,
);
/** `drafts`: a JSON array of new customers; ids are given in the array's order. */
export const insertCustomers = define(
  'insertCustomers',
  (d) => `INSERT INTO customers (reseller, username, business_uid, account_id, billing_day, created_at, updated_at)
    SELECT n.value ->> 'reseller', n.value ->> 'username', n.value ->> 'business_uid', n.value ->> 'account_id',
      ${d.integer(`n.value ->> 'billing_day'`)}, :now, :now
    FROM ${d.jsonRows('drafts', 'n')}
    ORDER BY n.key`,
);
export const inactivateAllBut = define(
  'inactivateAllBut',
  (d) => `UPDATE customers SET active = ${d.false}, updated_at = :now
    WHERE active = ${d.true} AND ${d.notInList('id', 'keptIds', 'integer')}`,
);
export const setBillingDay = define('setBillingDay', 'UPDATE customers SET billing_day = :day, updated_at = :now WHERE id = :id');
/** NULL leaves a column as it is: CustomerUpdate's absent fields. */
export const updateCustomer = define(
  'updateCustomer',
  (d) => `UPDATE customers SET
      ips = coalesce(${d.json('ips')}, ips),
      ip_groups = coalesce(${d.json('ipGroups')}, ip_groups),
      tags = coalesce(${d.json('tags')}, tags),
      subscription_params = coalesce(${d.json('subscriptionParams')}, subscription_params),
      updated_at = :now
    WHERE id = :id`,
);
/** IPs held by another active customer, or asked for by another customer's pending change. */
export const ipHolders = define(
  'ipHolders',
  (d) => `SELECT held.value AS ip, c.id AS customer_id
    FROM ${d.joinElements('customers c', 'c.ips', 'held')}
    WHERE c.reseller = :reseller AND c.active = ${d.true} AND c.id <> :except AND ${d.inList('held.value', 'ips', 'text')}
    UNION ALL
    SELECT wanted.value AS ip, p.customer_id
    FROM ${d.joinElements('pending_changes p', 'p.ips', 'wanted')}
    WHERE p.reseller = :reseller AND p.status IN ('pending', 'applying') AND p.customer_id <> :except
      AND ${d.inList('wanted.value', 'ips', 'text')}`,
);

// --- pending changes ---------------------------------------------------------------------------

/** The columns `listPending` reads (LISTING_FIELDS), in the order `toListings` expects them (rows come back as arrays). */
export const LISTING_COLUMNS = ['username', 'type', 'current_package', 'target_package', 'ips', 'ip_groups', 'effective_at'] as const;

export const changeById = define('changeById', 'SELECT * FROM pending_changes WHERE id = :id');
export const customerOfChange = define('customerOfChange', 'SELECT customer_id FROM pending_changes WHERE id = :id');
/** Locked (PostgreSQL), so a claim in flight is waited for and seen as `applying`, never overwritten. */
export const listedChangeOf = define(
  'listedChangeOf',
  (d) =>
    `SELECT * FROM pending_changes${d.indexedBy('pending_changes_one_listed_per_customer')} WHERE customer_id = :customerId AND status IN ${LISTED}${d.lockForUpdate}`,
);
export const insertChange = define(
  'insertChange',
  (d) => `INSERT INTO pending_changes (
      customer_id, reseller, username, account_id, type, current_package, target_package,
      ips, ip_groups, effective_at, status, created_at, updated_at)
    VALUES (:customerId, :reseller, :username, :accountId, :type, :currentPackage, :targetPackage,
      ${d.json('ips')}, ${d.json('ipGroups')}, :effectiveAt, 'pending', :now, :now)
    RETURNING *`,
);
export const supersedeChange = define(
  'supersedeChange',
  `UPDATE pending_changes SET status = 'superseded', lease_owner = NULL, lease_expires_at = NULL, updated_at = :now
    WHERE id = :id AND status IN ${LISTED}`,
);
export const cancelChange = define(
  'cancelChange',
  `UPDATE pending_changes SET status = 'cancelled', updated_at = :now
    WHERE id = :id AND status IN ('pending', 'failed') RETURNING *`,
);
/** `reseller.pending list`: one range of the listing index, already in order; in SQLite the index covers LISTING_COLUMNS (migrations 7 and 8), so no table row is read. */
export const listPending = filtered(
  'listPending',
  (d) => ({
    select: `SELECT ${LISTING_COLUMNS.join(', ')} FROM pending_changes${d.indexedBy('pending_changes_listed')}`,
    where: ['reseller = :reseller', `status IN ${LISTED}`],
    filters: { username: 'username = :username', type: 'type = :type' },
    order: ' ORDER BY effective_at, id',
  }),
  { arrays: true },
);
export const changesByStatus = define(
  'changesByStatus',
  (d) => `SELECT * FROM pending_changes WHERE ${d.inList('status', 'statuses', 'text')} ORDER BY id`,
);

// The claim: the due changes (pending ones whose effective and retry time passed at `dueAt`,
// applying ones whose lease expired at `now`: leases run on real time whatever instant a pass
// simulates), oldest claimable first, then each taken with a new fence. Finding them
// is the one statement kept per dialect: SQLite merges two partial-index range scans;
// PostgreSQL reads one index and locks what it takes with SKIP LOCKED, so concurrent claims of
// several instances take disjoint rows and never wait for each other.

/** SQLite: the claimable changes of one status, in claim order, from one partial index's range. */
function claimScan(name: string, index: string, status: string, claimableAt: string, clock: string): Statement {
  const expired = status === 'applying' ? 1 : 0;
  return define(name, (d) =>
    d.name === 'sqlite'
      ? `SELECT id, ${claimableAt} AS claimable_at, ${expired} AS lease_expired FROM pending_changes INDEXED BY ${index}
    WHERE status = '${status}' AND ${claimableAt} <= :${clock} ORDER BY ${claimableAt}, id LIMIT :limit`
      : null,
  );
}
/** Pending changes due at `dueAt`. */
export const duePending = claimScan('duePending', 'pending_changes_due', 'pending', 'due_at', 'dueAt');
/** Applying changes whose lease expired by `now`. */
export const expiredLeases = claimScan('expiredLeases', 'pending_changes_leases', 'applying', 'lease_expires_at', 'now');
export const claimCandidates = define('claimCandidates', (d) =>
  d.name === 'sqlite'
    ? `SELECT * FROM (${duePending.text.sqlite!.sql}) UNION ALL SELECT * FROM (${expiredLeases.text.sqlite!.sql})
    ORDER BY claimable_at, id LIMIT :limit`
    : `SELECT id, claimable_at, status = 'applying' AS lease_expired FROM pending_changes
    WHERE status IN ('pending', 'applying') AND claimable_at <= greatest(:dueAt::timestamptz, :now::timestamptz)
      AND CASE status WHEN 'pending' THEN claimable_at <= :dueAt ELSE claimable_at <= :now END
    ORDER BY claimable_at, id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED`,
);
/** SET expressions see the row before the update, so `status = 'applying'` means a lease expired. */
export const claimChange = define(
  'claimChange',
  (d) => `UPDATE pending_changes SET
      attempts = attempts + CASE WHEN status = 'applying' THEN 1 ELSE 0 END,
      last_error = CASE WHEN status = 'applying'
                        THEN 'lease of ' || lease_owner || ' expired at ' || ${isoText(d, 'lease_expires_at')}
                        ELSE last_error END,
      status = 'applying',
      lease_owner = :owner,
      lease_expires_at = :leaseExpiresAt,
      fence = fence + 1,
      updated_at = :now
    WHERE id = :id AND (status = 'pending' OR (status = 'applying' AND lease_expires_at <= :now))
    RETURNING *`,
);
/** The fence check makes a finish by a caller whose lease was taken over a no-op. */
export const finishChange = define(
  'finishChange',
  `UPDATE pending_changes SET
      status = :status,
      attempts = attempts + 1,
      last_error = coalesce(:error, last_error),
      retry_at = :retryAt,
      lease_owner = NULL,
      lease_expires_at = NULL,
      updated_at = :now
    WHERE id = :id AND status = 'applying' AND fence = :fence`,
);

/** A deferral: back to `pending` at `retryAt`, the attempt not counted (an earlier write of the customer is unsettled). */
export const deferChange = define(
  'deferChange',
  `UPDATE pending_changes SET
      status = 'pending',
      retry_at = :retryAt,
      lease_owner = NULL,
      lease_expires_at = NULL,
      updated_at = :now
    WHERE id = :id AND status = 'applying' AND fence = :fence`,
);

// --- write intents -----------------------------------------------------------------------------

const UNSETTLED = `('open', 'uncertain')`;

export const insertIntent = define(
  'insertIntent',
  (d) => `INSERT INTO write_intents (
      customer_id, source, actor, action, request_id, change_id, superseded_change_id,
      offerings_before, target_offerings, customer_update, status, settle_after, owner, created_at)
    VALUES (:customerId, :source, :actor, :action, :requestId, :changeId, :supersededChangeId,
      ${d.json('offeringsBefore')}, ${d.json('targetOfferings')}, ${d.json('customerUpdate')}, 'open', :settleAfter, :owner, :now)
    RETURNING *`,
);
/** Locked (PostgreSQL) by the caller's customer row lock first; the unique index keeps it to one. */
export const unsettledIntentOf = define(
  'unsettledIntentOf',
  (d) =>
    `SELECT * FROM write_intents${d.indexedBy('write_intents_one_unsettled_per_customer')} WHERE customer_id = :customerId AND status IN ${UNSETTLED}`,
);
export const intentById = define('intentById', 'SELECT * FROM write_intents WHERE id = :id');
export const latestIntentOf = define(
  'latestIntentOf',
  (d) => `SELECT * FROM write_intents${d.indexedBy('write_intents_by_customer')} WHERE customer_id = :customerId ORDER BY id DESC LIMIT 1`,
);
export const markIntentUncertain = define(
  'markIntentUncertain',
  `UPDATE write_intents SET status = 'uncertain', settle_after = :settleAfter WHERE id = :id AND status IN ${UNSETTLED}`,
);
export const settleIntent = define(
  'settleIntent',
  `UPDATE write_intents SET status = :status, settled_at = :now, settle_after = coalesce(:settleAfter, settle_after)
    WHERE id = :id AND status IN ${UNSETTLED}`,
);
export const settleableIntents = define(
  'settleableIntents',
  (d) =>
    `SELECT * FROM write_intents${d.indexedBy('write_intents_settleable')} WHERE status IN ${UNSETTLED} AND settle_after <= :now ORDER BY settle_after, id LIMIT :limit`,
);
export const listIntents = filtered('listIntents', () => ({
  select: 'SELECT * FROM write_intents',
  where: [],
  filters: { customerId: 'customer_id = :customerId', unsettled: `status IN ${UNSETTLED}` },
  order: ' ORDER BY id',
}));

// --- audit -------------------------------------------------------------------------------------

export const insertAudit = define(
  'insertAudit',
  (d) => `INSERT INTO audit_log (at, actor, action, customer_id, change_id, outcome, offerings_before, offerings_after, detail)
    VALUES (:at, :actor, :action, :customerId, :changeId, :outcome, ${d.json('offeringsBefore')}, ${d.json('offeringsAfter')}, :detail)`,
);
export const listAudit = filtered('listAudit', () => ({
  select: 'SELECT * FROM audit_log',
  where: [],
  filters: { customerId: 'customer_id = :customerId', changeId: 'change_id = :changeId' },
  order: ' ORDER BY id',
}));

// --- caller ledger -----------------------------------------------------------------------------
// Additions commute: two instances adding to one row each add their own count; first and last
// seen take the earlier and the later; the last status goes with the later last seen. A batch
// holds each key (and key and day) once, as one statement may not upsert a row twice.

const LEDGER_KEY = 'reseller, auth_style, surface, task, format, outcome';
/** The key columns of a JSON row `r` of the batch (its fields are written by ledger-operations.ts). */
const keyOfRow = `r.value ->> 'reseller', r.value ->> 'authStyle', r.value ->> 'surface', r.value ->> 'task', r.value ->> 'format', r.value ->> 'outcome'`;
const instantOfRow = (d: Dialect, field: string) => (d.name === 'postgres' ? `(r.value ->> '${field}')::timestamptz` : `r.value ->> '${field}'`);

/** A whole batch in one statement: one row per key, in key order (`WHERE true`: SQLite's upsert-after-SELECT rule). */
export const addUsageTotals = define(
  'addUsageTotals',
  (d) => `INSERT INTO usage_totals (${LEDGER_KEY}, count, first_seen, last_seen, last_status)
    SELECT ${keyOfRow}, ${d.integer(`r.value ->> 'count'`)}, ${instantOfRow(d, 'firstSeen')}, ${instantOfRow(d, 'lastSeen')}, ${d.integer(`r.value ->> 'lastStatus'`)}
      FROM ${d.jsonRows('rows', 'r')} WHERE true ORDER BY r.key
    ON CONFLICT (${LEDGER_KEY}) DO UPDATE SET
      count = usage_totals.count + excluded.count,
      first_seen = CASE WHEN excluded.first_seen < usage_totals.first_seen THEN excluded.first_seen ELSE usage_totals.first_seen END,
      last_seen = CASE WHEN excluded.last_seen >= usage_totals.last_seen THEN excluded.last_seen ELSE usage_totals.last_seen END,
      last_status = CASE WHEN excluded.last_seen >= usage_totals.last_seen THEN excluded.last_status ELSE usage_totals.last_status END`,
);
export const addUsageDays = define(
  'addUsageDays',
  (d) => `INSERT INTO usage_days (${LEDGER_KEY}, day, count)
    SELECT ${keyOfRow}, r.value ->> 'day', ${d.integer(`r.value ->> 'count'`)} FROM ${d.jsonRows('rows', 'r')} WHERE true ORDER BY r.key
    ON CONFLICT (${LEDGER_KEY}, day) DO UPDATE SET count = usage_days.count + excluded.count`,
);
export const usageCallers = define('usageCallers', 'SELECT DISTINCT reseller FROM usage_totals ORDER BY reseller');
export const ledgerEntries = define(
  'ledgerEntries',
  `SELECT ${LEDGER_KEY}, count, first_seen, last_seen, last_status FROM usage_totals ORDER BY ${LEDGER_KEY}`,
);
export const ledgerDays = define(
  'ledgerDays',
  `SELECT ${LEDGER_KEY}, day, count FROM usage_days WHERE day >= :since ORDER BY day, ${LEDGER_KEY}`,
);
/** The operator page's read: per reseller, surface and task, its `day=count` pairs (auth styles, formats and outcomes summed), one row each. */
export const ledgerTaskDays = define(
  'ledgerTaskDays',
  // One group per reseller, surface and task, streamed in the order of usage_days_for_page; a day
  // may come once per auth style, format and outcome: the codec sums them.
  (d) => `SELECT reseller, surface, task, ${d.name === 'postgres' ? 'string_agg' : 'group_concat'}(day || '=' || count, ',') AS days
    FROM usage_days WHERE day >= :since
    GROUP BY reseller, surface, task`,
);
export const pruneUsageDays = define('pruneUsageDays', 'DELETE FROM usage_days WHERE day < :before');

// --- brownouts ---------------------------------------------------------------------------------

export const insertBrownout = define(
  'insertBrownout',
  (d) => `INSERT INTO brownout_windows (starts_at, ends_at, surfaces, tasks, resellers, dry_run, gone_after_sunset, note, created_at)
    VALUES (:startsAt, :endsAt, ${d.json('surfaces')}, ${d.json('tasks')}, ${d.json('resellers')}, :dryRun, :goneAfterSunset, :note, :now)
    RETURNING *`,
);
export const deleteBrownout = define('deleteBrownout', 'DELETE FROM brownout_windows WHERE id = :id');
export const listBrownouts = define('listBrownouts', 'SELECT * FROM brownout_windows ORDER BY starts_at, id');
export const brownoutsNotEnded = define('brownoutsNotEnded', 'SELECT * FROM brownout_windows WHERE ends_at > :now ORDER BY starts_at, id');
export const brownoutSwitch = define('brownoutSwitch', 'SELECT enabled FROM brownout_switch WHERE id = 1');
export const setBrownoutSwitch = define(
  'setBrownoutSwitch',
  `INSERT INTO brownout_switch (id, enabled, updated_at) VALUES (1, :enabled, :now)
    ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
);
export const countBrownoutHits = define(
  'countBrownoutHits',
  'UPDATE brownout_windows SET refused = refused + :refused, would_refuse = would_refuse + :wouldRefuse WHERE id = :id',
);

// --- health and metrics ------------------------------------------------------------------------

export const ping = define('ping', 'SELECT 1 AS ok');
/** Listed changes by status, through the by-status index: the history rows are never read. */
export const listedCounts = define(
  'listedCounts',
  `SELECT status, CAST(count(*) AS integer) AS n FROM pending_changes WHERE status IN ${LISTED} GROUP BY status`,
);
/** When the longest-waiting due pending change became due (its effective or retry time). */
export const oldestDue = define('oldestDue', (d) =>
  d.name === 'sqlite'
    ? `SELECT min(due_at) AS due_at FROM pending_changes INDEXED BY pending_changes_due WHERE status = 'pending' AND due_at <= :now`
    : `SELECT ${isoText(d, 'min(claimable_at)')} AS due_at FROM pending_changes WHERE status = 'pending' AND claimable_at <= :now`,
);

// --- the customer lock across processes (SQLite: customer-lock.ts; PostgreSQL uses advisory locks) --

/** Takes the row when it is free or expired (`now` and the expiry are real time). */
/** A released row is expired, not deleted: its generation must outlive the hold. */
const RELEASED = `'1970-01-01T00:00:00.000Z'`;
export const takeCustomerLock = define(
  'takeCustomerLock',
  `INSERT INTO customer_locks (customer_id, owner, expires_at, generation) VALUES (:customerId, :owner, :expiresAt, 1)
    ON CONFLICT (customer_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, generation = customer_locks.generation + 1
    WHERE customer_locks.expires_at <= :now`,
);
/**
 * Takes the row only if it is still free at the generation read before (0: there was none): no
 * other process took it since. One statement for both cases: a row made since has generation 1 or more.
 */
export const takeCustomerLockAt = define(
  'takeCustomerLockAt',
  `INSERT INTO customer_locks (customer_id, owner, expires_at, generation) VALUES (:customerId, :owner, :expiresAt, 1)
    ON CONFLICT (customer_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, generation = customer_locks.generation + 1
    WHERE customer_locks.generation = :generation AND customer_locks.expires_at <= :now`,
);
export const customerLockHolder = define('customerLockHolder', 'SELECT owner FROM customer_locks WHERE customer_id = :customerId');
export const customerLockState = define(
  'customerLockState',
  'SELECT owner, expires_at, generation FROM customer_locks WHERE customer_id = :customerId',
);
/** Takes the row over from a holder whose process is gone. */
export const takeOverCustomerLock = define(
  'takeOverCustomerLock',
  'UPDATE customer_locks SET owner = :owner, expires_at = :expiresAt, generation = generation + 1 WHERE customer_id = :customerId AND owner = :holder',
);
export const renewCustomerLock = define(
  'renewCustomerLock',
  `UPDATE customer_locks SET expires_at = :expiresAt WHERE customer_id = :customerId AND owner = :owner AND expires_at > ${RELEASED}`,
);
export const releaseCustomerLock = define(
  'releaseCustomerLock',
  `UPDATE customer_locks SET expires_at = ${RELEASED} WHERE customer_id = :customerId AND owner = :owner`,
);

// --- migrations (migrate.ts) -------------------------------------------------------------------

export const migrationHistory = {
  create: define('createMigrationHistory', (d) =>
    d.name === 'sqlite'
      ? `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`
      : `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`,
  ),
  applied: define('appliedMigrations', 'SELECT version, name FROM schema_migrations ORDER BY version'),
  isApplied: define('isMigrationApplied', 'SELECT 1 AS applied FROM schema_migrations WHERE version = :version'),
  record: define('recordMigration', 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (:version, :name, :now)'),
  /** SQLite: the write lock at once, so a second process re-checks under it rather than failing half-way. */
  begin: { sqlite: 'BEGIN IMMEDIATE', postgres: 'BEGIN' } as Record<DialectName, string>,
};
