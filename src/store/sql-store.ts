// The one implementation of the Store port, for both databases. Each method checks its input,
// reads the clock, and runs a script of operations.ts (or a single statement) through the
// driver: `write` for one transaction, `read` otherwise. The drivers (sqlite.ts, postgres.ts)
// know how to run a script; nothing here knows which database it talks to.
//
// Adding an operation: its SQL in statements.ts, its transaction script in operations.ts, its
// method in store.ts and below (a line or two). Both drivers run it unchanged; the store
// contract tests (test/store, run against both) say whether it does what the port promises.
import { toAudit, toChange, toCustomer, toIntent, toListings } from './codec.js';
import type { BrownoutHits, BrownoutState } from '../rules/brownout.js';
import { LEGACY_SURFACES } from '../rules/deprecation.js';
import type { UsageIncrement } from '../rules/usage.js';
import { isoInstant } from '../rules/instant.js';
import { toLedgerDay, toLedgerEntry, toLedgerTaskDays } from './codec.js';
import type { BrownoutWindowRecord, LedgerDay, LedgerEntry, LedgerTaskDays, NewBrownoutWindow } from './ledger.js';
import * as ledger from './ledger-operations.js';
import * as ops from './operations.js';
import { all, one, run, type Driver } from './script.js';
import * as sql from './statements.js';
import type {
  AuditInput,
  AuditRecord,
  ChangeForAttempt,
  ChangeStatus,
  ChangeType,
  CustomerImport,
  CustomerLockHold,
  CustomerRecord,
  CustomerRef,
  CustomerUpdate,
  FinishOutcome,
  IntentCompletion,
  IntentSettlement,
  NewPendingChange,
  NewWriteIntent,
  PendingChange,
  PendingListing,
  ScheduleResult,
  Store,
  Workload,
  WriteIntent,
} from './store.js';

export interface SqlStoreOptions {
  /** The clock for created/updated/audit times; claimDue takes its `now` explicitly. */
  now?: (() => Date) | undefined;
}

export class SqlStore implements Store {
  readonly kind: Store['kind'];
  private readonly clock: () => Date;

  constructor(
    protected readonly driver: Driver,
    options: SqlStoreOptions = {},
  ) {
    this.kind = driver.kind;
    this.clock = options.now ?? (() => new Date());
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  // --- health and metrics ------------------------------------------------------------------

  async ping(): Promise<void> {
    await this.driver.read(() => one(sql.ping));
  }

  workload(now: Date): Promise<Workload> {
    return this.driver.read(() => ops.workload(now.toISOString()));
  }

  // --- customers ---------------------------------------------------------------------------

  importCustomers(customers: CustomerImport[]): Promise<void> {
    return this.driver.write(() => ops.importCustomers(customers, this.driver.importLockKey, this.nowIso()));
  }

  async findCustomer(ref: CustomerRef): Promise<CustomerRecord | undefined> {
    const row = await this.driver.read(() => ops.findCustomerRow(ref));
    return row && toCustomer(row);
  }

  async listCustomers(filter: { reseller?: string; active?: boolean; withoutBillingDay?: true } = {}): Promise<CustomerRecord[]> {
    const rows = await this.driver.read(() => all(sql.listCustomers(filter), filter));
    return rows.map(toCustomer);
  }

  async setBillingDay(customerId: number, day: number): Promise<void> {
    if (!Number.isInteger(day) || day < 1 || day > 31) throw new RangeError(`billing day must be 1-31, got ${day}`);
    await this.driver.write(() => ops.setBillingDay(customerId, day, this.nowIso()));
  }

  async ipHolders(reseller: string, ips: string[], exceptCustomerId: number): Promise<Map<string, number>> {
    const holders = new Map<string, number>();
    if (ips.length === 0) return holders;
    const rows = await this.driver.read(() => all(sql.ipHolders, { reseller, except: exceptCustomerId, ips }));
    for (const row of rows) holders.set(row.ip as string, row.customer_id as number);
    return holders;
  }

  recordImmediateChange(customerId: number, update: CustomerUpdate, audit: AuditInput, intent?: IntentCompletion): Promise<void> {
    // The immediate change's last write: its lock row (SQLite) goes with it.
    return this.driver.write(() => ops.recordImmediateChange(customerId, update, audit, intent, this.nowIso()), { endsHold: true });
  }

  updateCustomer(customerId: number, update: CustomerUpdate, audit: AuditInput): Promise<void> {
    return this.driver.write(() => ops.updateCustomer(customerId, update, audit, this.nowIso()));
  }

  // --- pending changes ---------------------------------------------------------------------

  async schedule(change: NewPendingChange, audit: ops.ChangeAudit): Promise<ScheduleResult> {
    const effectiveAt = ops.canonicalInstant(change.effectiveAt, 'effectiveAt');
    return this.driver.write(() => ops.storePendingChange({ ...change, effectiveAt }, audit, this.nowIso()));
  }

  async listPending(reseller: string, filter: { username?: string; type?: ChangeType } = {}): Promise<PendingListing[]> {
    const rows = await this.driver.read(() => all<unknown[]>(sql.listPending(filter), { reseller, ...filter }));
    return toListings(rows);
  }

  async listChanges(filter: { statuses: ChangeStatus[] }): Promise<PendingChange[]> {
    const statuses = [...new Set(filter.statuses)];
    if (statuses.length === 0) return [];
    for (const status of statuses) {
      if (!ops.CHANGE_STATUSES.includes(status)) throw new TypeError(`unknown change status ${JSON.stringify(status)}`);
    }
    const rows = await this.driver.read(() => all(sql.changesByStatus, { statuses }));
    return rows.map(toChange);
  }

  cancelPending(customerId: number, audit: ops.ChangeAudit): Promise<PendingChange | undefined> {
    return this.driver.write(() => ops.cancelPending(customerId, audit, this.nowIso()));
  }

  async getChange(id: number): Promise<PendingChange | undefined> {
    const row = await this.driver.read(() => one(sql.changeById, { id }));
    return row && toChange(row);
  }

  async getChangeForAttempt(id: number): Promise<ChangeForAttempt | undefined> {
    const found = await this.driver.read(() => ops.changeForAttempt(id));
    return found && { change: toChange(found.change), customer: found.customer && toCustomer(found.customer), latestIntent: found.latestIntent && toIntent(found.latestIntent) };
  }

  // --- the scheduler's claim and finish ----------------------------------------------------

  async claimDue(now: Date, owner: string, leaseMs: number, limit: number, dueAt: Date = now): Promise<PendingChange[]> {
    if (!owner) throw new TypeError('a claim needs an owner');
    if (!(leaseMs > 0)) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
    if (!Number.isInteger(limit) || limit <= 0) return [];
    const leaseExpiresAt = new Date(now.getTime() + leaseMs).toISOString();
    return this.driver.write(() => ops.claimDue({ dueAt: dueAt.toISOString(), now: now.toISOString(), leaseExpiresAt, owner, limit }));
  }

  finishChange(
    id: number,
    fence: number,
    outcome: FinishOutcome,
    update: CustomerUpdate | undefined,
    audit: AuditInput,
    intent?: IntentCompletion,
  ): Promise<boolean> {
    return this.driver.write(() => ops.finishChange(id, fence, outcome, update, audit, intent, this.nowIso()));
  }

  // --- write intents -----------------------------------------------------------------------

  openIntent(intent: NewWriteIntent): Promise<WriteIntent> {
    return this.driver.write(() => ops.openIntent(intent, this.nowIso()));
  }

  async unsettledIntentOf(customerId: number): Promise<WriteIntent | undefined> {
    const row = await this.driver.read(() => one(sql.unsettledIntentOf, { customerId }));
    return row && toIntent(row);
  }

  async latestIntentOf(customerId: number): Promise<WriteIntent | undefined> {
    const row = await this.driver.read(() => one(sql.latestIntentOf, { customerId }));
    return row && toIntent(row);
  }

  markIntentUncertain(id: number, settleAfter: string, audit: AuditInput): Promise<boolean> {
    return this.driver.write(() => ops.markIntentUncertain(id, settleAfter, audit, this.nowIso()));
  }

  settleIntent(id: number, settlement: IntentSettlement): Promise<boolean> {
    return this.driver.write(() => ops.settleIntent(id, settlement, this.nowIso()));
  }

  async settleableIntents(now: Date, limit: number): Promise<WriteIntent[]> {
    if (!Number.isInteger(limit) || limit <= 0) return [];
    const rows = await this.driver.read(() => all(sql.settleableIntents, { now: now.toISOString(), limit }));
    return rows.map(toIntent);
  }

  async listIntents(filter: { customerId?: number; unsettled?: boolean } = {}): Promise<WriteIntent[]> {
    const given = { customerId: filter.customerId, unsettled: filter.unsettled ? true : undefined };
    const rows = await this.driver.read(() => all(sql.listIntents(given), filter.customerId === undefined ? {} : { customerId: filter.customerId }));
    return rows.map(toIntent);
  }

  // --- audit and locks ---------------------------------------------------------------------

  appendAudit(audit: AuditInput): Promise<void> {
    return this.driver.write(() => ops.insertAudit(audit, this.nowIso()));
  }

  async listAudit(filter: { customerId?: number; changeId?: number } = {}): Promise<AuditRecord[]> {
    const rows = await this.driver.read(() => all(sql.listAudit(filter), filter));
    return rows.map(toAudit);
  }

  withCustomerLock<T>(customerId: number, fn: () => Promise<T>, options?: CustomerLockHold): Promise<T> {
    return this.driver.withCustomerLock(customerId, fn, options);
  }

  // --- the caller ledger -------------------------------------------------------------------

  async recordUsage(increments: UsageIncrement[]): Promise<void> {
    if (increments.length) await this.driver.write(() => ledger.recordUsage(increments));
  }

  async usageCallers(): Promise<string[]> {
    const rows = await this.driver.read(() => all(sql.usageCallers));
    return rows.map((row) => row.reseller as string);
  }

  async pruneUsageDays(before: string): Promise<void> {
    await this.driver.write(() => run(sql.pruneUsageDays, { before: utcDay(before, 'before') }));
  }

  async ledgerEntries(): Promise<LedgerEntry[]> {
    return (await this.driver.read(() => all(sql.ledgerEntries))).map(toLedgerEntry);
  }

  async ledgerDays(options: { since: string }): Promise<LedgerDay[]> {
    return (await this.driver.read(() => all(sql.ledgerDays, { since: utcDay(options.since, 'since') }))).map(toLedgerDay);
  }

  async ledgerTaskDays(options: { since: string }): Promise<LedgerTaskDays[]> {
    return (await this.driver.read(() => all(sql.ledgerTaskDays, { since: utcDay(options.since, 'since') }))).map(toLedgerTaskDays);
  }

  // --- brownouts ---------------------------------------------------------------------------

  async addBrownout(window: NewBrownoutWindow): Promise<BrownoutWindowRecord> {
    if (!(window.endsAt.getTime() > window.startsAt.getTime())) throw new RangeError('a brownout window must end after it starts');
    for (const surface of window.surfaces)
      if (!LEGACY_SURFACES.includes(surface)) throw new TypeError(`unknown surface ${JSON.stringify(surface)}`);
    return this.driver.write(() => ledger.addBrownout(window, this.nowIso()));
  }

  async removeBrownout(id: number): Promise<boolean> {
    return (await this.driver.write(() => run(sql.deleteBrownout, { id }))) === 1;
  }

  async setBrownoutsEnabled(enabled: boolean): Promise<void> {
    await this.driver.write(() => run(sql.setBrownoutSwitch, { enabled, now: this.nowIso() }));
  }

  listBrownouts(): Promise<{ enabled: boolean; windows: BrownoutWindowRecord[] }> {
    return this.driver.read(() => ledger.brownouts(undefined));
  }

  brownoutState(now: Date): Promise<BrownoutState> {
    return this.driver.read(() => ledger.brownouts(now.toISOString()));
  }

  async countBrownoutHits(hits: BrownoutHits[]): Promise<void> {
    if (hits.length) await this.driver.write(() => ledger.countBrownoutHits(hits));
  }

  private nowIso(): string {
    return isoInstant(this.clock().getTime());
  }
}

function utcDay(value: string, name: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new TypeError(`${name} must be a UTC day YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
}
