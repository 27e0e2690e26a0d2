// The directory endpoint's calls into core: the one module of this surface that reaches the use
// cases, so the HTTP code (router.ts) knows only these two operations.
import type { DirectoryMapping, Mappings } from '../../config/mappings.js';
import type { Core, Customer, PlannedV3Call } from '../../core/index.js';
import type { DryRunOutcome } from '../legacy/index.js';
import type { DirectoryChange } from './params.js';

/** `done` with what was (or, in a dry run, would be) written. */
export type DirectoryChangeOutcome =
  | { kind: 'done'; outcome: DryRunOutcome; v3Writes: PlannedV3Call[] }
  | { kind: 'rejected'; errors: string[] };

export interface DirectoryUseCases {
  /** The business, if it is an active customer of the directory's reseller. */
  business(directory: DirectoryMapping, businessUid: string): Promise<Customer | undefined>;
  /** A package change (with the tags and params in the same record), or tags and params alone. */
  change(
    directory: DirectoryMapping,
    customer: Customer,
    change: DirectoryChange,
    deadline: number,
    dryRun: boolean,
    /** The request's id, kept with the intent of the write. */
    requestId?: string,
  ): Promise<DirectoryChangeOutcome>;
}

export function directoryUseCases(deps: { mappings: Mappings; core: Core }): DirectoryUseCases {
  const { mappings, core } = deps;
  return {
    business: (directory, businessUid) => core.findDirectoryBusiness(directory, businessUid),

    async change(directory, customer, change, deadline, dryRun, requestId) {
      const reseller = mappings.resellerByUser.get(directory.reseller)!;
      const update = {
        ...(change.tags ? { tags: change.tags } : {}),
        ...(change.subscriptionParams ? { subscriptionParams: change.subscriptionParams } : {}),
      };
      if (change.packageName === undefined) {
        // Tags and params only: core confirms the account exists upstream and changes no offerings.
        await core.updateDirectoryDetails({ reseller, customer, update, deadline, dryRun });
        return { kind: 'done', outcome: 'update', v3Writes: [] };
      }
      const outcome = await core.applyImmediateChange({
        reseller,
        target: { customer },
        request: { kind: 'change', packageName: directory.packages[change.packageName], ips: [], ipGroups: [] },
        actor: 'directory',
        action: 'change_package',
        deadline,
        extraUpdate: update,
        dryRun,
        requestId,
      });
      if (outcome.kind === 'rejected') return outcome;
      return { kind: 'done', outcome: outcome.kind === 'applied' ? 'change' : 'no_change', v3Writes: outcome.v3Calls };
    },
  };
}
