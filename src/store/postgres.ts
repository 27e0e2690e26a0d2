// The store for several bridge instances: PostgreSQL through a pg Pool. Each multi-row write
// is one READ COMMITTED transaction that first locks the customer's row (then, if needed, the
// customer's listed change): writes about one customer queue behind each other, always in
// that lock order, so they neither race nor deadlock, and need no retry loop as SERIALIZABLE
// would. Claims lock changes with SKIP LOCKED, so instances claim disjoint changes; fences
// refuse the finish of an attempt whose lease another instance took over.
import type pg from 'pg';
import { KeyedMutex } from './keyed-mutex.js';
import { withAdvisoryLock } from './postgres/advisory-lock.js';
import { advisoryKey, connectionTarget, createPool, type Db } from './postgres/connection.js';
import { applyImport } from './postgres/import.js';
import { migrate } from './postgres/migrate.js';
import { POSTGRES_MIGRATIONS } from './postgres/migrations.js';
import { auditQueries, changeQueries, customerQueries, lockQueries } from './postgres/queries.js';
import { jsonOrNull, toAudit, toChange, toCustomer, toListing, type AuditRow, type ChangeRow, type CustomerRow } from './postgres/rows.js';
import { canonicalInstant, finishColumns, isSameChange, joinDetail, leaseExpiredAudit } from './rules.js';
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

export interface PostgresStoreOptions {
  /** The schema to live in (created if missing); also `?schema=` in the URL. Else the server's search_path. */
  schema?: string | undefined;
  /** The clock for created/updated/audit times; claimDue takes its `now` explicitly. */
  now?: (() => Date) | undefined;
  /** Connections for queries and transactions. */
  maxConnections?: number | undefined;
  /** Connections that hold customer locks, apart from the others so lock holders never starve their own queries. */
  maxLockConnections?: number | undefined;
  /** An idle connection broke (the pool already dropped it); for logging. */
  onConnectionError?: ((error: Error) => void) | undefined;
}

type ScheduleAudit = Omit<AuditInput, 'changeId' | 'customerId'>;

const CHANGE_STATUSES: readonly ChangeStatus[] = ['pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed'];

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly locks = new KeyedMutex<number>();
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly lockPool: pg.Pool,
    private readonly keys: { customer: number; imports: number },
    private readonly clock: () => Date,
  ) {}

  /** Connects and migrates (once across instances starting together). Fails rather than half-opens. */
  static async open(databaseUrl: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const target = connectionTarget(databaseUrl, options.schema);
    const onError = options.onConnectionError ?? (() => undefined);
    const pool = createPool(target, options.maxConnections ?? 10, onError);
    const lockPool = createPool(target, options.maxLockConnections ?? 10, onError);
    const clock = options.now ?? (() => new Date());
    try {
      const schema = target.schema ?? (await currentSchema(pool));
      await migrate(pool, POSTGRES_MIGRATIONS, { schema: target.schema, lock: [advisoryKey('migrations', schema), 0], now: clock });
      const keys = { customer: advisoryKey('customer', schema), imports: advisoryKey('imports', schema) };
      return new PostgresStore(pool, lockPool, keys, clock);
    } catch (error) {
      await Promise.all([pool.end(), lockPool.end()]);
      throw new Error(`PostgreSQL store at ${target.display}: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.lockPool.end()]);
  }

  // --- customers -------------------------------------------------------------------------

  async importCustomers(customers: CustomerImport[]): Promise<void> {
    await this.transaction(async (db) => {
      await db.query(lockQueries.importXact, [this.keys.imports]);
      await applyImport(db, customers, this.nowIso());
    });
  }

  async findCustomer(ref: CustomerRef): Promise<CustomerRecord | undefined> {
    const row = await findCustomerRow(this.pool, ref);
    return row && toCustomer(row);
  }

  async listCustomers(filter: { reseller?: string; active?: boolean } = {}): Promise<CustomerRecord[]> {
    const where = new Conditions();
    if (filter.reseller !== undefined) where.add('reseller =', filter.reseller);
    if (filter.active !== undefined) where.add('active =', filter.active);
    const { rows } = await this.pool.query<CustomerRow>(`SELECT * FROM customers${where.sql} ORDER BY id`, where.params);
    return rows.map(toCustomer);
  }

  async setBillingDay(customerId: number, day: number): Promise<void> {
    if (!Number.isInteger(day) || day < 1 || day > 31) throw new RangeError(`billing day must be 1-31, got ${day}`);
    const { rowCount } = await this.pool.query(customerQueries.setBillingDay, [day, this.nowIso(), customerId]);
    if (rowCount !== 1) throw new Error(`unknown customer ${customerId}`);
  }

  async ipHolders(reseller: string, ips: string[], exceptCustomerId: number): Promise<Map<string, number>> {
    const holders = new Map<string, number>();
    if (ips.length === 0) return holders;
    const { rows } = await this.pool.query<{ ip: string; customer_id: number }>(customerQueries.ipHolders, [reseller, exceptCustomerId, ips]);
    for (const row of rows) holders.set(row.ip, row.customer_id);
    return holders;
  }

  async recordImmediateChange(customerId: number, update: CustomerUpdate, audit: AuditInput): Promise<void> {
    await this.transaction(async (db) => {
      const now = this.nowIso();
      await lockCustomer(db, customerId);
      const listed = await listedChangeOf(db, customerId);
      // Even an `applying` one: this runs under the customer's lock after the write upstream,
      // and the scheduler re-reads its change under that lock before writing.
      if (listed) await supersede(db, listed, audit, `superseded by ${audit.action}`, now);
      await applyUpdate(db, customerId, update, now);
      await insertAudit(db, { ...audit, customerId }, now);
    });
  }

  async updateCustomer(customerId: number, update: CustomerUpdate, audit: AuditInput): Promise<void> {
    await this.transaction(async (db) => {
      const now = this.nowIso();
      await applyUpdate(db, customerId, update, now);
      await insertAudit(db, { ...audit, customerId }, now);
    });
  }

  // --- pending changes -------------------------------------------------------------------

  async schedule(change: NewPendingChange, audit: ScheduleAudit): Promise<ScheduleResult> {
    const effectiveAt = canonicalInstant(change.effectiveAt, 'effectiveAt');
    return this.transaction(async (db) => {
      const now = this.nowIso();
      const customer = await lockCustomer(db, change.customerId);
      const listed = await listedChangeOf(db, customer.id);
      // A failed change is never "unchanged": sending it again is how a client retries it.
      if (listed && listed.status !== 'failed' && isSameChange(listed, change, effectiveAt)) {
        await insertAudit(db, { ...audit, customerId: customer.id, changeId: listed.id, outcome: 'noop' }, now);
        return { outcome: 'unchanged', change: listed };
      }
      if (listed?.status === 'applying') throw new ChangeInFlightError(listed);
      if (listed) await supersede(db, listed, audit, `superseded by a new ${audit.action}`, now);

      const { rows } = await db.query<ChangeRow>(changeQueries.insert, [
        customer.id,
        customer.reseller,
        // Scheduling is a legacy task, so the customer has a username; the uid is a fallback.
        customer.username ?? customer.business_uid ?? '',
        change.accountId,
        change.type,
        change.currentPackage,
        change.targetPackage,
        JSON.stringify(change.ips),
        JSON.stringify(change.ipGroups),
        effectiveAt,
        now,
      ]);
      const created = toChange(onlyRow(rows, 'pending change insert'));
      const outcome = listed ? 'replaced' : 'scheduled';
      const detail = listed ? joinDetail(audit.detail, `replaces change ${listed.id}`) : audit.detail;
      await insertAudit(db, { ...audit, customerId: customer.id, changeId: created.id, outcome, detail }, now);
      return { outcome: listed ? 'replaced' : 'created', change: created };
    });
  }

  async listPending(reseller: string, filter: { username?: string; type?: ChangeType } = {}): Promise<PendingListing[]> {
    const params: unknown[] = [reseller];
    let sql = changeQueries.listedOfReseller;
    if (filter.username !== undefined) sql += ` AND username = $${params.push(filter.username)}`;
    if (filter.type !== undefined) sql += ` AND type = $${params.push(filter.type)}`;
    const { rows } = await this.pool.query<ChangeRow>(sql + changeQueries.listedOrder, params);
    return rows.map(toListing);
  }

  async listChanges(filter: { statuses: ChangeStatus[] }): Promise<PendingChange[]> {
    const statuses = [...new Set(filter.statuses)];
    if (statuses.length === 0) return [];
    for (const status of statuses) {
      if (!CHANGE_STATUSES.includes(status)) throw new TypeError(`unknown change status ${JSON.stringify(status)}`);
    }
    const { rows } = await this.pool.query<ChangeRow>(changeQueries.byStatuses, [statuses]);
    return rows.map(toChange);
  }

  async cancelPending(customerId: number, audit: ScheduleAudit): Promise<PendingChange | undefined> {
    return this.transaction(async (db) => {
      const now = this.nowIso();
      await lockCustomer(db, customerId);
      const listed = await listedChangeOf(db, customerId);
      if (!listed) return undefined;
      if (listed.status === 'applying') throw new ChangeInFlightError(listed);
      const { rows } = await db.query<ChangeRow>(changeQueries.cancel, [now, listed.id]);
      const cancelled = toChange(onlyRow(rows, 'cancel'));
      await insertAudit(db, { ...audit, customerId, changeId: cancelled.id }, now);
      return cancelled;
    });
  }

  async getChange(id: number): Promise<PendingChange | undefined> {
    const { rows } = await this.pool.query<ChangeRow>(changeQueries.byId, [id]);
    return rows[0] && toChange(rows[0]);
  }

  // --- the scheduler's claim and finish ---------------------------------------------------

  async claimDue(now: Date, owner: string, leaseMs: number, limit: number): Promise<PendingChange[]> {
    if (!owner) throw new TypeError('a claim needs an owner');
    if (!(leaseMs > 0)) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
    if (!Number.isInteger(limit) || limit <= 0) return [];
    const leaseExpiresAt = new Date(now.getTime() + leaseMs).toISOString();
    const at = now.toISOString();
    return this.transaction(async (db) => {
      const { rows } = await db.query<ChangeRow & { claim_order: string; lease_expired: boolean }>(changeQueries.claim, [
        at,
        owner,
        leaseExpiresAt,
        limit,
      ]);
      rows.sort((a, b) => (a.claim_order < b.claim_order ? -1 : a.claim_order > b.claim_order ? 1 : a.id - b.id));
      const claimed = rows.map(toChange);
      for (const [i, change] of claimed.entries())
        if (rows[i]!.lease_expired) await insertAudit(db, leaseExpiredAudit(change), at);
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
    return this.transaction(async (db) => {
      const now = this.nowIso();
      const { rows: owners } = await db.query<{ customer_id: number }>(changeQueries.customerOf, [id]);
      if (!owners[0]) return false;
      const customerId = owners[0].customer_id;
      // The customer first, as every other write does, so a concurrent schedule cannot deadlock with us.
      await lockCustomer(db, customerId);
      const { rowCount } = await db.query(changeQueries.finish, [id, fence, ending.status, ending.error, ending.retryAt, now]);
      if (rowCount !== 1) return false;
      if (update && outcome.status === 'applied') await applyUpdate(db, customerId, update, now);
      // The record is about this change, whatever ids the caller's input carried.
      await insertAudit(db, { ...audit, customerId, changeId: id }, now);
      return true;
    });
  }

  // --- audit and locks ------------------------------------------------------------------

  async appendAudit(audit: AuditInput): Promise<void> {
    await insertAudit(this.pool, audit, this.nowIso());
  }

  async listAudit(filter: { customerId?: number; changeId?: number } = {}): Promise<AuditRecord[]> {
    const where = new Conditions();
    if (filter.customerId !== undefined) where.add('customer_id =', filter.customerId);
    if (filter.changeId !== undefined) where.add('change_id =', filter.changeId);
    const { rows } = await this.pool.query<AuditRow>(`SELECT * FROM audit_log${where.sql} ORDER BY id`, where.params);
    return rows.map(toAudit);
  }

  /**
   * Across instances: a session advisory lock on a connection of the lock pool, held while `fn`
   * runs. Callers in this process queue on the in-process mutex first, so at most one
   * connection per customer waits on the server.
   */
  withCustomerLock<T>(customerId: number, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(customerId, () => withAdvisoryLock(this.lockPool, [this.keys.customer, customerId], () => fn()));
  }

  // --- internals -------------------------------------------------------------------------

  /** One READ COMMITTED transaction on one connection, rolled back whole on any error. */
  private async transaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      // Explicit, so a server whose default is SERIALIZABLE does not turn lock waits into failures.
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is not given to the next caller.
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private nowIso(): string {
    return this.clock().toISOString();
  }
}

// --- statements shared by several methods (each runs on the given connection) -------------

async function currentSchema(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('no schema to use: the search_path names none that exists (set ?schema= in DATABASE_URL)');
  return schema;
}

async function findCustomerRow(db: Db, ref: CustomerRef): Promise<CustomerRow | undefined> {
  const [sql, params] =
    'id' in ref
      ? [customerQueries.byId, [ref.id]]
      : 'businessUid' in ref
        ? [customerQueries.byBusinessUid, [ref.businessUid]]
        : [customerQueries.byUsername, [ref.reseller, ref.username]];
  const { rows } = await db.query<CustomerRow>(sql, params);
  return rows[0];
}

/** Locks the customer's row for the rest of the transaction; every write about a customer starts here. */
async function lockCustomer(db: Db, customerId: number): Promise<CustomerRow> {
  const { rows } = await db.query<CustomerRow>(customerQueries.lockById, [customerId]);
  if (!rows[0]) throw new Error(`unknown customer ${customerId}`);
  return rows[0];
}

async function listedChangeOf(db: Db, customerId: number): Promise<PendingChange | undefined> {
  const { rows } = await db.query<ChangeRow>(changeQueries.listedOfCustomer, [customerId]);
  return rows[0] && toChange(rows[0]);
}

async function supersede(db: Db, change: PendingChange, by: Pick<AuditInput, 'actor' | 'action'>, detail: string, now: string): Promise<void> {
  const { rowCount } = await db.query(changeQueries.supersede, [now, change.id]);
  if (rowCount !== 1) throw new Error(`change ${change.id} could not be superseded`);
  await insertAudit(
    db,
    { actor: by.actor, action: by.action, customerId: change.customerId, changeId: change.id, outcome: 'superseded', detail },
    now,
  );
}

async function applyUpdate(db: Db, customerId: number, update: CustomerUpdate, now: string): Promise<void> {
  const { rowCount } = await db.query(customerQueries.update, [
    customerId,
    jsonOrNull(update.ips),
    jsonOrNull(update.ipGroups),
    jsonOrNull(update.tags),
    jsonOrNull(update.subscriptionParams),
    now,
  ]);
  if (rowCount !== 1) throw new Error(`unknown customer ${customerId}`);
}

async function insertAudit(db: Db, audit: AuditInput, now: string): Promise<void> {
  await db.query(auditQueries.insert, [
    now,
    audit.actor,
    audit.action,
    audit.customerId,
    audit.changeId ?? null,
    audit.outcome,
    jsonOrNull(audit.offeringsBefore),
    jsonOrNull(audit.offeringsAfter),
    audit.detail ?? null,
  ]);
}

/** The row of an INSERT or UPDATE ... RETURNING that must write one. */
function onlyRow<R>(rows: R[], what: string): R {
  if (!rows[0]) throw new Error(`no row written by the ${what}`);
  return rows[0];
}

/** A WHERE clause built from optional filters, with its positional parameters. */
class Conditions {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  /** `test` ends with the operator, e.g. `reseller =`. */
  add(test: string, value: unknown): void {
    this.parts.push(`${test} $${this.params.push(value)}`);
  }

  get sql(): string {
    return this.parts.length ? ` WHERE ${this.parts.join(' AND ')}` : '';
  }
}
