// reseller.account tasks (DESIGN.md §3): immediate and scheduled changes, overview. Each
// reads its parameters, calls one core use case, and renders its outcome.
import type { ChangeKind, ChangeRequest } from '../../core/index.js';
import { overview } from '../legacy/index.js';
import { answerFailure, badRequest, ok, planned, type Task, type TaskContext } from './answer.js';

function changeRequest(ctx: TaskContext, kind: ChangeKind): ChangeRequest {
  return {
    kind,
    packageName: kind === 'close' ? undefined : ctx.params.get('package'),
    ips: ctx.params.list('ip'),
    ipGroups: ctx.params.list('ip_group'),
  };
}

function immediate(kind: 'upgrade' | 'downgrade' | 'close'): Task {
  return async (ctx) => {
    try {
      const outcome = await ctx.core.applyImmediateChange({
        reseller: ctx.reseller,
        target: { username: ctx.params.get('user') },
        request: changeRequest(ctx, kind),
        actor: 'legacy',
        action: `immediate_${kind}`,
        deadline: ctx.deadline,
        requestId: ctx.requestId,
        dryRun: ctx.dryRun !== undefined,
      });
      if (outcome.kind === 'rejected') return badRequest(outcome.errors);
      return ctx.dryRun ? planned(ctx, outcome.kind === 'applied' ? 'change' : 'no_change', outcome.v3Calls) : ok();
    } catch (error) {
      return answerFailure(error);
    }
  };
}

function scheduled(kind: 'upgrade' | 'downgrade' | 'close'): Task {
  return async (ctx) => {
    try {
      const outcome = await ctx.core.scheduleChange({
        reseller: ctx.reseller,
        target: { username: ctx.params.get('user') },
        request: { ...changeRequest(ctx, kind), kind },
        action: `scheduled_${kind}`,
        deadline: ctx.deadline,
        dryRun: ctx.dryRun !== undefined,
      });
      if (outcome.kind === 'rejected') return badRequest(outcome.errors);
      return ctx.dryRun ? planned(ctx, 'schedule', outcome.v3Calls, outcome.effectiveAt) : ok();
    } catch (error) {
      return answerFailure(error);
    }
  };
}

const overviewTask: Task = async (ctx) => {
  try {
    const outcome = await ctx.core.accountOverview({
      reseller: ctx.reseller,
      username: ctx.params.get('user'),
      deadline: ctx.deadline,
      dryRun: ctx.dryRun !== undefined,
    });
    if (outcome.kind === 'rejected') return badRequest(outcome.errors);
    return ctx.dryRun ? planned(ctx, 'read') : { status: 200, doc: overview(outcome.overview) };
  } catch (error) {
    return answerFailure(error);
  }
};

export const accountTasks: Readonly<Record<string, Task>> = {
  immediate_upgrade: immediate('upgrade'),
  immediate_downgrade: immediate('downgrade'),
  immediate_close: immediate('close'),
  scheduled_upgrade: scheduled('upgrade'),
  scheduled_downgrade: scheduled('downgrade'),
  scheduled_close: scheduled('close'),
  overview: overviewTask,
};
