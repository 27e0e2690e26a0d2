// reseller.pending tasks (DESIGN.md §3): list and delete. Listing makes no v3 call.
import type { ChangeType, PendingListing } from '../../core/index.js';
import { pendingList, type PendingEntry } from '../legacy/index.js';
import { answerFailure, badRequest, ok, planned, type Task } from './answer.js';

const TYPE_LABELS: Record<ChangeType, string> = {
  upgrade: 'Account Upgrade',
  downgrade: 'Account Downgrade',
  close: 'Account Close',
};

/**
 * Each entry made as it is written: 10,000 of them are never all alive at once. A list names a
 * handful of packages, so each `<label> - <package>` is made once and the same string reused
 * (the renderer escapes each distinct value once).
 */
export function* pendingEntries(changes: readonly PendingListing[], resellerLabel: string): Generator<PendingEntry> {
  const labelled = new Map<string, string>();
  const label = (pkg: string): string => {
    let text = labelled.get(pkg);
    if (text === undefined) labelled.set(pkg, (text = `${resellerLabel} - ${pkg}`));
    return text;
  };
  for (const change of changes)
    yield {
      username: change.username,
      type: TYPE_LABELS[change.type],
      current: label(change.currentPackage),
      update: label(change.targetPackage),
      ip_groups: change.ipGroups,
      ips: change.ips,
      date: change.effectiveAt.slice(0, 10),
    };
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
  return { status: 200, doc: pendingList(pendingEntries(changes, ctx.reseller.label), changes.length) };
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
