// The directory endpoint's calls into core: the one module of this surface that reaches the use
// cases, so the HTTP code (router.ts) knows only these two operations.
import type { DirectoryMapping, Mappings } from '../../config/mappings.js';
import type { Core, Customer } from '../../core/index.js';
import type { DirectoryChange } from './params.js';

export type DirectoryChangeOutcome = { kind: 'done' } | { kind: 'rejected'; errors: string[] };

export interface DirectoryUseCases {
  /** The business, if it is an active customer of the directory's reseller. */
  business(directory: DirectoryMapping, businessUid: string): Promise<Customer | undefined>;
  /** A package change (with the tags and params in the same record), or tags and params alone. */
  change(directory: DirectoryMapping, customer: Customer, change: DirectoryChange, deadline: number): Promise<DirectoryChangeOutcome>;
}

export function directoryUseCases(deps: { mappings: Mappings; core: Core }): DirectoryUseCases {
  const { mappings, core } = deps;
  return {
    business: (directory, businessUid) => core.findDirectoryBusiness(directory, businessUid),

    async change(directory, customer, change, deadline) {
      const reseller = mappings.resellerByUser.get(directory.reseller)!;
      const update = {
        ...(change.tags ? { tags: change.tags } : {}),
        ...(change.subscriptionParams ? { subscriptionParams: change.subscriptionParams } : {}),
      };
      if (change.packageName === undefined) {
        // Tags and params only: core confirms the account exists upstream and changes no offerings.
        await core.updateDirectoryDetails({ reseller, customer, update, deadline });
        return { kind: 'done' };
      }
      const outcome = await core.applyImmediateChange({
        reseller,
        target: { customer },
        request: { kind: 'change', packageName: directory.packages[change.packageName], ips: [], ipGroups: [] },
        actor: 'directory',
        action: 'change_package',
        deadline,
        extraUpdate: update,
      });
      return outcome.kind === 'rejected' ? outcome : { kind: 'done' };
    },
  };
}
