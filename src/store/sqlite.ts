// The embedded store: SQLite through node:sqlite. The methods are async to fill the Store
// interface, but each transaction is one synchronous block: nothing else in this process
// runs between its BEGIN and COMMIT, and other processes wait on SQLite's write lock
// (every write transaction is BEGIN IMMEDIATE, so none fails half-way on a lock upgrade).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { KeyedMutex } from './keyed-mutex.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { migrate } from './sqlite/migrate.js';
import { auditQueries, changeQueries, customerQueries } from './sqlite/queries.js';
import { canonicalInstant, finishColumns, isSameChange, joinDetail, leaseExpiredAudit } from './rules.js';
import { asCustomerRow, jsonOrNull, toAudit, toChange, toCustomer, toListing, type CustomerRow } from './sqlite/rows.js';
import {
  ChangeInFlightError,
  type AuditInput,
  type AuditRecord,
  type ChangeStatus,
  type ChangeType,
  type CustomerImport,
  type CustomerRecord,
  type CustomerRef,
  type CustomerUpdate,
  type FinishOutcome,
  type NewPendingChange,
  type PendingChange,
  type PendingListing,
  type ScheduleResult,
  type Store,
} from './store.js';

export interface SqliteStoreOptions {
  /** The clock for created/updated/audit times; claimDue takes its `now` explicitly. */
  now?: () => Date;
  /** How long a write waits for another process's write lock before failing. */
  busyTimeoutMs?: number;
}

type Params = Record<string, SQLInputValue>;
type Row = Record<string, SQLOutputValue>;
type ScheduleAudit = Omit<AuditInput, 'changeId' | 'customerId'>;

const CHANGE_STATUSES: readonly ChangeStatus[] = ['pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed'];

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly statements = new Map<string, StatementSync>();
  private readonly locks = new KeyedMutex<number>();
  private readonly clock: () => Date;

  private constructor(
    private readonly db: DatabaseSync,
    options: SqliteStoreOptions,
  ) {
    this.clock = options.now ?? (() => new Date());
  }

  /** Opens (creating the file and its folder if needed) and migrates. `:memory:` is for tests. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5_000)}`);
      // WAL lets readers (the listing) run beside the writer; a file that cannot switch
      // (a network filesystem, say) would silently lose that, so refuse it.
      const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() ?? {};
      if (path !== ':memory:' && mode !== 'wal') throw new Error(`${path}: SQLite could not use WAL mode (got ${String(mode)})`);
      // In WAL mode NORMAL survives a crash of the process; only a power loss can take the last commits.
      db.exec('PRAGMA synchronous = NORMAL');
      const store = new SqliteStore(db, options);
      migrate(db, SQLITE_MIGRATIONS, store.clock);
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (!this.db.isOpen) return;
    this.statements.clear();
    this.db.close();
  }

  // --- customers -------------------------------------------------------------------------

  async importCustomers(customers: CustomerImport[]): Promise<void> {
    this.write(() => {
      const now = this.nowIso();
      const keptIds = new Set<number>();
      for (const customer of customers) keptIds.add(this.importOne(customer, now));
      this.run(customerQueries.inactivateAllBut, { now, keptIds: JSON.stringify([...keptIds]) });
    });
  }

  async findCustomer(ref: CustomerRef): Promise<CustomerRecord | undefined> {
    const row = this.findCustomerRow(ref);
    return row && toCustomer(row);
  }

  async listCustomers(filter: { reseller?: string; active?: boolean } = {}): Promise<CustomerRecord[]> {
    const where: string[] = [];
    const params: Params = {};
    if (filter.reseller !== undefined) {
      where.push('reseller = :reseller');
      params.reseller = filter.reseller;
    }
    if (filter.active !== undefined) {
      where.push('active = :active');
      params.active = filter.active ? 1 : 0;
    }
    const sql = `SELECT * FROM customers${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
    return this.statement(sql).all(params).map(toCustomer);
  }

  async setBillingDay(customerId: number, day: number): Promise<void> {
    if (!Number.isInteger(day) || day < 1 || day > 31) throw new RangeError(`billing day must be 1-31, got ${day}`);
    this.write(() => {
      const { changes } = this.statement(customerQueries.setBillingDay).run(day, this.nowIso(), customerId);
      if (changes !== 1) throw new Error(`unknown customer ${customerId}`);
    });
  }

  async ipHolders(reseller: string, ips: string[], exceptCustomerId: number): Promise<Map<string, number>> {
    const holders = new Map<string, number>();
    if (ips.length === 0) return holders;
    const rows = this.statement(customerQueries.ipHolders).all({ reseller, except: exceptCustomerId, ips: JSON.stringify(ips) });
    for (const row of rows) holders.set(row.ip as string, row.customer_id as number);
    return holders;
  }

  async recordImmediateChange(customerId: number, update: CustomerUpdate, audit: AuditInput): Promise<void> {
    this.write(() => {
      const now = this.nowIso();
      this.requireCustomer(customerId);
      const listed = this.listedChangeOf(customerId);
      // Even an `applying` one: this runs under the customer's lock after the write upstream,
      // and the scheduler re-reads its change under that lock before writing.
      if (listed) this.supersede(listed, audit, `superseded by ${audit.action}`, now);
      this.applyUpdate(customerId, update, now);
      this.insertAudit({ ...audit, customerId }, now);
    });
  }

  async updateCustomer(customerId: number, update: CustomerUpdate, audit: AuditInput): Promise<void> {
    this.write(() => {
      const now = this.nowIso();
      this.applyUpdate(customerId, update, now);
      this.insertAudit({ ...audit, customerId }, now);
    });
  }

  // --- pending changes -------------------------------------------------------------------


  async schedule(change: NewPendingChange, audit: ScheduleAudit): Promise<ScheduleResult> {
    const effectiveAt = canonicalInstant(change.effectiveAt, 'effectiveAt');
    return this.write(() => {
      const now = this.nowIso();
      const customer = this.requireCustomer(change.customerId);
      const listed = this.listedChangeOf(customer.id);
      // A failed change is never "unchanged": sending it again is how a client retries it.
      if (listed && listed.status !== 'failed' && isSameChange(listed, change, effectiveAt)) {
        this.insertAudit({ ...audit, customerId: customer.id, changeId: listed.id, outcome: 'noop' }, now);
        return { outcome: 'unchanged', change: listed };
      }
      if (listed?.status === 'applying') throw new ChangeInFlightError(listed);
      if (listed) this.supersede(listed, audit, `superseded by a new ${audit.action}`, now);

      const created = toChange(
        this.returned(changeQueries.insert, {
          customerId: customer.id,
          reseller: customer.reseller,
          // Scheduling is a legacy task, so the customer has a username; the uid is a fallback.
          username: customer.username ?? customer.business_uid ?? '',
          accountId: change.accountId,
          type: change.type,
          currentPackage: change.currentPackage,
          targetPackage: change.targetPackage,
          ips: JSON.stringify(change.ips),
          ipGroups: JSON.stringify(change.ipGroups),
          effectiveAt,
          now,
        }),
      );
      const outcome = listed ? 'replaced' : 'scheduled';
      const detail = listed ? joinDetail(audit.detail, `replaces change ${listed.id}`) : audit.detail;
      this.insertAudit({ ...audit, customerId: customer.id, changeId: created.id, outcome, detail }, now);
      return { outcome: listed ? 'replaced' : 'created', change: created };
    });
  }

  async listPending(reseller: string, filter: { username?: string; type?: ChangeType } = {}): Promise<PendingListing[]> {
    let sql = changeQueries.listedOfReseller;
    const params: Params = { reseller };
    if (filter.username !== undefined) {
      sql += ' AND username = :username';
      params.username = filter.username;
    }
    if (filter.type !== undefined) {
      sql += ' AND type = :type';
      params.type = filter.type;
    }
    return (this.statement(sql + changeQueries.listedOrder, { arrays: true }).all(params) as unknown as SQLOutputValue[][]).map(toListing);
  }

  async listChanges(filter: { statuses: ChangeStatus[] }): Promise<PendingChange[]> {
    const statuses = [...new Set(filter.statuses)];
    if (statuses.length === 0) return [];
    for (const status of statuses) {
      if (!CHANGE_STATUSES.includes(status)) throw new TypeError(`unknown change status ${JSON.stringify(status)}`);
    }
    const sql = `SELECT * FROM pending_changes WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY id`;
    return this.statement(sql).all(...statuses).map(toChange);
  }

  async cancelPending(customerId: number, audit: ScheduleAudit): Promise<PendingChange | undefined> {
    return this.write(() => {
      const now = this.nowIso();
      const listed = this.listedChangeOf(customerId);
      if (!listed) return undefined;
      if (listed.status === 'applying') throw new ChangeInFlightError(listed);
      const cancelled = toChange(this.returned(changeQueries.cancel, now, listed.id));
      this.insertAudit({ ...audit, customerId, changeId: cancelled.id }, now);
      return cancelled;
    });
  }

  async getChange(id: number): Promise<PendingChange | undefined> {
    const row = this.statement(changeQueries.byId).get(id);
    return row && toChange(row);
  }

  // --- the scheduler's claim and finish ---------------------------------------------------

  async claimDue(now: Date, owner: string, leaseMs: number, limit: number): Promise<PendingChange[]> {
    if (!owner) throw new TypeError('a claim needs an owner');
    if (!(leaseMs > 0)) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
    if (!Number.isInteger(limit) || limit <= 0) return [];
    const at = now.toISOString();
    const leaseExpiresAt = new Date(now.getTime() + leaseMs).toISOString();
    return this.write(() => {
      // Two index range scans (partial indexes: history is never read), merged into one order.
      const candidates = [
        ...this.statement(changeQueries.duePending).all({ now: at, limit }),
        ...this.statement(changeQueries.expiredLeases).all({ now: at, limit }),
      ] as unknown as { id: number; claimable_at: string; lease_expired: number }[];
      candidates.sort((a, b) => (a.claimable_at < b.claimable_at ? -1 : a.claimable_at > b.claimable_at ? 1 : a.id - b.id));
      const expired = new Set(candidates.filter((c) => c.lease_expired).map((c) => c.id));
      const claimed: PendingChange[] = [];
      for (const { id } of candidates.slice(0, limit)) {
        const row = this.statement(changeQueries.claim).get({ id, owner, leaseExpiresAt, now: at });
        if (!row) continue;
        const change = toChange(row);
        if (expired.has(id)) this.insertAudit(leaseExpiredAudit(change), at);
        claimed.push(change);
      }
      return claimed;
    });
  }

  async finishChange(
    id: number,
    fence: number,
    outcome: FinishOutcome,
    update: CustomerUpdate | undefined,
    audit: AuditInput,
  ): Promise<boolean> {
    const ending = finishColumns(outcome);
    return this.write(() => {
      const now = this.nowIso();
      const row = this.statement(changeQueries.finish).get({ id, fence, now, ...ending });
      if (!row) return false;
      const customerId = row.customer_id as number;
      if (update && outcome.status === 'applied') this.applyUpdate(customerId, update, now);
      // The record is about this change, whatever ids the caller's input carried.
      this.insertAudit({ ...audit, customerId, changeId: id }, now);
      return true;
    });
  }

  // --- audit and locks ------------------------------------------------------------------

  async appendAudit(audit: AuditInput): Promise<void> {
    this.write(() => this.insertAudit(audit, this.nowIso()));
  }

  async listAudit(filter: { customerId?: number; changeId?: number } = {}): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: Params = {};
    if (filter.customerId !== undefined) {
      where.push('customer_id = :customerId');
      params.customerId = filter.customerId;
    }
    if (filter.changeId !== undefined) {
      where.push('change_id = :changeId');
      params.changeId = filter.changeId;
    }
    const sql = `SELECT * FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
    return this.statement(sql).all(params).map(toAudit);
  }

  /** In-process only: SQLite serves one bridge instance (PostgreSQL adds a lock across instances). */
  withCustomerLock<T>(customerId: number, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(customerId, fn);
  }

  // --- internals (called inside a transaction) ------------------------------------------

  /** Returns the customer's id. */
  private importOne(customer: CustomerImport, now: string): number {
    const { reseller, username, businessUid, accountId, billingDay } = customer;
    if (username === undefined && businessUid === undefined) {
      throw new TypeError(`customer of ${reseller} (account ${accountId}) has neither a username nor a business uid`);
    }
    if (billingDay !== undefined && (!Number.isInteger(billingDay) || billingDay < 1 || billingDay > 31)) {
      throw new RangeError(`billing day of ${username ?? businessUid} must be 1-31, got ${billingDay}`);
    }
    const byUsername = username === undefined ? undefined : this.findCustomerRow({ reseller, username });
    const byUid = businessUid === undefined ? undefined : this.findCustomerRow({ businessUid });
    if (byUsername && byUid && byUsername.id !== byUid.id) {
      throw new Error(
        `import names ${reseller}/${username} and business ${businessUid} together, but they are customers ${byUsername.id} and ${byUid.id}`,
      );
    }
    const params = {
      reseller,
      username: username ?? null,
      businessUid: businessUid ?? null,
      accountId,
      billingDay: billingDay ?? null,
      now,
    };
    const existing = byUsername ?? byUid;
    if (existing) {
      this.run(customerQueries.reimport, { ...params, id: existing.id as number });
      return existing.id as number;
    }
    return this.returned(customerQueries.insert, params).id as number;
  }

  private findCustomerRow(ref: CustomerRef): Row | undefined {
    if ('id' in ref) return this.statement(customerQueries.byId).get(ref.id);
    if ('businessUid' in ref) return this.statement(customerQueries.byBusinessUid).get(ref.businessUid);
    return this.statement(customerQueries.byUsername).get(ref.reseller, ref.username);
  }

  private requireCustomer(customerId: number): CustomerRow {
    const row = this.findCustomerRow({ id: customerId });
    if (!row) throw new Error(`unknown customer ${customerId}`);
    return asCustomerRow(row);
  }

  private listedChangeOf(customerId: number): PendingChange | undefined {
    const row = this.statement(changeQueries.listedOfCustomer).get(customerId);
    return row && toChange(row);
  }

  private supersede(change: PendingChange, by: Pick<AuditInput, 'actor' | 'action'>, detail: string, now: string): void {
    const { changes } = this.statement(changeQueries.supersede).run(now, change.id);
    if (changes !== 1) throw new Error(`change ${change.id} could not be superseded`);
    this.insertAudit(
      { actor: by.actor, action: by.action, customerId: change.customerId, changeId: change.id, outcome: 'superseded', detail },
      now,
    );
  }

  private applyUpdate(customerId: number, update: CustomerUpdate, now: string): void {
    const { changes } = this.statement(customerQueries.update).run({
      id: customerId,
      ips: jsonOrNull(update.ips),
      ipGroups: jsonOrNull(update.ipGroups),
      tags: jsonOrNull(update.tags),
      subscriptionParams: jsonOrNull(update.subscriptionParams),
      now,
    });
    if (changes !== 1) throw new Error(`unknown customer ${customerId}`);
  }

  private insertAudit(audit: AuditInput, now: string): void {
    this.run(auditQueries.insert, {
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

  // --- SQLite plumbing --------------------------------------------------------------------

  /** One write transaction: synchronous from BEGIN to COMMIT, rolled back whole on any error. */
  private write<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Prepared once per SQL text; `arrays` statements return rows as arrays (cheaper for long lists). */
  private statement(sql: string, options: { arrays?: boolean } = {}): StatementSync {
    const key = options.arrays ? `arrays:${sql}` : sql;
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (options.arrays) statement.setReturnArrays(true);
      this.statements.set(key, statement);
    }
    return statement;
  }

  private run(sql: string, params: Params): void {
    this.statement(sql).run(params);
  }

  /** The row of an INSERT or UPDATE ... RETURNING that must write one. */
  private returned(sql: string, ...params: [Params] | SQLInputValue[]): Row {
    const statement = this.statement(sql);
    const row = isParams(params[0]) ? statement.get(params[0]) : statement.get(...(params as SQLInputValue[]));
    if (!row) throw new Error(`no row written by: ${sql.split('\n')[0]}`);
    return row;
  }

  private nowIso(): string {
    return this.clock().toISOString();
  }
}

function isParams(value: unknown): value is Params {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
}

