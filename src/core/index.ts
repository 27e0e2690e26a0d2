// The use-case layer: everything the edge and the scheduler may ask of the bridge. Each use
// case is its own module and owns check → lock → read → plan → write → record; the steps
// they share (account-steps.ts) are not exported. `createCore` binds them to their parts.
import type { DirectoryMapping, ResellerMapping } from '../config/mappings.js';
import { accountOverview } from './account-overview.js';
import { applyDueChange, type DueChangeInput } from './apply-due-change.js';
import { applyImmediateChange, type ImmediateChangeInput } from './apply-immediate-change.js';
import { cancelPendingChange, type CancelInput } from './cancel-pending-change.js';
import { findDirectoryBusiness, findResellerCustomer } from './customers.js';
import type { CoreDeps, UseCaseOptions } from './deps.js';
import { listPendingChanges } from './list-pending-changes.js';
import { scheduleChange, type ScheduleChangeInput } from './schedule-change.js';
import { updateDirectoryDetails, type DirectoryDetailsInput } from './update-directory-details.js';
import { settleDueIntents } from './write-intents.js';

export type { AccountOverview, OverviewOutcome } from './account-overview.js';
export type { DueChangeInput, DueChangeOutcome, DueChangeResult } from './apply-due-change.js';
export type { ChangeOutcome, ChangeTarget, ImmediateChangeInput } from './apply-immediate-change.js';
export type { CancelInput, CancelOutcome } from './cancel-pending-change.js';
export type { Customer } from './customers.js';
export type { CoreDeps, PlannedV3Call, UseCaseOptions } from './deps.js';
export type { ScheduleChangeInput, ScheduleOutcome } from './schedule-change.js';
export type { DirectoryDetailsInput } from './update-directory-details.js';
/** The failures a use case throws, for the callers' answer tables. */
export { ChangeInFlightError, WriteUnsettledError } from '../store/store.js';
export { DEFAULT_WRITE_GRACE_MS, WriteUncertainError } from './write-intents.js';
export type { ChangeType, PendingChange, PendingListing, WriteIntent } from '../store/store.js';
export { isV3Error, type V3Error } from '../v3/errors.js';
export { unknownUserProblem } from './customers.js';
export type { ChangeKind, ChangeRequest } from '../rules/account.js';
export type { Offering } from '../v3/schemas.js';

export type Core = ReturnType<typeof createCore>;

export function createCore(deps: CoreDeps) {
  return {
    applyImmediateChange: (input: ImmediateChangeInput) => applyImmediateChange(deps, input),
    scheduleChange: (input: ScheduleChangeInput) => scheduleChange(deps, input),
    /** Claims the changes due at `dueAt`, each leased for `leaseMs` from `leaseFrom` (with a new fence); see Store.claimDue. */
    claimDueChanges: (claim: { dueAt: Date; leaseFrom: Date; owner: string; leaseMs: number; limit: number }) =>
      deps.store.claimDue(claim.leaseFrom, claim.owner, claim.leaseMs, claim.limit, claim.dueAt),
    applyDueChange: (input: DueChangeInput) => applyDueChange(deps, input),
    /** Settles the writes whose outcome was unknown once their grace period is over (start-up, scheduler passes). */
    settleDueIntents: (options?: { limit?: number; recover?: boolean }) => settleDueIntents(deps, options),
    cancelPendingChange: (input: CancelInput) => cancelPendingChange(deps, input),
    listPendingChanges: (input: Parameters<typeof listPendingChanges>[1]) => listPendingChanges(deps, input),
    accountOverview: (input: UseCaseOptions & { reseller: ResellerMapping; username: string | undefined }) =>
      accountOverview(deps, input),
    updateDirectoryDetails: (input: DirectoryDetailsInput) => updateDirectoryDetails(deps, input),
    findDirectoryBusiness: (directory: DirectoryMapping, businessUid: string) => findDirectoryBusiness(deps, directory, businessUid),
    findResellerCustomer: (reseller: ResellerMapping, username: string | undefined) => findResellerCustomer(deps, reseller, username),
  };
}
