// reseller.pending tasks (DESIGN.md §3): list and delete. Listing makes no v3 call.
import type { ChangeType, PendingListing } from '../../store/store.js';
import { pendingList, type PendingEntry } from '../legacy/index.js';
import { answerFailure, badRequest, customerOf, ok, userProblem, type Task } from './answer.js';

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

const list: Task = async (ctx) => {
  const type = ctx.params.get('type');
  if (type !== undefined && type !== '' && !(type in TYPE_LABELS))
    return badRequest(['type must be one of upgrade, downgrade, close']);
  const username = ctx.params.get('username') || undefined;
  const changes = await ctx.store.listPending(ctx.reseller.api_user, {
    ...(username ? { username } : {}),
    ...(type ? { type: type as ChangeType } : {}),
  });
  return { status: 200, doc: pendingList(changes.map((c) => pendingEntry(c, ctx.reseller.label))) };
};

const remove: Task = async (ctx) => {
  const username = ctx.params.get('user');
  const customer = await customerOf(ctx, username);
  if (!customer) return badRequest([userProblem(username)]);
  try {
    const cancelled = await ctx.store.cancelPending(customer.id, { actor: 'legacy', action: 'pending.delete', outcome: 'cancelled' });
    return cancelled ? ok() : badRequest([`No pending change for user ${username}`]);
  } catch (error) {
    return answerFailure(error);
  }
};

export const pendingTasks: Readonly<Record<string, Task>> = { list, delete: remove };
