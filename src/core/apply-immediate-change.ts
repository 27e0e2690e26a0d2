// Use case: an immediate change of a customer's package — the legacy `immediate_*` tasks
// and the directory's `package_name`. Check → lock → read → plan → write → record
// (DESIGN.md §3): the record (supersession of the pending change, IPs, audit) is one
// local transaction after v3 answered the PUT, which completes the write's intent. An earlier
// write of the customer still unsettled is settled first if it can be, else the request is
// refused for now (WriteUnsettledError); an unanswered PUT throws WriteUncertainError.
import type { ResellerMapping } from '../config/mappings.js';
import { customerUpdateFor, type ChangeRequest } from '../rules/account.js';
import type { AuditActor, CustomerUpdate } from '../store/store.js';
import type { Offering } from '../v3/schemas.js';
import { checkRequest, readPlanWrite } from './account-steps.js';
import { findResellerCustomer, unknownUserProblem, type Customer } from './customers.js';
import type { CoreDeps, PlannedV3Call, UseCaseOptions } from './deps.js';
import { clearTheWay } from './write-intents.js';

/** The customer already resolved (directory), or the legacy `user` to resolve. */
export type ChangeTarget = { customer: Customer } | { username: string | undefined };

export interface ImmediateChangeInput extends UseCaseOptions {
  reseller: ResellerMapping;
  target: ChangeTarget;
  request: ChangeRequest;
  actor: AuditActor;
  /** The audit's action, e.g. `immediate_upgrade`, `change_package`. */
  action: string;
  /** Recorded with the change in the same transaction (the directory's tags and params). */
  extraUpdate?: CustomerUpdate | undefined;
  /** The request's id, kept with the write's intent. */
  requestId?: string | undefined;
}

export type ChangeOutcome =
  | { kind: 'applied' | 'noop'; before: Offering[]; after: Offering[]; v3Calls: PlannedV3Call[]; dryRun: boolean }
  | { kind: 'rejected'; errors: string[] };

export async function applyImmediateChange(deps: CoreDeps, input: ImmediateChangeInput): Promise<ChangeOutcome> {
  const { reseller, request } = input;
  const customer = await resolveTarget(deps, reseller, input.target);
  const errors = await checkRequest(deps, reseller, customer?.id ?? -1, request);
  if (!customer) return { kind: 'rejected', errors: [unknownUserProblem(usernameOf(input.target)), ...errors] };
  if (errors.length) return { kind: 'rejected', errors };
  const dryRun = input.dryRun === true;

  const update = { ...customerUpdateFor(request), ...input.extraUpdate };
  const run = async (): Promise<ChangeOutcome> => {
    if (!dryRun) await clearTheWay(deps, customer.id);
    const intent = {
      customerId: customer.id,
      source: input.actor === 'directory' ? ('directory' as const) : ('immediate' as const),
      actor: input.actor,
      action: input.action,
      requestId: input.requestId ?? null,
      changeId: null,
      customerUpdate: update,
    };
    const { plan, before, after, v3Calls, intent: completion } = await readPlanWrite(deps, reseller, customer.accountId, request, { ...input, intent });
    if (plan.kind === 'rejected') return plan;
    const outcome = plan.kind === 'put' ? 'applied' : 'noop';
    if (!dryRun)
      await deps.store.recordImmediateChange(
        customer.id,
        update,
        {
          actor: input.actor,
          action: input.action,
          customerId: customer.id,
          outcome,
          offeringsBefore: before,
          offeringsAfter: after,
          detail: plan.to.name,
        },
        completion,
      );
    return { kind: outcome, before, after, v3Calls, dryRun };
  };
  // A dry run writes nothing, so it need not wait for the customer's other writers. `run` writes
  // nothing before its first store write (the intent, or the record of a no-op): the lock may come with it.
  return dryRun ? run() : deps.store.withCustomerLock(customer.id, run, { lazy: true });
}

export async function resolveTarget(deps: CoreDeps, reseller: ResellerMapping, target: ChangeTarget): Promise<Customer | undefined> {
  return 'customer' in target ? target.customer : findResellerCustomer(deps, reseller, target.username);
}

export function usernameOf(target: ChangeTarget): string | undefined {
  return 'customer' in target ? (target.customer.username ?? undefined) : target.username;
}
