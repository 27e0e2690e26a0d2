// Rows as the store's pool returns them (jsonb parsed, int8 as numbers, timestamptz as ISO
// strings: see connection.ts), and their conversion to the store's records. Type aliases,
// not interfaces, so they satisfy pg's QueryResultRow.
import type { AuditRecord, ChangeStatus, ChangeType, CustomerRecord, PendingChange, PendingListing } from '../store.js';
import type { Offering } from '../../v3/schemas.js';

export type CustomerRow = {
  id: number;
  reseller: string;
  username: string | null;
  business_uid: string | null;
  account_id: string;
  billing_day: number | null;
  ips: string[];
  ip_groups: string[];
  tags: string[];
  subscription_params: [string, string][];
  active: boolean;
}

export type ChangeRow = {
  id: number;
  customer_id: number;
  reseller: string;
  username: string;
  account_id: string;
  type: ChangeType;
  current_package: string;
  target_package: string;
  ips: string[];
  ip_groups: string[];
  effective_at: string;
  status: ChangeStatus;
  attempts: number;
  last_error: string | null;
  retry_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  fence: number;
  created_at: string;
  updated_at: string;
}

export type AuditRow = {
  id: number;
  at: string;
  actor: AuditRecord['actor'];
  action: string;
  customer_id: number;
  change_id: number | null;
  outcome: string;
  offerings_before: Offering[] | null;
  offerings_after: Offering[] | null;
  detail: string | null;
}

export function toCustomer(r: CustomerRow): CustomerRecord {
  return {
    id: r.id,
    reseller: r.reseller,
    username: r.username,
    businessUid: r.business_uid,
    accountId: r.account_id,
    billingDay: r.billing_day,
    ips: r.ips,
    ipGroups: r.ip_groups,
    tags: r.tags,
    subscriptionParams: r.subscription_params,
    active: r.active,
  };
}

/** The listed columns only (see LISTING_FIELDS). */
export function toListing(r: ChangeRow): PendingListing {
  return {
    id: r.id,
    customerId: r.customer_id,
    reseller: r.reseller,
    username: r.username,
    type: r.type,
    currentPackage: r.current_package,
    targetPackage: r.target_package,
    ips: r.ips,
    ipGroups: r.ip_groups,
    effectiveAt: r.effective_at,
    status: r.status,
    lastError: r.last_error,
  };
}

/** A whole change: the listed fields plus the bookkeeping ones. */
export function toChange(r: ChangeRow): PendingChange {
  return {
    ...toListing(r),
    accountId: r.account_id,
    attempts: r.attempts,
    retryAt: r.retry_at,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at,
    fence: r.fence,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Optional fields are left out when empty, so a record reads like the input that wrote it. */
export function toAudit(r: AuditRow): AuditRecord {
  const record: AuditRecord = {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    customerId: r.customer_id,
    outcome: r.outcome,
  };
  if (r.change_id !== null) record.changeId = r.change_id;
  if (r.offerings_before !== null) record.offeringsBefore = r.offerings_before;
  if (r.offerings_after !== null) record.offeringsAfter = r.offerings_after;
  if (r.detail !== null) record.detail = r.detail;
  return record;
}

/** A jsonb parameter, or null to leave the column as it is (see the COALESCEs in the updates). */
export function jsonOrNull(value: unknown[] | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
