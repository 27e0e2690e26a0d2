// The steps every change of a customer's offerings is made of (DESIGN.md §3), private to
// core: the use cases put them together, each in the order it needs. The pure decisions
// are in rules/; this module does the I/O around them.
import type { ResellerMapping } from '../config/mappings.js';
import { planChange, validateRequest, type ChangeRequest, type CurrentAccount, type Plan } from '../rules/account.js';
import type { V3Api } from '../v3/api.js';
import { accountPath } from '../v3/client.js';
import type { IntentCompletion, WriteIntent } from '../store/store.js';
import type { Offering } from '../v3/schemas.js';
import type { CoreDeps, PlannedV3Call } from './deps.js';
import { putUnderIntent, type IntentBasis } from './write-intents.js';

/** Stage 1: the checks that need no v3 call (the store knows who holds which IP). */
export async function checkRequest(
  deps: CoreDeps,
  reseller: ResellerMapping,
  customerId: number,
  request: ChangeRequest,
): Promise<string[]> {
  const holders = request.ips.length
    ? await deps.store.ipHolders(reseller.api_user, [...request.ips], customerId)
    : new Map<string, number>();
  return validateRequest(request, reseller, deps.mappings, new Set(holders.keys()));
}

/** GET state and offerings in parallel. */
export async function readAccount(v3: V3Api, accountId: string, deadline: number): Promise<CurrentAccount> {
  const [state, offerings] = await Promise.all([v3.getState(accountId, { deadline }), v3.getOfferings(accountId, { deadline })]);
  return { state, offerings };
}

export interface PlannedWrite {
  plan: Plan;
  before: Offering[];
  after: Offering[];
  /** The v3 writes of the plan: sent, or (dry run) only planned. */
  v3Calls: PlannedV3Call[];
  /** The intent of the write that landed (or the adopted one a no-op finds in place), to complete in the change's record. */
  intent?: IntentCompletion | undefined;
}

/**
 * Reads, plans and (unless a dry run) writes, under the caller's lock: the lock must cover
 * the read as well as the write, so two changes of one customer never both compute their
 * PUT from the same stale offerings. The write goes under an intent (write-intents.ts): the
 * caller checked that no other write of the customer is unsettled, and completes the intent.
 */
export async function readPlanWrite(
  deps: CoreDeps,
  reseller: ResellerMapping,
  accountId: string,
  request: ChangeRequest,
  options: { deadline: number; dryRun?: boolean | undefined; intent: IntentBasis; adopted?: WriteIntent | undefined },
): Promise<PlannedWrite> {
  const v3 = deps.v3For(reseller);
  const current = await readAccount(v3, accountId, options.deadline);
  const plan = planChange(request, current, deps.mappings);
  const before = [...current.offerings];
  // A no-op over an adopted intent: the earlier attempt landed; the record completes its intent.
  const adopted = options.adopted && { id: options.adopted.id, settleAfter: options.adopted.settleAfter };
  if (plan.kind !== 'put') return { plan, before, after: before, v3Calls: [], intent: plan.kind === 'noop' ? adopted : undefined };
  const v3Calls = [offeringsPut(accountId, plan.offerings)];
  if (options.dryRun) return { plan, before, after: plan.offerings, v3Calls };
  const { after, intent } = await putUnderIntent(deps, v3, accountId, options.intent, before, plan.offerings, options.deadline, options.adopted);
  return { plan, before, after, v3Calls, intent };
}

export function offeringsPut(accountId: string, offerings: Offering[]): PlannedV3Call {
  return { method: 'PUT', path: accountPath(accountId, '/offerings'), body: { offerings } };
}
