// Rows to the store's records, for both drivers. The two return the same columns in slightly
// different encodings, and the helpers below accept either: JSON columns as text (SQLite) or
// parsed (PostgreSQL's jsonb), booleans as 0/1 or true/false. Ids and instants already agree
// (PostgreSQL's pool parses int8 as numbers and timestamptz as ISO strings: postgres/connection.ts).
// The schemas' CHECKs guarantee the column types, so the casts here describe rather than hope.
import type { Offering } from '../v3/schemas.js';
import type { AuditRecord, ChangeStatus, ChangeType, CustomerRecord, CustomerUpdate, PendingChange, PendingListing, WriteIntent } from './store.js';
import type { BrownoutWindowRecord, LedgerDay, LedgerEntry, LedgerKey, LedgerTaskDays } from './ledger.js';
import type { Row } from './script.js';

/** Most lists are empty: skip the parser for them. */
function list<T = string>(value: unknown): T[] {
  if (typeof value !== 'string') return value as T[];
  return value === '[]' ? [] : (JSON.parse(value) as T[]);
}

function listOrNull<T>(value: unknown): T[] | null {
  return value === null ? null : list<T>(value);
}

export function bool(value: unknown): boolean {
  return value === true || value === 1;
}

export function toCustomer(r: Row): CustomerRecord {
  return {
    id: r.id as number,
    reseller: r.reseller as string,
    username: r.username as string | null,
    businessUid: r.business_uid as string | null,
    accountId: r.account_id as string,
    billingDay: r.billing_day as number | null,
    ips: list(r.ips),
    ipGroups: list(r.ip_groups),
    tags: list(r.tags),
    subscriptionParams: list<[string, string]>(r.subscription_params),
    active: bool(r.active),
  };
}

/**
 * `listPending` rows, read as arrays in the order of LISTING_COLUMNS, made into listings in place
 * (each row is garbage as soon as its listing is made: 10,000 of them are never alive twice over).
 * A list's IPs and groups take a handful of values over thousands of entries: each JSON text is
 * parsed once per listing and the same frozen array shared.
 */
export function toListings(rows: unknown[][]): PendingListing[] {
  const lists = new Map<string, readonly string[]>();
  const shared = (value: unknown): readonly string[] => {
    if (typeof value !== 'string') return value as string[];
    let parsed = lists.get(value);
    if (parsed === undefined) lists.set(value, (parsed = Object.freeze(list(value))));
    return parsed;
  };
  const listings = rows as unknown[] as PendingListing[];
  for (let i = 0; i < rows.length; i++) {
    const [username, type, currentPackage, targetPackage, ips, ipGroups, effectiveAt] = rows[i]!;
    listings[i] = {
      username: username as string,
      type: type as ChangeType,
      currentPackage: currentPackage as string,
      targetPackage: targetPackage as string,
      ips: shared(ips),
      ipGroups: shared(ipGroups),
      effectiveAt: effectiveAt as string,
    };
  }
  return listings;
}

export function toChange(r: Row): PendingChange {
  return {
    id: r.id as number,
    customerId: r.customer_id as number,
    reseller: r.reseller as string,
    username: r.username as string,
    accountId: r.account_id as string,
    type: r.type as ChangeType,
    currentPackage: r.current_package as string,
    targetPackage: r.target_package as string,
    ips: list(r.ips),
    ipGroups: list(r.ip_groups),
    effectiveAt: r.effective_at as string,
    status: r.status as ChangeStatus,
    attempts: r.attempts as number,
    lastError: r.last_error as string | null,
    retryAt: r.retry_at as string | null,
    leaseOwner: r.lease_owner as string | null,
    leaseExpiresAt: r.lease_expires_at as string | null,
    fence: r.fence as number,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

/** What an intent's row holds as JSON. */
export type IntentPayload = Pick<WriteIntent, 'offeringsBefore' | 'targetOfferings' | 'customerUpdate'>;

/**
 * Decoded at once, into one object of one shape: getters that decode a field on first use cost
 * more than the three parses they save (1.9 against 1.1 µs an intent), and make each intent a
 * slow dictionary-mode object for every reader after.
 */
export function toIntent(r: Row): WriteIntent {
  return intentOf(r);
}

/** An intent just inserted: its payload as the caller gave it, not parsed back from the JSON just written. */
export function toOpenedIntent(r: Row, payload: IntentPayload): WriteIntent {
  return intentOf(r, payload);
}

function intentOf(r: Row, payload: IntentPayload = payloadOf(r)): WriteIntent {
  return {
    id: r.id as number,
    customerId: r.customer_id as number,
    source: r.source as WriteIntent['source'],
    actor: r.actor as WriteIntent['actor'],
    action: r.action as string,
    requestId: r.request_id as string | null,
    changeId: r.change_id as number | null,
    supersededChangeId: r.superseded_change_id as number | null,
    offeringsBefore: payload.offeringsBefore,
    targetOfferings: payload.targetOfferings,
    customerUpdate: payload.customerUpdate,
    status: r.status as WriteIntent['status'],
    settleAfter: r.settle_after as string,
    owner: r.owner as string,
    createdAt: r.created_at as string,
    settledAt: r.settled_at as string | null,
  };
}

function payloadOf(r: Row): IntentPayload {
  const update = r.customer_update;
  return {
    offeringsBefore: list<Offering>(r.offerings_before),
    targetOfferings: list<Offering>(r.target_offerings),
    customerUpdate: (typeof update === 'string' ? JSON.parse(update) : update) as CustomerUpdate,
  };
}

/** Optional fields are left out when empty, so a record reads like the input that wrote it. */
export function toAudit(r: Row): AuditRecord {
  const record: AuditRecord = {
    id: r.id as number,
    at: r.at as string,
    actor: r.actor as AuditRecord['actor'],
    action: r.action as string,
    customerId: r.customer_id as number,
    outcome: r.outcome as string,
  };
  const before = listOrNull<Offering>(r.offerings_before);
  const after = listOrNull<Offering>(r.offerings_after);
  if (r.change_id !== null) record.changeId = r.change_id as number;
  if (before !== null) record.offeringsBefore = before;
  if (after !== null) record.offeringsAfter = after;
  if (r.detail !== null) record.detail = r.detail as string;
  return record;
}

/** A JSON column's parameter, or null to leave the column as it is (see the COALESCEs in the updates). */
export function jsonOrNull(value: readonly unknown[] | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function toLedgerEntry(r: Row): LedgerEntry {
  return {
    ...toLedgerKey(r),
    count: r.count as number,
    firstSeen: r.first_seen as string,
    lastSeen: r.last_seen as string,
    lastStatus: r.last_status as number,
  };
}

/** `day=count,…` pairs, a day possibly more than once (one per auth style, format, outcome): summed. */
export function toLedgerTaskDays(r: Row): LedgerTaskDays {
  const days = new Map<string, number>();
  for (const pair of String(r.days).split(',')) {
    const day = pair.slice(0, 10);
    days.set(day, (days.get(day) ?? 0) + Number(pair.slice(11)));
  }
  return { reseller: r.reseller as string, surface: r.surface as LedgerTaskDays['surface'], task: r.task as string, days: [...days] };
}

export function toLedgerDay(r: Row): LedgerDay {
  return { ...toLedgerKey(r), day: r.day as string, count: r.count as number };
}

function toLedgerKey(r: Row): LedgerKey {
  return {
    reseller: r.reseller as string,
    authStyle: r.auth_style as LedgerKey['authStyle'],
    surface: r.surface as LedgerKey['surface'],
    task: r.task as string,
    format: r.format as LedgerKey['format'],
    outcome: r.outcome as LedgerKey['outcome'],
  };
}

export function toBrownoutWindow(r: Row): BrownoutWindowRecord {
  return {
    id: r.id as number,
    startsAt: new Date(r.starts_at as string),
    endsAt: new Date(r.ends_at as string),
    surfaces: list(r.surfaces),
    tasks: list(r.tasks),
    resellers: list(r.resellers),
    dryRun: bool(r.dry_run),
    goneAfterSunset: bool(r.gone_after_sunset),
    note: r.note as string | null,
    refused: r.refused as number,
    wouldRefuse: r.would_refuse as number,
    createdAt: r.created_at as string,
  };
}
