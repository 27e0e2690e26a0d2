// Scheduled changes (the part of the legacy API v3 lacks): validated now against
// what v3 says, stored as a pending change effective at 00:00 UTC of the customer's
// next billing day, applied later by the scheduler.
import type { Mappings, ResellerMapping } from '../config/mappings.js';
import { currentPackageOffering, planChange, type ChangeRequest } from '../rules/account.js';
import { nextBillingDate } from '../rules/billing.js';
import type { CustomerRecord, ScheduleResult, Store } from '../store/store.js';
import type { V3Api } from '../v3/api.js';
import type { AccountExecutor } from './executor.js';

export type ScheduleOutcome = { kind: 'scheduled'; result: ScheduleResult } | { kind: 'rejected'; errors: string[] };

export class ChangeScheduler {
  constructor(
    private readonly deps: {
      store: Store;
      mappings: Mappings;
      executor: AccountExecutor;
      v3For(reseller: ResellerMapping): V3Api;
      /** Resolves (and stores) a missing billing day; returns it. */
      billingDayOf(customer: CustomerRecord, reseller: ResellerMapping): Promise<number | undefined>;
      now(): Date;
    },
  ) {}

  async schedule(
    reseller: ResellerMapping,
    customer: CustomerRecord,
    request: ChangeRequest & { kind: 'upgrade' | 'downgrade' | 'close' },
    action: string,
    deadline: number,
  ): Promise<ScheduleOutcome> {
    const errors = await this.deps.executor.precheck(reseller, customer, request);
    if (errors.length) return { kind: 'rejected', errors };

    const current = await this.deps.executor.readCurrent(this.deps.v3For(reseller), customer.accountId, deadline);
    const plan = planChange(request, current, this.deps.mappings);
    if (plan.kind === 'rejected') return plan;

    const billingDay = customer.billingDay ?? (await this.deps.billingDayOf(customer, reseller));
    if (billingDay === undefined)
      return { kind: 'rejected', errors: ['The billing day of this customer is unknown: set billing_day in its mapping'] };

    const currentOffering = currentPackageOffering(current.offerings);
    const currentPackage =
      (currentOffering && this.deps.mappings.packageByOffering.get(currentOffering.name)?.name) ?? currentOffering?.name ?? '';
    const result = await this.deps.store.schedule(
      {
        customerId: customer.id,
        accountId: customer.accountId,
        type: request.kind,
        currentPackage,
        targetPackage: plan.to.name,
        ips: [...request.ips],
        ipGroups: [...request.ipGroups],
        effectiveAt: nextBillingDate(billingDay, this.deps.now()).toISOString(),
      },
      { actor: 'legacy', action, outcome: 'scheduled', offeringsBefore: [...current.offerings], detail: plan.to.name },
    );
    return { kind: 'scheduled', result };
  }
}
