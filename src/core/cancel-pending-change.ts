// Use case: `reseller.pending delete` — cancels the customer's pending or failed change
// (kept in history as `cancelled`). A change being applied cannot be cancelled: the
// store throws ChangeInFlightError (409, retry in a moment). No v3 call.
import type { ResellerMapping } from '../config/mappings.js';
import { ChangeInFlightError, LISTED_STATUSES, WriteUnsettledError, type PendingChange } from '../store/store.js';
import { findResellerCustomer, unknownUserProblem } from './customers.js';
import type { CoreDeps, PlannedV3Call, UseCaseOptions } from './deps.js';

export interface CancelInput extends UseCaseOptions {
  reseller: ResellerMapping;
  username: string | undefined;
}

export type CancelOutcome =
  | { kind: 'cancelled'; change: PendingChange; v3Calls: PlannedV3Call[]; dryRun: boolean }
  | { kind: 'rejected'; errors: string[] };

export async function cancelPendingChange(deps: CoreDeps, input: CancelInput): Promise<CancelOutcome> {
  const customer = await findResellerCustomer(deps, input.reseller, input.username);
  if (!customer) return { kind: 'rejected', errors: [unknownUserProblem(input.username)] };
  const nothing = { kind: 'rejected' as const, errors: [`No pending change for user ${input.username}`] };
  if (input.dryRun) {
    // As the store would answer: not while an offerings write of the customer is unsettled.
    const unsettled = await deps.store.unsettledIntentOf(customer.id);
    if (unsettled) throw new WriteUnsettledError(unsettled);
    const listed = (await deps.store.listChanges({ statuses: [...LISTED_STATUSES] })).find((c) => c.customerId === customer.id);
    if (!listed) return nothing;
    if (listed.status === 'applying') throw new ChangeInFlightError(listed);
    return { kind: 'cancelled', change: listed, v3Calls: [], dryRun: true };
  }
  const cancelled = await deps.store.cancelPending(customer.id, { actor: 'legacy', action: 'pending.delete', outcome: 'cancelled' });
  return cancelled ? { kind: 'cancelled', change: cancelled, v3Calls: [], dryRun: false } : nothing;
}
