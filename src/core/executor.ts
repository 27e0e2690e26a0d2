// The one place that changes a customer's offerings: the legacy immediate tasks,
// the directory endpoint and the scheduler all come through here. It does the
// I/O around the pure rules, in the order DESIGN.md §3 gives, under the
// customer's lock, and records the audit with the offerings before and after.
import type { Mappings, ResellerMapping } from '../config/mappings.js';
import type { Logger } from '../log.js';
import {
  customerUpdateFor,
  planChange,
  sameOfferings,
  validateRequest,
  type ChangeRequest,
  type CurrentAccount,
  type Plan,
} from '../rules/account.js';
import type { AuditActor, CustomerRecord, CustomerUpdate, Store } from '../store/store.js';
import type { V3Api } from '../v3/api.js';
import { isV3Error } from '../v3/errors.js';
import type { Offering } from '../v3/schemas.js';

/** How long the read-back after a timed-out PUT may take, even past the request's deadline. */
const RECONCILE_BUDGET_MS = 5_000;

export interface ExecutorDeps {
  store: Store;
  mappings: Mappings;
  /** The v3 API bound to a reseller's key. */
  v3For(reseller: ResellerMapping): V3Api;
  now(): number;
  logger: Logger;
}

export type ChangeOutcome =
  | { kind: 'applied' | 'noop'; before: Offering[]; after: Offering[] }
  | { kind: 'rejected'; errors: string[] };

export interface ImmediateChange {
  reseller: ResellerMapping;
  customer: CustomerRecord;
  request: ChangeRequest;
  actor: AuditActor;
  action: string;
  /** Absolute ms; no v3 attempt starts after it. */
  deadline: number;
  /** Recorded with the change in the same transaction (the directory's tags and params). */
  extraUpdate?: CustomerUpdate;
}

export class AccountExecutor {
  constructor(private readonly deps: ExecutorDeps) {}

  /** The v3 API bound to a reseller's key. */
  v3(reseller: ResellerMapping): V3Api {
    return this.deps.v3For(reseller);
  }

  /** Stage 1 of §3: the checks that need no v3 call (the store knows who holds which IP). */
  async precheck(reseller: ResellerMapping, customer: CustomerRecord, request: ChangeRequest): Promise<string[]> {
    const holders = request.ips.length
      ? await this.deps.store.ipHolders(reseller.api_user, [...request.ips], customer.id)
      : new Map<string, number>();
    return validateRequest(request, reseller, this.deps.mappings, new Set(holders.keys()));
  }

  /** GET state and offerings in parallel. */
  async readCurrent(v3: V3Api, accountId: string, deadline: number): Promise<CurrentAccount> {
    const [state, offerings] = await Promise.all([
      v3.getState(accountId, { deadline }),
      v3.getOfferings(accountId, { deadline }),
    ]);
    return { state, offerings };
  }

  /**
   * PUT the planned offerings. If the PUT times out it may still have been applied:
   * read the offerings back, and call it done only if they are the target.
   */
  async writeOfferings(v3: V3Api, accountId: string, offerings: Offering[], deadline: number): Promise<Offering[]> {
    try {
      return await v3.putOfferings(accountId, offerings, { deadline });
    } catch (error) {
      if (!isV3Error(error) || (error.kind !== 'timeout' && error.kind !== 'deadline')) throw error;
      const readBack = await v3
        .getOfferings(accountId, { deadline: Math.max(deadline, this.deps.now() + RECONCILE_BUDGET_MS) })
        .catch(() => undefined);
      if (readBack && sameOfferings(readBack, offerings)) {
        this.deps.logger.warn({ accountId }, 'offerings PUT timed out but was applied');
        return readBack;
      }
      throw error;
    }
  }

  /** Reads, plans and writes under the caller's lock. Exposed for the scheduler. */
  async planAndWrite(
    reseller: ResellerMapping,
    accountId: string,
    request: ChangeRequest,
    deadline: number,
  ): Promise<{ plan: Plan; before: Offering[]; after: Offering[] }> {
    const v3 = this.v3(reseller);
    const current = await this.readCurrent(v3, accountId, deadline);
    const plan = planChange(request, current, this.deps.mappings);
    const before = [...current.offerings];
    if (plan.kind !== 'put') return { plan, before, after: before };
    const after = await this.writeOfferings(v3, accountId, plan.offerings, deadline);
    return { plan, before, after };
  }

  /** An immediate change (legacy `immediate_*` or a directory package change). */
  async applyImmediate(change: ImmediateChange): Promise<ChangeOutcome> {
    const { reseller, customer, request } = change;
    const errors = await this.precheck(reseller, customer, request);
    if (errors.length) return { kind: 'rejected', errors };
    // The lock covers the read as well as the write: two changes of one customer
    // must not both compute their PUT from the same stale offerings.
    return this.deps.store.withCustomerLock(customer.id, async () => {
      const { plan, before, after } = await this.planAndWrite(reseller, customer.accountId, request, change.deadline);
      if (plan.kind === 'rejected') return plan;
      const outcome = plan.kind === 'put' ? 'applied' : 'noop';
      await this.deps.store.recordImmediateChange(
        customer.id,
        { ...customerUpdateFor(request), ...change.extraUpdate },
        {
          actor: change.actor,
          action: change.action,
          customerId: customer.id,
          outcome,
          offeringsBefore: before,
          offeringsAfter: after,
          detail: `${plan.to.name}`,
        },
      );
      return { kind: outcome, before, after };
    });
  }
}
