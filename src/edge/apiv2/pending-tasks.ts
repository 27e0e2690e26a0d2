// reseller.pending tasks (DESIGN.md §3): list and delete. Listing makes no v3 call.
import type { ChangeType, PendingListing } from '../../core/index.js';
import { pendingList, type PendingEntry } from '../legacy/index.js';
import { answerFailure, badRequest, ok, planned, type Task } from './answer.js';

const TYPE_LABELS: Record<ChangeType, string> = {
  upgrade: 'Account Upgrade',
  downgrade: 'Account Downgrade',
  close: 'Account Close',
};

export function pendingEntry(change: PendingListing, resellerLabel: string): PendingEntry {
  return {
    username: change.username,
    type: TYPE_LABELS[change.type],
    current: `${resellerLabel} - ${change.currentPackage}`,
    update: `${resellerLabel} - ${change.targetPackage}`,
    ip_groups: change.ipGroups,
    ips: change.ips,
    date: change.effectiveAt.slice(0, 10),
  };
}

/** Each entry made as it is written: 10,000 of them are never all alive at once. */
function* pendingEntries(changes: readonly PendingListing[], resellerLabel: string): Generator<PendingEntry> {
  for (const change of changes) yield pendingEntry(change, resellerLabel);
}

const list: Task = async (ctx) => {
  const type = ctx.params.get('type');
  if (type !== undefined && type !== '' && !(type in TYPE_LABELS))
    return badRequest(['type must be one of upgrade, downgrade, close']);
  const changes = await ctx.core.listPendingChanges({
    reseller: ctx.reseller,
    username: ctx.params.get('username') || undefined,
    type: (type || undefined) as ChangeType | undefined,
  });
  if (ctx.dryRun) return planned(ctx, 'read');
  return { status: 200, doc: pendingList(pendingEntries(changes, ctx.reseller.label)) };
};

const remove: Task = async (ctx) => {
  try {
    const outcome = await ctx.core.cancelPendingChange({
      reseller: ctx.reseller,
      username: ctx.params.get('user'),
      deadline: ctx.deadline,
      dryRun: ctx.dryRun !== undefined,
    });
    if (outcome.kind === 'rejected') return badRequest(outcome.errors);
    return ctx.dryRun ? planned(ctx, 'cancel') : ok();
  } catch (error) {
    return answerFailure(error);
  }
};

export const pendingTasks: Readonly<Record<string, Task>> = { list, delete: remove };
