// Every SQL statement of the SQLite store, in one place so tests can check the query
// plans of the hot ones (listing, claim) against the indexes in migrations.ts. Those name
// their index (INDEXED BY): the planner cannot drift to a scan as the data grows, and a
// statement that could not use it fails to prepare instead of silently reading history.
// The listed-status literal must match the partial indexes' WHERE exactly.

export const LISTED = `('pending', 'applying', 'failed')`;

export const customerQueries = {
  byId: 'SELECT * FROM customers WHERE id = ?',
  byUsername: 'SELECT * FROM customers WHERE reseller = ? AND username = ?',
  byBusinessUid: 'SELECT * FROM customers WHERE business_uid = ?',
  insert: `INSERT INTO customers (reseller, username, business_uid, account_id, billing_day, created_at, updated_at)
    VALUES (:reseller, :username, :businessUid, :accountId, :billingDay, :now, :now) RETURNING id`,
  /**
   * An identifier the import leaves out is kept (a legacy and a directory entry may each name one).
   * A billing day derived from the old account is dropped when the account changes, to be resolved again.
   */
  reimport: `UPDATE customers SET
      reseller = :reseller,
      username = coalesce(:username, username),
      business_uid = coalesce(:businessUid, business_uid),
      billing_day = CASE WHEN :billingDay IS NOT NULL THEN :billingDay
                         WHEN account_id <> :accountId THEN NULL
                         ELSE billing_day END,
      account_id = :accountId,
      active = 1,
      updated_at = :now
    WHERE id = :id`,
  inactivateAllBut: `UPDATE customers SET active = 0, updated_at = :now
    WHERE active = 1 AND id NOT IN (SELECT value FROM json_each(:keptIds))`,
  setBillingDay: 'UPDATE customers SET billing_day = ?, updated_at = ? WHERE id = ?',
  /** NULL leaves a column as it is: CustomerUpdate's absent fields. */
  update: `UPDATE customers SET
      ips = coalesce(:ips, ips),
      ip_groups = coalesce(:ipGroups, ip_groups),
      tags = coalesce(:tags, tags),
      subscription_params = coalesce(:subscriptionParams, subscription_params),
      updated_at = :now
    WHERE id = :id`,
  /** IPs held by another active customer, or asked for by another customer's pending change. */
  ipHolders: `SELECT held.value AS ip, c.id AS customer_id
    FROM customers c, json_each(c.ips) held
    WHERE c.reseller = :reseller AND c.active = 1 AND c.id <> :except AND held.value IN (SELECT value FROM json_each(:ips))
    UNION ALL
    SELECT wanted.value AS ip, p.customer_id
    FROM pending_changes p, json_each(p.ips) wanted
    WHERE p.reseller = :reseller AND p.status IN ('pending', 'applying') AND p.customer_id <> :except
      AND wanted.value IN (SELECT value FROM json_each(:ips))`,
} as const;

/** The columns `listPending` reads, in the order `toListing` expects them (rows come back as arrays). */
export const LISTING_COLUMNS = [
  'id',
  'customer_id',
  'reseller',
  'username',
  'type',
  'current_package',
  'target_package',
  'ips',
  'ip_groups',
  'effective_at',
  'status',
  'last_error',
] as const;

export const changeQueries = {
  byId: 'SELECT * FROM pending_changes WHERE id = ?',
  listedOfCustomer: `SELECT * FROM pending_changes INDEXED BY pending_changes_one_listed_per_customer WHERE customer_id = ? AND status IN ${LISTED}`,
  insert: `INSERT INTO pending_changes (
      customer_id, reseller, username, account_id, type, current_package, target_package,
      ips, ip_groups, effective_at, status, created_at, updated_at)
    VALUES (:customerId, :reseller, :username, :accountId, :type, :currentPackage, :targetPackage,
      :ips, :ipGroups, :effectiveAt, 'pending', :now, :now)
    RETURNING *`,
  supersede: `UPDATE pending_changes SET status = 'superseded', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
    WHERE id = ? AND status IN ${LISTED}`,
  cancel: `UPDATE pending_changes SET status = 'cancelled', updated_at = ?
    WHERE id = ? AND status IN ('pending', 'failed') RETURNING *`,
  /** `listPending`: extra filters are appended before the ORDER BY. */
  listedOfReseller: `SELECT ${LISTING_COLUMNS.join(', ')} FROM pending_changes INDEXED BY pending_changes_listed WHERE reseller = :reseller AND status IN ${LISTED}`,
  listedOrder: ' ORDER BY effective_at, id',
  duePending: `SELECT id, due_at AS claimable_at, 0 AS lease_expired FROM pending_changes INDEXED BY pending_changes_due
    WHERE status = 'pending' AND due_at <= :now ORDER BY due_at, id LIMIT :limit`,
  expiredLeases: `SELECT id, lease_expires_at AS claimable_at, 1 AS lease_expired FROM pending_changes INDEXED BY pending_changes_leases
    WHERE status = 'applying' AND lease_expires_at <= :now ORDER BY lease_expires_at, id LIMIT :limit`,
  /** SET expressions see the row before the update, so `status = 'applying'` means a lease expired. */
  claim: `UPDATE pending_changes SET
      attempts = attempts + (status = 'applying'),
      last_error = CASE WHEN status = 'applying'
                        THEN 'lease of ' || lease_owner || ' expired at ' || lease_expires_at
                        ELSE last_error END,
      status = 'applying',
      lease_owner = :owner,
      lease_expires_at = :leaseExpiresAt,
      fence = fence + 1,
      updated_at = :now
    WHERE id = :id AND (status = 'pending' OR (status = 'applying' AND lease_expires_at <= :now))
    RETURNING *`,
  /** The fence check makes a finish by a caller whose lease was taken over a no-op. */
  finish: `UPDATE pending_changes SET
      status = :status,
      attempts = attempts + 1,
      last_error = coalesce(:error, last_error),
      retry_at = :retryAt,
      lease_owner = NULL,
      lease_expires_at = NULL,
      updated_at = :now
    WHERE id = :id AND status = 'applying' AND fence = :fence
    RETURNING customer_id`,
} as const;

export const auditQueries = {
  insert: `INSERT INTO audit_log (at, actor, action, customer_id, change_id, outcome, offerings_before, offerings_after, detail)
    VALUES (:at, :actor, :action, :customerId, :changeId, :outcome, :offeringsBefore, :offeringsAfter, :detail)`,
} as const;
