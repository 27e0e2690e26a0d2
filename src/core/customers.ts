// Who a request is about: a reseller's customer by legacy username, or a directory's
// business by uid. Another reseller's (or directory's) customer is not found, exactly
// like an unknown one.
import type { DirectoryMapping, ResellerMapping } from '../config/mappings.js';
import type { CustomerRecord } from '../store/store.js';
import type { CoreDeps } from './deps.js';

export type Customer = CustomerRecord;

/** The legacy edge's customer: the one `user` names, if it is this reseller's and still mapped. */
export async function findResellerCustomer(
  deps: CoreDeps,
  reseller: ResellerMapping,
  username: string | undefined,
): Promise<Customer | undefined> {
  if (!username) return undefined;
  const customer = await deps.store.findCustomer({ reseller: reseller.api_user, username });
  return customer?.active ? customer : undefined;
}

/** The directory endpoint's business: one of the customers of the reseller the directory names. */
export async function findDirectoryBusiness(
  deps: CoreDeps,
  directory: DirectoryMapping,
  businessUid: string,
): Promise<Customer | undefined> {
  const customer = await deps.store.findCustomer({ businessUid });
  return customer?.active && customer.reseller === directory.reseller ? customer : undefined;
}

export function unknownUserProblem(username: string | undefined): string {
  return username ? `User not found: ${username}` : 'user is required';
}
