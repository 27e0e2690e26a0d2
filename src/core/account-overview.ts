// Use case: the legacy `overview` task — what v3 and the store truthfully give about a
// customer; fields with no v3 source are left out (see README). Reads only.
import type { ResellerMapping } from '../config/mappings.js';
import { currentPackageOffering } from '../rules/account.js';
import { billingCycle } from '../rules/billing.js';
import { findResellerCustomer, unknownUserProblem } from './customers.js';
import type { CoreDeps, PlannedV3Call, UseCaseOptions } from './deps.js';

export interface AccountOverview {
  package?: string;
  credits_allowed?: string;
  billing_start_date?: string;
  billing_end_date?: string;
  billing_process_date?: string;
}

export type OverviewOutcome =
  | { kind: 'overview'; overview: AccountOverview; v3Calls: PlannedV3Call[]; dryRun: boolean }
  | { kind: 'rejected'; errors: string[] };

export async function accountOverview(
  deps: CoreDeps,
  input: UseCaseOptions & { reseller: ResellerMapping; username: string | undefined },
): Promise<OverviewOutcome> {
  const customer = await findResellerCustomer(deps, input.reseller, input.username);
  if (!customer) return { kind: 'rejected', errors: [unknownUserProblem(input.username)] };
  const v3 = deps.v3For(input.reseller);
  const [offerings, catalog] = await Promise.all([
    v3.getOfferings(customer.accountId, { deadline: input.deadline }),
    v3.listCatalog({ deadline: input.deadline }),
  ]);
  const offering = currentPackageOffering(offerings);
  const overview: AccountOverview = {};
  if (offering) {
    overview.package = deps.mappings.packageByOffering.get(offering.name)?.name ?? offering.name;
    const sends = catalog.catalog.find((e) => e.offering.name === offering.name)?.entitlements?.email_sends_max_monthly;
    if (sends !== undefined) overview.credits_allowed = String(sends);
  }
  if (customer.billingDay !== null) {
    const cycle = billingCycle(customer.billingDay, deps.now());
    overview.billing_start_date = cycle.start;
    overview.billing_end_date = cycle.end;
    overview.billing_process_date = cycle.process;
  }
  return { kind: 'overview', overview, v3Calls: [], dryRun: input.dryRun === true };
}
