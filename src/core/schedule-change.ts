// Use case: a scheduled change (the part of the legacy API v3 lacks). Validated now against
// what v3 says, stored as a pending change effective at 00:00 UTC of the customer's next
// billing day; the scheduler applies it then (apply-due-change.ts). No v3 write here.
import type { ResellerMapping } from '../config/mappings.js';
import { currentPackageOffering, planChange, type ChangeRequest } from '../rules/account.js';
import { nextBillingDate } from '../rules/billing.js';
import { WriteUnsettledError, type ChangeType } from '../store/store.js';
import { checkRequest, readAccount } from './account-steps.js';
import { resolveTarget, usernameOf, type ChangeTarget } from './apply-immediate-change.js';
import { findBillingDays, resolveBillingDays } from './billing-days.js';
import { unknownUserProblem, type Customer } from './customers.js';
import type { CoreDeps, PlannedV3Call, UseCaseOptions } from './deps.js';

export interface ScheduleChangeInput extends UseCaseOptions {
  reseller: ResellerMapping;
  target: ChangeTarget;
  request: ChangeRequest & { kind: ChangeType };
  /** The audit's action, e.g. `scheduled_downgrade`. */
  action: string;
}

export type ScheduleOutcome =
  | {
      kind: 'scheduled';
      /** What the store did; undefined in a dry run (nothing stored). */
      stored: 'created' | 'replaced' | 'unchanged' | undefined;
      targetPackage: string;
      effectiveAt: string;
      /** Always empty: scheduling writes nothing to v3. */
      v3Calls: PlannedV3Call[];
      dryRun: boolean;
    }
  | { kind: 'rejected'; errors: string[] };

export async function scheduleChange(deps: CoreDeps, input: ScheduleChangeInput): Promise<ScheduleOutcome> {
  const { reseller, request, deadline } = input;
  const customer = await resolveTarget(deps, reseller, input.target);
  const errors = await checkRequest(deps, reseller, customer?.id ?? -1, request);
  if (!customer) return { kind: 'rejected', errors: [unknownUserProblem(usernameOf(input.target)), ...errors] };
  if (errors.length) return { kind: 'rejected', errors };

  const current = await readAccount(deps.v3For(reseller), customer.accountId, deadline);
  const plan = planChange(request, current, deps.mappings);
  if (plan.kind === 'rejected') return plan;

  const billingDay = customer.billingDay ?? (await lookUpBillingDay(deps, customer, reseller, input));
  if (billingDay === undefined)
    return { kind: 'rejected', errors: ['The billing day of this customer is unknown: set billing_day in its mapping'] };

  const currentOffering = currentPackageOffering(current.offerings);
  const currentPackage =
    (currentOffering && deps.mappings.packageByOffering.get(currentOffering.name)?.name) ?? currentOffering?.name ?? '';
  const effectiveAt = nextBillingDate(billingDay, deps.now()).toISOString();
  const scheduled = { kind: 'scheduled' as const, targetPackage: plan.to.name, effectiveAt, v3Calls: [] };
  if (input.dryRun) {
    // As the store would answer: not while an offerings write of the customer is unsettled.
    const unsettled = await deps.store.unsettledIntentOf(customer.id);
    if (unsettled) throw new WriteUnsettledError(unsettled);
    return { ...scheduled, stored: undefined, dryRun: true };
  }

  const result = await deps.store.schedule(
    {
      customerId: customer.id,
      accountId: customer.accountId,
      type: request.kind,
      currentPackage,
      targetPackage: plan.to.name,
      ips: [...request.ips],
      ipGroups: [...request.ipGroups],
      effectiveAt,
    },
    { actor: 'legacy', action: input.action, outcome: 'scheduled', offeringsBefore: [...current.offerings], detail: plan.to.name },
  );
  return { ...scheduled, stored: result.outcome, dryRun: false };
}

/** A billing day missing at scheduling time: resolved for this reseller only, within the request's deadline. */
async function lookUpBillingDay(deps: CoreDeps, customer: Customer, reseller: ResellerMapping, options: UseCaseOptions) {
  const { deadline } = options;
  if (options.dryRun) return (await findBillingDays(deps, reseller, [customer.accountId], deadline)).get(customer.accountId);
  await resolveBillingDays(deps, { reseller, deadline });
  return (await deps.store.findCustomer({ id: customer.id }))?.billingDay ?? undefined;
}
