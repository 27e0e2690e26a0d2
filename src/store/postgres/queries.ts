// Every SQL statement of the PostgreSQL store, in one place. Parameters are positional; jsonb
// values are sent as JSON text, timestamps as ISO strings. The listed-status literal must
// match the partial indexes' WHERE exactly (postgres/migrations.ts) for the planner to use them.

export const LISTED = `('pending', 'applying', 'failed')`;

export const customerQueries = {
  byId: 'SELECT * FROM customers WHERE id = $1',
  /** Every write about one customer starts here: it orders them, and their row locks (customer, then change). */
  lockById: 'SELECT * FROM customers WHERE id = $1 FOR NO KEY UPDATE',
  byUsername: 'SELECT * FROM customers WHERE reseller = $1 AND username = $2',
  byBusinessUid: 'SELECT * FROM customers WHERE business_uid = $1',
  /** The import's reads: every customer named by (reseller, username) or business uid, locked. */
  namedByImport: `SELECT * FROM customers
    WHERE (reseller, username) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       OR business_uid = ANY ($3::text[])
    ORDER BY id
    FOR NO KEY UPDATE`,
  /** $1 a JSON array of customers as the import leaves them, $2 now. */
  reimportAll: `UPDATE customers c SET
      reseller = d.reseller,
      username = d.username,
      business_uid = d.business_uid,
      account_id = d.account_id,
      billing_day = d.billing_day,
      active = true,
      updated_at = $2
    FROM jsonb_to_recordset($1::jsonb)
      AS d (id integer, reseller text, username text, business_uid text, account_id text, billing_day integer)
    WHERE c.id = d.id`,
  /** $1 a JSON array of new customers, $2 now; ids are given in the array's order. */
  insertAll: `INSERT INTO customers (reseller, username, business_uid, account_id, billing_day, created_at, updated_at)
    SELECT d.value ->> 'reseller', d.value ->> 'username', d.value ->> 'business_uid', d.value ->> 'account_id',
      (d.value ->> 'billing_day')::integer, $2, $2
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS d (value, n)
    ORDER BY d.n`,
  inactivateAllBut: `UPDATE customers SET active = false, updated_at = $1
    WHERE active AND id <> ALL ($2::integer[])`,
  setBillingDay: 'UPDATE customers SET billing_day = $1, updated_at = $2 WHERE id = $3',
  /** NULL leaves a column as it is: CustomerUpdate's absent fields. */
  update: `UPDATE customers SET
      ips = coalesce($2::jsonb, ips),
      ip_groups = coalesce($3::jsonb, ip_groups),
      tags = coalesce($4::jsonb, tags),
      subscription_params = coalesce($5::jsonb, subscription_params),
      updated_at = $6
    WHERE id = $1`,
  /** IPs held by another active customer, or asked for by another customer's pending change. */
  ipHolders: `SELECT held.ip, c.id AS customer_id
    FROM customers c CROSS JOIN LATERAL jsonb_array_elements_text(c.ips) AS held (ip)
    WHERE c.reseller = $1 AND c.active AND c.id <> $2 AND held.ip = ANY ($3::text[])
    UNION ALL
    SELECT wanted.ip, p.customer_id
    FROM pending_changes p CROSS JOIN LATERAL jsonb_array_elements_text(p.ips) AS wanted (ip)
    WHERE p.reseller = $1 AND p.status IN ('pending', 'applying') AND p.customer_id <> $2 AND wanted.ip = ANY ($3::text[])`,
} as const;

export const changeQueries = {
  byId: 'SELECT * FROM pending_changes WHERE id = $1',
  customerOf: 'SELECT customer_id FROM pending_changes WHERE id = $1',
  /** Locked, so a claim in flight is waited for and seen as `applying`, never overwritten. */
  listedOfCustomer: `SELECT * FROM pending_changes WHERE customer_id = $1 AND status IN ${LISTED} FOR UPDATE`,
  insert: `INSERT INTO pending_changes (
      customer_id, reseller, username, account_id, type, current_package, target_package,
      ips, ip_groups, effective_at, status, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, 'pending', $11, $11)
    RETURNING *`,
  supersede: `UPDATE pending_changes SET status = 'superseded', lease_owner = NULL, lease_expires_at = NULL, updated_at = $1
    WHERE id = $2 AND status IN ${LISTED}`,
  cancel: `UPDATE pending_changes SET status = 'cancelled', updated_at = $1
    WHERE id = $2 AND status IN ('pending', 'failed') RETURNING *`,
  /** `listPending`: extra filters are appended before the ORDER BY. */
  listedOfReseller: `SELECT id, customer_id, reseller, username, type, current_package, target_package, ips, ip_groups, effective_at, status, last_error FROM pending_changes WHERE reseller = $1 AND status IN ${LISTED}`,
  listedOrder: ' ORDER BY effective_at, id',
  byStatuses: 'SELECT * FROM pending_changes WHERE status = ANY ($1::text[]) ORDER BY id',
  /**
   * $1 now, $2 owner, $3 lease expiry, $4 limit. One statement: lock the first claimable rows
   * that no other instance holds (SKIP LOCKED: concurrent claims take disjoint rows and never
   * wait for each other), then take them. SET expressions see the row before the update, so
   * `status = 'applying'` there means a lease expired. `claim_order` is the claimable time
   * before the update, since RETURNING has no order.
   */
  claim: `WITH due AS MATERIALIZED (
      SELECT id, claimable_at, status = 'applying' AS lease_expired FROM pending_changes
      WHERE status IN ('pending', 'applying') AND claimable_at <= $1
      ORDER BY claimable_at, id
      LIMIT $4
      FOR UPDATE SKIP LOCKED)
    UPDATE pending_changes p SET
      attempts = p.attempts + CASE WHEN p.status = 'applying' THEN 1 ELSE 0 END,
      last_error = CASE WHEN p.status = 'applying'
                        THEN 'lease of ' || p.lease_owner || ' expired at '
                             || to_char(p.lease_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                        ELSE p.last_error END,
      status = 'applying',
      lease_owner = $2,
      lease_expires_at = $3,
      fence = p.fence + 1,
      updated_at = $1
    FROM due
    WHERE p.id = due.id
    RETURNING p.*, due.claimable_at AS claim_order, due.lease_expired`,
  /** $1 id, $2 fence, $3 status, $4 error, $5 retry time, $6 now. A stale fence matches nothing. */
  finish: `UPDATE pending_changes SET
      status = $3,
      attempts = attempts + 1,
      last_error = coalesce($4, last_error),
      retry_at = $5,
      lease_owner = NULL,
      lease_expires_at = NULL,
      updated_at = $6
    WHERE id = $1 AND status = 'applying' AND fence = $2
    RETURNING customer_id`,
} as const;

export const auditQueries = {
  insert: `INSERT INTO audit_log (at, actor, action, customer_id, change_id, outcome, offerings_before, offerings_after, detail)
    VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)`,
} as const;

/** Advisory locks taken inside a transaction, released by its end. */
export const lockQueries = {
  /** Imports run one at a time: two instances importing the same mappings would race to insert them. */
  importXact: 'SELECT pg_advisory_xact_lock($1, 0)',
} as const;
