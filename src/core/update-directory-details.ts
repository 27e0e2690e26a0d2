// Use case: the directory endpoint's tags and subscription params without a package
// change. v3 has no place for either: the bridge keeps them. The account must still exist
// upstream (GET state); no offerings are written. Under the customer's lock, and not while an
// offerings write of the customer is unsettled: settled as applied, it records its own tags and params.
import type { ResellerMapping } from '../config/mappings.js';
import type { CustomerUpdate } from '../store/store.js';
import type { Customer } from './customers.js';
import type { CoreDeps, PlannedV3Call, UseCaseOptions } from './deps.js';
import { clearTheWay } from './write-intents.js';

export interface DirectoryDetailsInput extends UseCaseOptions {
  reseller: ResellerMapping;
  customer: Customer;
  update: Pick<CustomerUpdate, 'tags' | 'subscriptionParams'>;
}

export async function updateDirectoryDetails(
  deps: CoreDeps,
  input: DirectoryDetailsInput,
): Promise<{ kind: 'updated'; v3Calls: PlannedV3Call[]; dryRun: boolean }> {
  const { customer, update } = input;
  const dryRun = input.dryRun === true;
  if (dryRun) {
    await deps.v3For(input.reseller).getState(customer.accountId, { deadline: input.deadline });
    return { kind: 'updated', v3Calls: [], dryRun };
  }
  return deps.store.withCustomerLock(customer.id, async () => {
    await clearTheWay(deps, customer.id);
    await deps.v3For(input.reseller).getState(customer.accountId, { deadline: input.deadline });
    await deps.store.updateCustomer(customer.id, update, {
      actor: 'directory',
      action: 'change_package',
      customerId: customer.id,
      outcome: 'updated',
      detail: Object.keys(update).join(', ') || 'no change',
    });
    return { kind: 'updated' as const, v3Calls: [], dryRun };
  });
}
