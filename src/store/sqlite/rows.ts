// Rows as SQLite returns them, and their conversion to the store's records. The schema's
// CHECKs guarantee the column types, so the casts here describe rather than hope.
import type { SQLOutputValue } from 'node:sqlite';
import type { AuditRecord, ChangeStatus, ChangeType, CustomerRecord, PendingChange, PendingListing } from '../store.js';
import type { Offering } from '../../v3/schemas.js';

type Row = Record<string, SQLOutputValue>;

export interface CustomerRow {
  id: number;
  reseller: string;
  username: string | null;
  business_uid: string | null;
  account_id: string;
  billing_day: number | null;
  ips: string;
  ip_groups: string;
  tags: string;
  subscription_params: string;
  active: number;
}

export interface ChangeRow {
  id: number;
  customer_id: number;
  reseller: string;
  username: string;
  account_id: string;
  type: ChangeType;
  current_package: string;
  target_package: string;
  ips: string;
  ip_groups: string;
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

interface AuditRow {
  id: number;
  at: string;
  actor: AuditRecord['actor'];
  action: string;
  customer_id: number;
  change_id: number | null;
  outcome: string;
  offerings_before: string | null;
  offerings_after: string | null;
  detail: string | null;
}

export function asCustomerRow(row: Row): CustomerRow {
  return row as unknown as CustomerRow;
}

export function asChangeRow(row: Row): ChangeRow {
  return row as unknown as ChangeRow;
}

export function toCustomer(row: Row): CustomerRecord {
  const r = asCustomerRow(row);
  return {
    id: r.id,
    reseller: r.reseller,
    username: r.username,
    businessUid: r.business_uid,
    accountId: r.account_id,
    billingDay: r.billing_day,
    ips: jsonList(r.ips),
    ipGroups: jsonList(r.ip_groups),
    tags: jsonList(r.tags),
    subscriptionParams: JSON.parse(r.subscription_params) as [string, string][],
    active: r.active === 1,
  };
}

export function toChange(row: Row): PendingChange {
  const r = asChangeRow(row);
  return {
    id: r.id,
    customerId: r.customer_id,
    reseller: r.reseller,
    username: r.username,
    accountId: r.account_id,
    type: r.type,
    currentPackage: r.current_package,
    targetPackage: r.target_package,
    ips: jsonList(r.ips),
    ipGroups: jsonList(r.ip_groups),
    effectiveAt: r.effective_at,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    retryAt: r.retry_at,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at,
    fence: r.fence,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A `listPending` row, read as an array in the order of LISTING_COLUMNS: 10,000 of them stay cheap. */
export function toListing(row: readonly SQLOutputValue[]): PendingListing {
  const [id, customerId, reseller, username, type, currentPackage, targetPackage, ips, ipGroups, effectiveAt, status, lastError] = row;
  return {
    id: id as number,
    customerId: customerId as number,
    reseller: reseller as string,
    username: username as string,
    type: type as ChangeType,
    currentPackage: currentPackage as string,
    targetPackage: targetPackage as string,
    ips: jsonList(ips as string),
    ipGroups: jsonList(ipGroups as string),
    effectiveAt: effectiveAt as string,
    status: status as ChangeStatus,
    lastError: lastError as string | null,
  };
}

/** Most lists are empty: skip the parser for them. */
function jsonList(text: string): string[] {
  return text === '[]' ? [] : (JSON.parse(text) as string[]);
}

/** Optional fields are left out when empty, so a record reads like the input that wrote it. */
export function toAudit(row: Row): AuditRecord {
  const r = row as unknown as AuditRow;
  const record: AuditRecord = {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    customerId: r.customer_id,
    outcome: r.outcome,
  };
  if (r.change_id !== null) record.changeId = r.change_id;
  if (r.offerings_before !== null) record.offeringsBefore = JSON.parse(r.offerings_before) as Offering[];
  if (r.offerings_after !== null) record.offeringsAfter = JSON.parse(r.offerings_after) as Offering[];
  if (r.detail !== null) record.detail = r.detail;
  return record;
}

/** A JSON column value, or null to leave the column as it is (see the COALESCEs in the updates). */
export function jsonOrNull(value: unknown[] | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

