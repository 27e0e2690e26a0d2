// The storage interface. Callers only ever see this file (and open.ts). One implementation
// (sql-store.ts) serves both databases through a driver: SQLite (sqlite.ts) is the embedded
// default, PostgreSQL (postgres.ts) serves several bridge instances. Every method that changes
// more than one row does it in one transaction.
//
// Adding an operation is one transaction script and its SQL, each in one place:
//   1. its statements in statements.ts, written once through the dialect layer (dialect.ts);
//   2. its script in operations.ts: a generator that `yield*`s those statements (no await inside);
//   3. its method here and in sql-store.ts (`driver.write(() => ops.yourScript(...))`);
//   4. a table or column: a new migration at the end of schema/sqlite.ts and schema/postgres.ts;
//   5. contract tests in test/store, run against both stores (describe.each(STORES)).
import type { BrownoutStore, LedgerReader, LedgerWriter } from './ledger.js';
import type { Offering } from '../v3/schemas.js';

export type ChangeType = 'upgrade' | 'downgrade' | 'close';
export type ChangeStatus = 'pending' | 'applying' | 'applied' | 'cancelled' | 'superseded' | 'failed';
/** Statuses `reseller.pending list` shows: a failed change stays until an operator acts. */
export const LISTED_STATUSES: readonly ChangeStatus[] = ['pending', 'applying', 'failed'];

export interface CustomerRecord {
  id: number;
  reseller: string;
  username: string | null;
  businessUid: string | null;
  accountId: string;
  /** 1-31; null until resolved from the mapping or the account's `created_at`. */
  billingDay: number | null;
  ips: string[];
  ipGroups: string[];
  tags: string[];
  subscriptionParams: [string, string][];
  /** False once the customer left the mappings: kept for history, never changed again. */
  active: boolean;
}

export interface CustomerImport {
  reseller: string;
  username?: string | undefined;
  businessUid?: string | undefined;
  accountId: string;
  /** From the mapping; when absent the stored day (if any) is kept. */
  billingDay?: number | undefined;
}

export type CustomerRef = { reseller: string; username: string } | { businessUid: string } | { id: number };

export interface PendingChange {
  id: number;
  customerId: number;
  reseller: string;
  username: string;
  /** The account id when the change was scheduled; re-resolved before applying. */
  accountId: string;
  type: ChangeType;
  /** Legacy package names: `currentPackage` as it was when scheduled. */
  currentPackage: string;
  targetPackage: string;
  ips: string[];
  ipGroups: string[];
  /** ISO-8601 instant (00:00 UTC of the billing day). */
  effectiveAt: string;
  status: ChangeStatus;
  attempts: number;
  lastError: string | null;
  /** Earliest time of the next attempt after a transient failure (ISO), else null. */
  retryAt: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  /** Incremented by every claim; a finish with an older fence is refused. */
  fence: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * What `reseller.pending list` shows of a change, and nothing more: a list of 10,000 must be fast,
 * and every column read is 10,000 more values made (the legacy entry has no id, status or error).
 */
export const LISTING_FIELDS = ['username', 'type', 'currentPackage', 'targetPackage', 'ips', 'ipGroups', 'effectiveAt'] as const;
/** Read-only: the lists of a listing's entries are shared between entries that have the same one. */
export type PendingListing = Readonly<Omit<Pick<PendingChange, (typeof LISTING_FIELDS)[number]>, 'ips' | 'ipGroups'>> & {
  readonly ips: readonly string[];
  readonly ipGroups: readonly string[];
};

export type NewPendingChange = Pick<
  PendingChange,
  'customerId' | 'accountId' | 'type' | 'currentPackage' | 'targetPackage' | 'ips' | 'ipGroups' | 'effectiveAt'
>;

export type AuditActor = 'legacy' | 'directory' | 'scheduler' | 'operator';

export interface AuditInput {
  actor: AuditActor;
  /** e.g. `immediate_upgrade`, `scheduled_downgrade`, `pending.delete`, `apply`, `change_package`. */
  action: string;
  customerId: number;
  changeId?: number | undefined;
  /** `applied`, `noop`, `scheduled`, `replaced`, `cancelled`, `retry`, `failed`, ... */
  outcome: string;
  offeringsBefore?: Offering[] | undefined;
  offeringsAfter?: Offering[] | undefined;
  detail?: string | undefined;
}

export interface AuditRecord extends AuditInput {
  id: number;
  at: string;
}

/** What an applied change (immediate or scheduled) writes about the customer. */
export interface CustomerUpdate {
  ips?: string[] | undefined;
  ipGroups?: string[] | undefined;
  tags?: string[] | undefined;
  subscriptionParams?: [string, string][] | undefined;
}

/** Where an offerings write comes from: the legacy immediate tasks, the directory, the scheduler. */
export type IntentSource = 'immediate' | 'directory' | 'scheduled';
/**
 * `open`: recorded before the first PUT attempt, the write under way (or its process died);
 * `uncertain`: an attempt was sent and never answered, so the write may still land; `applied` and
 * `abandoned` are settled, and final.
 */
export type IntentStatus = 'open' | 'uncertain' | 'applied' | 'abandoned';
export const UNSETTLED_INTENT_STATUSES: readonly IntentStatus[] = ['open', 'uncertain'];

/** A write-ahead record of one offerings write (the PUT of one change), kept for history. */
export interface WriteIntent {
  id: number;
  customerId: number;
  source: IntentSource;
  actor: AuditActor;
  /** The audit's action of the write, e.g. `immediate_upgrade`, `change_package`, `apply_downgrade`. */
  action: string;
  requestId: string | null;
  /** The scheduled change being applied (source `scheduled`). */
  changeId: number | null;
  /** The listed change an immediate write supersedes if it lands (taken when the intent opened). */
  supersededChangeId: number | null;
  offeringsBefore: Offering[];
  targetOfferings: Offering[];
  /** What a landed immediate write records about the customer (IPs, groups, tags, params). */
  customerUpdate: CustomerUpdate;
  status: IntentStatus;
  /** Real time (ISO) after which no attempt of the write can still land: it may be settled by reading v3. */
  settleAfter: string;
  /** The process that opened it. */
  owner: string;
  createdAt: string;
  settledAt: string | null;
}

export type NewWriteIntent = Pick<
  WriteIntent,
  'customerId' | 'source' | 'actor' | 'action' | 'changeId' | 'offeringsBefore' | 'targetOfferings' | 'customerUpdate' | 'settleAfter' | 'owner'
> & { requestId?: string | null | undefined };

/**
 * How a settled intent ended: `applied` (v3 holds the target) or `abandoned` (it does not).
 * `settleAfter` (real time) replaces the intent's when given: until then an attempt of the write
 * that went unanswered may still land, so the customer's next write waits for it.
 */
export type IntentSettlement = { status: 'applied' | 'abandoned'; audit: AuditInput; settleAfter?: string | undefined };

/** The intent a change's record completes (as applied), and until when its unanswered attempts may still land (real time). */
export interface IntentCompletion {
  id: number;
  settleAfter: string;
}

/**
 * The customer has an offerings write whose outcome is not settled yet: no other write of the
 * customer may be computed (or scheduled, or cancelled) until it is. Safe to retry after `retryAfterMs`.
 */
export class WriteUnsettledError extends Error {
  constructor(readonly intent: WriteIntent) {
    super(`customer ${intent.customerId} has an offerings write (intent ${intent.id}, ${intent.status}) whose outcome is being confirmed`);
    this.name = 'WriteUnsettledError';
  }
}

/**
 * A lazy customer hold's first write found the lock row taken by another process since it was
 * read: nothing was written, and withCustomerLock runs the hold's function again under an eager
 * hold. A caller that catches errors inside the hold lets this one through.
 */
export class LockTakenMeanwhile extends Error {
  constructor(customerId: number) {
    super(`customer ${customerId}'s lock was taken by another process meanwhile`);
    this.name = 'LockTakenMeanwhile';
  }
}

export interface ChangeForAttempt {
  change: PendingChange;
  customer: CustomerRecord | undefined;
  latestIntent: WriteIntent | undefined;
}

export type ScheduleResult = { outcome: 'created' | 'replaced' | 'unchanged'; change: PendingChange };

export type FinishOutcome =
  | { status: 'applied' }
  | { status: 'failed'; reason: string }
  /** Transient failure: back to `pending`, attempts + 1, not before `retryAt`. */
  | { status: 'pending'; error: string; retryAt: string }
  /** Not attempted (an earlier write of the customer is still unsettled): back to `pending` at `retryAt`, no attempt counted. */
  | { status: 'deferred'; reason: string; retryAt: string };

/**
 * The customer's listed change is `applying` (claimed by the scheduler): its outcome is not
 * known yet, so it can be neither cancelled nor replaced. Safe to retry once the attempt ends.
 */
export class ChangeInFlightError extends Error {
  constructor(readonly change: PendingChange) {
    super(`change ${change.id} of customer ${change.customerId} is being applied; retry once it has finished`);
    this.name = 'ChangeInFlightError';
  }
}

/** What the scheduler has before it, for metrics. */
export interface Workload {
  /** Listed changes by status. */
  listed: Record<'pending' | 'applying' | 'failed', number>;
  /** When the longest-waiting due pending change became due; undefined when none is due. */
  oldestDueAt: Date | undefined;
}

export interface Store extends LedgerReader, LedgerWriter, BrownoutStore {
  readonly kind: 'sqlite' | 'postgres';
  close(): Promise<void>;

  /** Idempotent: upserts by (reseller, username) or business uid, marks missing ones inactive. */
  importCustomers(customers: CustomerImport[]): Promise<void>;
  findCustomer(ref: CustomerRef): Promise<CustomerRecord | undefined>;
  /** `withoutBillingDay`: only those whose billing day is still to be resolved. */
  listCustomers(filter?: { reseller?: string; active?: boolean; withoutBillingDay?: true }): Promise<CustomerRecord[]>;
  setBillingDay(customerId: number, day: number): Promise<void>;
  /**
   * Of `ips`, those held by an active customer of `reseller` other than `exceptCustomerId`, or
   * asked for by another customer's pending (or applying) change, with that customer.
   */
  ipHolders(reseller: string, ips: string[], exceptCustomerId: number): Promise<Map<string, number>>;

  /**
   * One transaction after a successful immediate write upstream (or a confirmed no-op):
   * supersedes the customer's listed pending change, applies `update`, appends `audit`, and
   * (with `intent`) settles that write's intent as applied. It is the last write of its
   * customer hold (withCustomerLock): the SQLite lock row is released in the same transaction,
   * and a later write in the hold is refused.
   */
  recordImmediateChange(customerId: number, update: CustomerUpdate, audit: AuditInput, intent?: IntentCompletion): Promise<void>;
  /** Tags and subscription params only (a directory call with no package change). */
  updateCustomer(customerId: number, update: CustomerUpdate, audit: AuditInput): Promise<void>;

  /**
   * Replaces (supersedes) the customer's pending or failed change; the identical change again is
   * `unchanged` (a failed one is replaced, so re-sending it retries). Throws ChangeInFlightError
   * when the listed change is `applying` and differs. The audit's outcome is set from the result:
   * `scheduled`, `replaced` or `noop`.
   */
  schedule(change: NewPendingChange, audit: Omit<AuditInput, 'changeId' | 'customerId'>): Promise<ScheduleResult>;
  listPending(reseller: string, filter?: { username?: string; type?: ChangeType }): Promise<PendingListing[]>;
  /** Operator view: every change in the given statuses, all resellers. */
  listChanges(filter: { statuses: ChangeStatus[] }): Promise<PendingChange[]>;
  /**
   * Cancels the customer's pending or failed change; undefined when there is none.
   * Throws ChangeInFlightError when it is `applying` (its outcome is not known yet).
   */
  cancelPending(customerId: number, audit: Omit<AuditInput, 'changeId' | 'customerId'>): Promise<PendingChange | undefined>;
  getChange(id: number): Promise<PendingChange | undefined>;
  /**
   * A scheduled attempt's first look under its customer's lock, in one read: the change, its
   * customer, and the customer's latest write intent. Undefined when there is no such change.
   */
  getChangeForAttempt(id: number): Promise<ChangeForAttempt | undefined>;

  /**
   * Claims up to `limit` changes: `pending` ones due at `dueAt` (effective and retry time passed;
   * by default `now`), and `applying` ones whose lease expired by `now`. `now` is the real time:
   * the lease runs from it whatever instant a pass simulates with `dueAt`, so a pass "in 2099"
   * leaves leases that expire on time. Sets `applying`, the lease, and fence + 1.
   * Order: the time each became claimable (effective time, retry time or lease expiry), then id.
   * Re-claiming an expired lease counts the lost attempt (attempts + 1, last_error says so).
   */
  claimDue(now: Date, owner: string, leaseMs: number, limit: number, dueAt?: Date): Promise<PendingChange[]>;
  /**
   * Ends an attempt (attempts + 1) and appends `audit` for it, in one transaction. Refused (false,
   * nothing written) unless the change is `applying` with this fence.
   */
  finishChange(
    id: number,
    fence: number,
    outcome: FinishOutcome,
    update: CustomerUpdate | undefined,
    audit: AuditInput,
    intent?: IntentCompletion,
  ): Promise<boolean>;

  /**
   * Records the intent of an offerings write before its first attempt, taking the listed change
   * an immediate write would supersede. Throws WriteUnsettledError while the customer has an
   * unsettled intent (at most one per customer).
   */
  openIntent(intent: NewWriteIntent): Promise<WriteIntent>;
  /** The customer's open or uncertain intent, if any. */
  unsettledIntentOf(customerId: number): Promise<WriteIntent | undefined>;
  /** The customer's latest intent, settled or not. */
  latestIntentOf(customerId: number): Promise<WriteIntent | undefined>;
  /** An attempt was sent and not answered: `uncertain` until `settleAfter` (real time), audited. False if already settled. */
  markIntentUncertain(id: number, settleAfter: string, audit: AuditInput): Promise<boolean>;
  /**
   * Settles an unsettled intent, once: `abandoned` appends the audit; `applied` of an immediate
   * write records it as a success would (supersedes the change it named if still listed, applies
   * its customer update, appends the audit). False (nothing written) if it was already settled.
   */
  settleIntent(id: number, settlement: IntentSettlement): Promise<boolean>;
  /** Unsettled intents whose settle time passed by `now` (real time), oldest first. */
  settleableIntents(now: Date, limit: number): Promise<WriteIntent[]>;
  listIntents(filter?: { customerId?: number; unsettled?: boolean }): Promise<WriteIntent[]>;

  appendAudit(audit: AuditInput): Promise<void>;
  listAudit(filter?: { customerId?: number; changeId?: number }): Promise<AuditRecord[]>;

  /** A trivial query: the database answers (readiness). */
  ping(): Promise<void>;
  /** The scheduler's workload at `now` (metrics, read on each scrape). */
  workload(now: Date): Promise<Workload>;

  /** Serialises work on one customer across the edge and the scheduler (and, with PostgreSQL, across instances). */
  withCustomerLock<T>(customerId: number, fn: () => Promise<T>, options?: CustomerLockHold): Promise<T>;
}

export interface CustomerLockHold {
  /**
   * The lock may be taken by `fn`'s first store write instead of before `fn` (SQLite: one
   * transaction fewer). For an `fn` that writes nothing, in the store or upstream, before its
   * first store write: if another process took the lock between `fn`'s start and that write, the
   * write changes nothing and `fn` runs again from the start under the lock.
   */
  lazy?: boolean;
}
