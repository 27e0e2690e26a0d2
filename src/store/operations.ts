// Every store operation that reads or writes more than one statement, written once for both
// databases as a transaction script (script.ts): plain code between `yield*`s of statements
// from statements.ts. sql-store.ts runs each through its driver's `write` (one transaction) or
// `read`. To add an operation: its statements in statements.ts, its script here, its method in
// store.ts (the port) and sql-store.ts; both drivers then run it as they are.
//
// Scripts run inside a transaction and must not await anything: the SQLite driver steps them
// synchronously (see sqlite.ts).
import { isoInstant } from '../rules/instant.js';
import { bool, jsonOrNull, toChange, toIntent, toOpenedIntent } from './codec.js';
import { planImport, validateImport, type Draft } from './import.js';
import { all, one, run, type Script } from './script.js';
import * as sql from './statements.js';
import {
  ChangeInFlightError,
  type AuditInput,
  type ChangeStatus,
  type CustomerImport,
  type CustomerRef,
  type CustomerUpdate,
  type FinishOutcome,
  type IntentCompletion,
  type IntentSettlement,
  type NewPendingChange,
  type NewWriteIntent,
  type WriteIntent,
  WriteUnsettledError,
  type PendingChange,
  type ScheduleResult,
  type Workload,
} from './store.js';
import type { Row } from './script.js';

export type ChangeAudit = Omit<AuditInput, 'changeId' | 'customerId'>;

export const CHANGE_STATUSES: readonly ChangeStatus[] = ['pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed'];

// --- health and metrics ------------------------------------------------------------------------

export function* workload(now: string): Script<Workload> {
  const listed: Workload['listed'] = { pending: 0, applying: 0, failed: 0 };
  for (const row of yield* all<{ status: keyof Workload['listed']; n: number | string }>(sql.listedCounts)) listed[row.status] = Number(row.n);
  const oldest = yield* one<{ due_at: string | null }>(sql.oldestDue, { now });
  return { listed, oldestDueAt: oldest?.due_at ? new Date(oldest.due_at) : undefined };
}

// --- pieces shared by several operations ------------------------------------------------------

export function* findCustomerRow(ref: CustomerRef): Script<Row | undefined> {
  if ('id' in ref) return yield* one(sql.customerById, { id: ref.id });
  if ('businessUid' in ref) return yield* one(sql.customerByBusinessUid, { businessUid: ref.businessUid });
  return yield* one(sql.customerByUsername, { reseller: ref.reseller, username: ref.username });
}

/** See Store.getChangeForAttempt. */
export function* changeForAttempt(id: number): Script<{ change: Row; customer: Row | undefined; latestIntent: Row | undefined } | undefined> {
  const change = yield* one(sql.changeById, { id });
  if (!change) return undefined;
  const customerId = change.customer_id as number;
  return { change, customer: yield* one(sql.customerById, { id: customerId }), latestIntent: yield* one(sql.latestIntentOf, { customerId }) };
}

/** Every write about a customer starts here: it orders them (see statements.ts). */
function* lockCustomer(customerId: number, statement = sql.lockCustomer): Script<Row> {
  const row = yield* one(statement, { id: customerId });
  if (!row) throw new Error(`unknown customer ${customerId}`);
  return row;
}

function* listedChangeOf(customerId: number): Script<PendingChange | undefined> {
  const row = yield* one(sql.listedChangeOf, { customerId });
  return row && toChange(row);
}

export function* insertAudit(audit: AuditInput, now: string): Script<void> {
  yield* run(sql.insertAudit, {
    at: now,
    actor: audit.actor,
    action: audit.action,
    customerId: audit.customerId,
    changeId: audit.changeId ?? null,
    outcome: audit.outcome,
    offeringsBefore: jsonOrNull(audit.offeringsBefore),
    offeringsAfter: jsonOrNull(audit.offeringsAfter),
    detail: audit.detail ?? null,
  });
}

function* supersede(change: PendingChange, by: Pick<AuditInput, 'actor' | 'action'>, detail: string, now: string): Script<void> {
  if ((yield* run(sql.supersedeChange, { id: change.id, now })) !== 1) throw new Error(`change ${change.id} could not be superseded`);
  const audit: AuditInput = { actor: by.actor, action: by.action, customerId: change.customerId, changeId: change.id, outcome: 'superseded', detail };
  yield* insertAudit(audit, now);
}

function* applyUpdate(customerId: number, update: CustomerUpdate, now: string): Script<void> {
  const changed = yield* run(sql.updateCustomer, {
    id: customerId,
    ips: jsonOrNull(update.ips),
    ipGroups: jsonOrNull(update.ipGroups),
    tags: jsonOrNull(update.tags),
    subscriptionParams: jsonOrNull(update.subscriptionParams),
    now,
  });
  if (changed !== 1) throw new Error(`unknown customer ${customerId}`);
}

// --- customers --------------------------------------------------------------------------------

/** The stored customer is active and already as the import leaves it. */
function isUnchanged(row: Row, draft: Draft): boolean {
  return (
    bool(row.active) &&
    row.reseller === draft.reseller &&
    row.username === draft.username &&
    row.business_uid === draft.business_uid &&
    row.account_id === draft.account_id &&
    row.billing_day === draft.billing_day
  );
}

/** Idempotent: upserts by (reseller, username) or business uid, marks missing ones inactive. */
export function* importCustomers(customers: readonly CustomerImport[], importLockKey: number, now: string): Script<void> {
  customers.forEach(validateImport);
  yield* run(sql.lockImports, { key: importLockKey });
  const named = customers.filter((c) => c.username !== undefined);
  const found = yield* all(sql.customersNamed, {
    names: JSON.stringify(named.map((c) => [c.reseller, c.username])),
    uids: customers.flatMap((c) => (c.businessUid === undefined ? [] : [c.businessUid])),
  });
  const stored = found.map(({ id, reseller, username, business_uid, account_id, billing_day }) => ({ id, reseller, username, business_uid, account_id, billing_day }) as Draft);
  const { reimported, added } = planImport(customers, stored);
  // Only the customers the import changes (or brings back) are rewritten: a restart with the
  // same mappings rewrites none of its 10,000 rows.
  const asFound = new Map(found.map((row) => [row.id as number, row]));
  const changed = reimported.filter((draft) => !isUnchanged(asFound.get(draft.id!)!, draft));
  if (changed.length) yield* run(sql.reimportCustomers, { drafts: JSON.stringify(changed), now });
  // Before the insert: what it adds is active, and is not in this list.
  yield* run(sql.inactivateAllBut, { keptIds: reimported.map((draft) => draft.id!), now });
  if (added.length) yield* run(sql.insertCustomers, { drafts: JSON.stringify(added), now });
}

export function* setBillingDay(customerId: number, day: number, now: string): Script<void> {
  if ((yield* run(sql.setBillingDay, { id: customerId, day, now })) !== 1) throw new Error(`unknown customer ${customerId}`);
}

/** After a successful immediate write upstream: supersede the listed change, update, audit. */
export function* recordImmediateChange(
  customerId: number,
  update: CustomerUpdate,
  audit: AuditInput,
  intent: IntentCompletion | undefined,
  now: string,
): Script<void> {
  yield* lockCustomer(customerId);
  if (intent) yield* closeIntent(intent.id, 'applied', intent.settleAfter, now);
  const listed = yield* listedChangeOf(customerId);
  // Even an `applying` one: this runs under the customer's lock after the write upstream,
  // and the scheduler re-reads its change under that lock before writing.
  if (listed) yield* supersede(listed, audit, `superseded by ${audit.action}`, now);
  yield* applyUpdate(customerId, update, now);
  yield* insertAudit({ ...audit, customerId }, now);
}

export function* updateCustomer(customerId: number, update: CustomerUpdate, audit: AuditInput, now: string): Script<void> {
  yield* lockCustomer(customerId);
  yield* applyUpdate(customerId, update, now);
  yield* insertAudit({ ...audit, customerId }, now);
}

// --- pending changes --------------------------------------------------------------------------

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sortedB = [...b].sort();
  return [...a].sort().every((value, i) => value === sortedB[i]);
}

/** The identical request again: same type, target, IPs, groups and effective time. */
function isSameChange(existing: PendingChange, next: NewPendingChange, effectiveAt: string): boolean {
  return (
    existing.type === next.type &&
    existing.targetPackage === next.targetPackage &&
    existing.effectiveAt === effectiveAt &&
    sameSet(existing.ips, next.ips) &&
    sameSet(existing.ipGroups, next.ipGroups)
  );
}

const joinDetail = (...parts: (string | undefined)[]) => parts.filter(Boolean).join('; ');

/** Accept any instant, store (and compare) the one canonical form. */
export function canonicalInstant(value: string, field: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new TypeError(`${field} is not an ISO-8601 instant: ${JSON.stringify(value)}`);
  return isoInstant(time);
}

/** Store.schedule: stores the change, replacing the listed one. `change.effectiveAt` is canonical. */
export function* storePendingChange(change: NewPendingChange, audit: ChangeAudit, now: string): Script<ScheduleResult> {
  const customer = yield* lockCustomer(change.customerId, sql.lockCustomerRow);
  const customerId = customer.id as number;
  yield* refuseWhileUnsettled(customerId);
  const listed = yield* listedChangeOf(customerId);
  // A failed change is never "unchanged": sending it again is how a client retries it.
  if (listed && listed.status !== 'failed' && isSameChange(listed, change, change.effectiveAt)) {
    yield* insertAudit({ ...audit, customerId, changeId: listed.id, outcome: 'noop' }, now);
    return { outcome: 'unchanged', change: listed };
  }
  if (listed?.status === 'applying') throw new ChangeInFlightError(listed);
  if (listed) yield* supersede(listed, audit, `superseded by a new ${audit.action}`, now);

  const row = yield* one(sql.insertChange, {
    customerId,
    reseller: customer.reseller as string,
    // Scheduling is a legacy task, so the customer has a username; the uid is a fallback.
    username: (customer.username ?? customer.business_uid ?? '') as string,
    accountId: change.accountId,
    type: change.type,
    currentPackage: change.currentPackage,
    targetPackage: change.targetPackage,
    ips: JSON.stringify(change.ips),
    ipGroups: JSON.stringify(change.ipGroups),
    effectiveAt: change.effectiveAt,
    now,
  });
  const created = toChange(row!);
  const outcome = listed ? 'replaced' : 'scheduled';
  const detail = listed ? joinDetail(audit.detail, `replaces change ${listed.id}`) : audit.detail;
  yield* insertAudit({ ...audit, customerId, changeId: created.id, outcome, detail }, now);
  return { outcome: listed ? 'replaced' : 'created', change: created };
}

export function* cancelPending(customerId: number, audit: ChangeAudit, now: string): Script<PendingChange | undefined> {
  yield* lockCustomer(customerId);
  yield* refuseWhileUnsettled(customerId);
  const listed = yield* listedChangeOf(customerId);
  if (!listed) return undefined;
  if (listed.status === 'applying') throw new ChangeInFlightError(listed);
  const cancelled = toChange((yield* one(sql.cancelChange, { id: listed.id, now }))!);
  yield* insertAudit({ ...audit, customerId, changeId: cancelled.id }, now);
  return cancelled;
}

// --- the scheduler's claim and finish ---------------------------------------------------------

/**
 * The audit record of an attempt that never finished (its process died, or its lease ran out),
 * written when the change is claimed again: every attempt leaves a trace.
 */
function leaseExpiredAudit(reclaimed: PendingChange): AuditInput {
  return {
    actor: 'scheduler',
    action: `apply_${reclaimed.type}`,
    customerId: reclaimed.customerId,
    changeId: reclaimed.id,
    outcome: 'lease_expired',
    detail: reclaimed.lastError ?? 'lease expired',
  };
}

export interface ClaimInput {
  /** Claims what is due at this instant. */
  dueAt: string;
  /** The real time now: the lease runs from it, and it stamps the rows. */
  now: string;
  leaseExpiresAt: string;
  owner: string;
  limit: number;
}

export function* claimDue({ dueAt, now, leaseExpiresAt, owner, limit }: ClaimInput): Script<PendingChange[]> {
  const candidates = yield* all(sql.claimCandidates, { dueAt, now, limit });
  const claimed: PendingChange[] = [];
  for (const candidate of candidates) {
    const row = yield* one(sql.claimChange, { id: candidate.id as number, owner, leaseExpiresAt, now });
    if (!row) continue;
    const change = toChange(row);
    if (candidate.lease_expired === true || candidate.lease_expired === 1) yield* insertAudit(leaseExpiredAudit(change), now);
    claimed.push(change);
  }
  return claimed;
}

/** The columns an attempt's end writes, by outcome. */
function finishColumns(outcome: FinishOutcome): { status: ChangeStatus; error: string | null; retryAt: string | null } {
  switch (outcome.status) {
    case 'applied':
      return { status: 'applied', error: null, retryAt: null };
    case 'failed':
      return { status: 'failed', error: outcome.reason, retryAt: null };
    case 'pending':
      return { status: 'pending', error: outcome.error, retryAt: canonicalInstant(outcome.retryAt, 'retryAt') };
    case 'deferred':
      return { status: 'pending', error: null, retryAt: canonicalInstant(outcome.retryAt, 'retryAt') };
  }
}

export function* finishChange(
  id: number,
  fence: number,
  outcome: FinishOutcome,
  update: CustomerUpdate | undefined,
  audit: AuditInput,
  intent: IntentCompletion | undefined,
  now: string,
): Script<boolean> {
  const ending = finishColumns(outcome);
  const owner = yield* one(sql.customerOfChange, { id });
  if (!owner) return false;
  const customerId = owner.customer_id as number;
  yield* lockCustomer(customerId);
  const finished =
    outcome.status === 'deferred'
      ? yield* run(sql.deferChange, { id, fence, now, retryAt: ending.retryAt })
      : yield* run(sql.finishChange, { id, fence, now, ...ending });
  if (finished !== 1) return false;
  if (intent && outcome.status === 'applied') yield* closeIntent(intent.id, 'applied', intent.settleAfter, now);
  if (update && outcome.status === 'applied') yield* applyUpdate(customerId, update, now);
  // The record is about this change, whatever ids the caller's input carried.
  yield* insertAudit({ ...audit, customerId, changeId: id }, now);
  return true;
}

// --- write intents -----------------------------------------------------------------------------

function* unsettledIntentRow(customerId: number): Script<WriteIntent | undefined> {
  const row = yield* one(sql.unsettledIntentOf, { customerId });
  return row && toIntent(row);
}

/** Schedules and cancels wait for the customer's unsettled write: their supersession would race its own. */
function* refuseWhileUnsettled(customerId: number): Script<void> {
  const intent = yield* unsettledIntentRow(customerId);
  if (intent) throw new WriteUnsettledError(intent);
}

function* closeIntent(id: number, status: 'applied' | 'abandoned', settleAfter: string | null, now: string): Script<void> {
  const params = { id, status, now, settleAfter: settleAfter === null ? null : canonicalInstant(settleAfter, 'settleAfter') };
  if ((yield* run(sql.settleIntent, params)) !== 1) throw new Error(`write intent ${id} was already settled`);
}

export function* openIntent(intent: NewWriteIntent, now: string): Script<WriteIntent> {
  yield* lockCustomer(intent.customerId);
  yield* refuseWhileUnsettled(intent.customerId);
  // What the write would supersede if it lands: the listed change as it is now (none for a scheduled write: it is that change).
  const listed = intent.source === 'scheduled' ? undefined : yield* listedChangeOf(intent.customerId);
  const row = yield* one(sql.insertIntent, {
    customerId: intent.customerId,
    source: intent.source,
    actor: intent.actor,
    action: intent.action,
    requestId: intent.requestId ?? null,
    changeId: intent.changeId,
    supersededChangeId: listed?.id ?? null,
    offeringsBefore: JSON.stringify(intent.offeringsBefore),
    targetOfferings: JSON.stringify(intent.targetOfferings),
    customerUpdate: JSON.stringify(intent.customerUpdate),
    settleAfter: canonicalInstant(intent.settleAfter, 'settleAfter'),
    owner: intent.owner,
    now,
  });
  return toOpenedIntent(row!, { offeringsBefore: intent.offeringsBefore, targetOfferings: intent.targetOfferings, customerUpdate: intent.customerUpdate });
}

export function* markIntentUncertain(id: number, settleAfter: string, audit: AuditInput, now: string): Script<boolean> {
  const intent = yield* one(sql.intentById, { id });
  if (!intent) return false;
  yield* lockCustomer(intent.customer_id as number);
  if ((yield* run(sql.markIntentUncertain, { id, settleAfter: canonicalInstant(settleAfter, 'settleAfter') })) !== 1) return false;
  yield* insertAudit({ ...audit, customerId: intent.customer_id as number }, now);
  return true;
}

export function* settleIntent(id: number, settlement: IntentSettlement, now: string): Script<boolean> {
  const found = yield* one(sql.intentById, { id });
  if (!found) return false;
  const intent = toIntent(found);
  yield* lockCustomer(intent.customerId);
  const settleAfter = settlement.settleAfter === undefined ? null : canonicalInstant(settlement.settleAfter, 'settleAfter');
  if ((yield* run(sql.settleIntent, { id, status: settlement.status, now, settleAfter })) !== 1) return false;
  // A landed immediate write is recorded as its success would have been. A landed scheduled one
  // leaves its change to the change's next attempt, which finds the offerings in place (a no-op).
  if (settlement.status === 'applied' && intent.source !== 'scheduled') {
    const listed = yield* listedChangeOf(intent.customerId);
    if (listed && listed.id === intent.supersededChangeId)
      yield* supersede(listed, settlement.audit, `superseded by ${intent.action} (confirmed by read-back)`, now);
    yield* applyUpdate(intent.customerId, intent.customerUpdate, now);
  }
  yield* insertAudit({ ...settlement.audit, customerId: intent.customerId }, now);
  return true;
}

// --- the customer lock across processes (customer-lock.ts) ------------------------------------

/** Takes the customer's lock row for `owner`; returns undefined when taken, else who holds it. */
export function* takeCustomerLock(
  customerId: number,
  owner: string,
  now: string,
  expiresAt: string,
  holderIsGone: (holder: string) => boolean,
): Script<string | undefined> {
  if ((yield* run(sql.takeCustomerLock, { customerId, owner, now, expiresAt })) === 1) return undefined;
  // Inside this transaction the row that refused us cannot go away.
  const holder = ((yield* one(sql.customerLockHolder, { customerId }))?.owner as string | undefined) ?? '';
  if (holderIsGone(holder) && (yield* run(sql.takeOverCustomerLock, { customerId, owner, expiresAt, holder })) === 1) return undefined;
  return holder;
}

/** The customer's lock row as it is now (undefined: none was ever taken), for a lazy hold's first look. */
export function* customerLockState(customerId: number): Script<{ owner: string; expiresAt: string; generation: number } | undefined> {
  const row = yield* one(sql.customerLockState, { customerId });
  return row && { owner: row.owner as string, expiresAt: row.expires_at as string, generation: Number(row.generation) };
}

/** Takes the row for `owner` only if it is still free at `generation` (0: none existed); false when another took it since. */
export function* takeCustomerLockAt(customerId: number, owner: string, generation: number, now: string, expiresAt: string): Script<boolean> {
  return (yield* run(sql.takeCustomerLockAt, { customerId, owner, generation, now, expiresAt })) === 1;
}

export function* renewCustomerLock(customerId: number, owner: string, expiresAt: string): Script<boolean> {
  return (yield* run(sql.renewCustomerLock, { customerId, owner, expiresAt })) === 1;
}

export function* releaseCustomerLock(customerId: number, owner: string): Script<void> {
  yield* run(sql.releaseCustomerLock, { customerId, owner });
}
