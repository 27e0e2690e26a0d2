// reseller.account tasks (DESIGN.md §3): immediate and scheduled changes, overview.
import { currentPackageOffering, validateRequest, type ChangeKind, type ChangeRequest } from '../../rules/account.js';
import { billingCycle } from '../../rules/billing.js';
import { overview, type Overview } from '../legacy/index.js';
import { answerFailure, badRequest, customerOf, ok, userProblem, type Task, type TaskContext } from './answer.js';

function changeRequest(ctx: TaskContext, kind: ChangeKind): ChangeRequest {
  return {
    kind,
    packageName: kind === 'close' ? undefined : ctx.params.get('package'),
    ips: ctx.params.list('ip'),
    ipGroups: ctx.params.list('ip_group'),
  };
}

/** Every problem at once when the user is unknown: the stage-1 checks still run. */
async function unknownUser(ctx: TaskContext, request: ChangeRequest, username: string | undefined) {
  const holders = await ctx.store.ipHolders(ctx.reseller.api_user, [...request.ips], -1);
  return badRequest([userProblem(username), ...validateRequest(request, ctx.reseller, ctx.mappings, new Set(holders.keys()))]);
}

function immediate(kind: 'upgrade' | 'downgrade' | 'close'): Task {
  return async (ctx) => {
    const request = changeRequest(ctx, kind);
    const username = ctx.params.get('user');
    const customer = await customerOf(ctx, username);
    if (!customer) return unknownUser(ctx, request, username);
    try {
      const outcome = await ctx.executor.applyImmediate({
        reseller: ctx.reseller,
        customer,
        request,
        actor: 'legacy',
        action: `immediate_${kind}`,
        deadline: ctx.deadline,
      });
      return outcome.kind === 'rejected' ? badRequest(outcome.errors) : ok();
    } catch (error) {
      return answerFailure(error);
    }
  };
}

function scheduled(kind: 'upgrade' | 'downgrade' | 'close'): Task {
  return async (ctx) => {
    const request = { ...changeRequest(ctx, kind), kind };
    const username = ctx.params.get('user');
    const customer = await customerOf(ctx, username);
    if (!customer) return unknownUser(ctx, request, username);
    try {
      const outcome = await ctx.changes.schedule(ctx.reseller, customer, request, `scheduled_${kind}`, ctx.deadline);
      return outcome.kind === 'rejected' ? badRequest(outcome.errors) : ok();
    } catch (error) {
      return answerFailure(error);
    }
  };
}

/** What v3 and the store truthfully give; fields with no source are left out (see README). */
const overviewTask: Task = async (ctx) => {
  const username = ctx.params.get('user');
  const customer = await customerOf(ctx, username);
  if (!customer) return badRequest([userProblem(username)]);
  try {
    const v3 = ctx.executor.v3(ctx.reseller);
    const [offerings, catalog] = await Promise.all([
      v3.getOfferings(customer.accountId, { deadline: ctx.deadline }),
      v3.listCatalog({ deadline: ctx.deadline }),
    ]);
    const offering = currentPackageOffering(offerings);
    const fields: Overview = {};
    if (offering) {
      fields.package = ctx.mappings.packageByOffering.get(offering.name)?.name ?? offering.name;
      const sends = catalog.catalog.find((e) => e.offering.name === offering.name)?.entitlements?.email_sends_max_monthly;
      if (sends !== undefined) fields.credits_allowed = String(sends);
    }
    if (customer.billingDay !== null) {
      const cycle = billingCycle(customer.billingDay, ctx.now());
      fields.billing_start_date = cycle.start;
      fields.billing_end_date = cycle.end;
      fields.billing_process_date = cycle.process;
    }
    return { status: 200, doc: overview(fields) };
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
