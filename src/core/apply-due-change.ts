// Use case: apply one due scheduled change the scheduler has claimed (DESIGN.md §7).
// Under the customer's lock: re-read the change (still ours, under our fence?), check the
// lease, re-resolve the customer and its IPs, then read → plan → write against v3's
// offerings of the moment, and end the attempt with exactly one fenced finish. The PUT is a
// full replacement, so a change re-applied after a crash lands on the same offerings. The PUT
// goes under a write intent (write-intents.ts): while an earlier write of the customer is
// unsettled, the change is deferred to its settle time without counting an attempt.
import { customerUpdateFor, validateRequest, type ChangeRequest } from '../rules/account.js';
import { LockTakenMeanwhile, type AuditInput, type CustomerUpdate, type FinishOutcome, type IntentCompletion, type PendingChange } from '../store/store.js';
import { isV3Error } from '../v3/errors.js';
import { readPlanWrite, type PlannedWrite } from './account-steps.js';
import type { CoreDeps, PlannedV3Call } from './deps.js';
import { gateWrite, WriteUncertainError } from './write-intents.js';

export type DueChangeResult = 'applied' | 'retried' | 'failed' | 'skipped';

export interface DueChangeInput {
  /** The change as the claim returned it (its fence is the claim's). */
  claimed: PendingChange;
  /** The pass's clock: the instant retry times (and, unless `leaseClock` is given, leases) are measured in. */
  clock: () => Date;
  /** The real time leases run on, when the pass simulates another instant (`run-scheduler --now`). */
  leaseClock?: (() => Date) | undefined;
  /** Longest an attempt may take (all its v3 calls and retries), in real ms. */
  budgetMs: number;
  /** The wait before the next attempt after a transient failure (the scheduler's backoff). */
  retryDelayMs: (attempts: number, retryAfterMs: number) => number;
  /** Attempts an unexpected (non-v3) error is retried before the change is `failed`. */
  maxUnexpectedAttempts: number;
  /** Reads and plans only: no v3 write, no finish; the claim is left to expire. */
  dryRun?: boolean | undefined;
}

export interface DueChangeOutcome {
  result: DueChangeResult;
  v3Calls: PlannedV3Call[];
}

const RESULT_OF: Record<FinishOutcome['status'], DueChangeResult> = {
  applied: 'applied',
  failed: 'failed',
  pending: 'retried',
  deferred: 'retried',
};

type AuditFields = Omit<AuditInput, 'actor' | 'action' | 'customerId' | 'changeId'>;

/** An attempt on a lazy hold found an earlier attempt's intent to adopt: its PUT would be the hold's first write. */
const TAKE_THE_LOCK_FIRST = Symbol('take the lock first');

export async function applyDueChange(deps: CoreDeps, input: DueChangeInput): Promise<DueChangeOutcome> {
  // An attempt writes nothing, in the store or upstream, before its first store write (the
  // write intent, or its finish), so the customer's lock comes with that write: a lazy hold, one
  // transaction fewer per change. An attempt that adopts an earlier attempt's intent would send
  // its PUT before any store write: that one is run again with the lock taken first.
  const customerId = input.claimed.customerId;
  const outcome = await deps.store.withCustomerLock(customerId, () => attempt(deps, input, 'lazy'), { lazy: true });
  return outcome === TAKE_THE_LOCK_FIRST ? deps.store.withCustomerLock(customerId, () => attempt(deps, input, 'eager')) : outcome;
}

function attempt(deps: CoreDeps, input: DueChangeInput, hold: 'lazy'): Promise<DueChangeOutcome | typeof TAKE_THE_LOCK_FIRST>;
function attempt(deps: CoreDeps, input: DueChangeInput, hold: 'eager'): Promise<DueChangeOutcome>;
async function attempt(deps: CoreDeps, input: DueChangeInput, hold: 'lazy' | 'eager'): Promise<DueChangeOutcome | typeof TAKE_THE_LOCK_FIRST> {
  const { store } = deps;
  const { claimed, clock } = input;
  const none: PlannedV3Call[] = [];
  const done = (result: DueChangeResult, v3Calls = none): DueChangeOutcome => ({ result, v3Calls });

  // The change, its customer and the customer's latest intent, in one read under the hold.
  const found = await store.getChangeForAttempt(claimed.id);
  // Taken over by another claim, superseded by an immediate task, or no longer ours to run.
  if (!found || found.change.status !== 'applying' || found.change.fence !== claimed.fence) return done('skipped');
  const { change, customer } = found;

  const record = (audit: AuditFields): AuditInput => ({
    actor: 'scheduler',
    action: `apply_${change.type}`,
    customerId: change.customerId,
    changeId: change.id,
    ...audit,
  });
  // The lease ran out while this attempt waited for the lock: another claim may already
  // be on its way, so send nothing. The next claim counts this attempt as lost.
  if (!change.leaseExpiresAt || Date.parse(change.leaseExpiresAt) <= (input.leaseClock ?? clock)().getTime()) {
    if (!input.dryRun)
      await store.appendAudit(record({ outcome: 'lease_lost', detail: 'lease expired before the attempt started; nothing sent' }));
    return done('skipped');
  }

  const finish = async (outcome: FinishOutcome, audit: AuditFields, update?: CustomerUpdate, intent?: IntentCompletion): Promise<DueChangeResult> => {
    if (input.dryRun) return RESULT_OF[outcome.status];
    const finished = await store.finishChange(change.id, change.fence, outcome, update, record(audit), intent);
    if (!finished) {
      // Another claim took the lease over mid-attempt: its finish decides, but what this
      // attempt did upstream (a PUT may have landed) still goes into the audit log; a write
      // known to have landed settles its intent with that record.
      const detail = [`finish (${outcome.status}) refused: lease taken over`, audit.detail].filter(Boolean).join('; ');
      const lost = record({ ...audit, outcome: 'lease_lost', detail });
      const settled = intent && (await store.settleIntent(intent.id, { status: 'applied', audit: lost, settleAfter: intent.settleAfter }));
      if (!settled) await store.appendAudit(lost);
      return 'skipped';
    }
    return RESULT_OF[outcome.status];
  };
  const fail = async (reason: string) => done(await finish({ status: 'failed', reason }, { outcome: 'failed', detail: reason }));

  const reseller = customer && deps.mappings.resellerByUser.get(customer.reseller);
  if (!customer || !customer.active || !reseller) return fail('customer is no longer in the mappings');
  if (customer.accountId !== change.accountId)
    return fail(`account id changed from ${change.accountId} to ${customer.accountId} since the change was scheduled`);

  const request: ChangeRequest = { kind: change.type, packageName: change.targetPackage, ips: change.ips, ipGroups: change.ipGroups };
  const holders = await store.ipHolders(customer.reseller, change.ips, customer.id);
  const invalid = validateRequest(request, reseller, deps.mappings, new Set(holders.keys()));
  if (invalid.length) return fail(invalid.join('; '));

  const finishFailedAttempt = async (failure: unknown): Promise<DueChangeResult> => {
    // Not the attempt's failure: nothing was written, and the hold runs the attempt again.
    if (failure instanceof LockTakenMeanwhile) throw failure;
    // An unanswered write is the v3 failure behind it, and always worth another attempt.
    const error = failure instanceof WriteUncertainError ? failure.cause : failure;
    if (isV3Error(error) && !error.transient && !(failure instanceof WriteUncertainError)) return (await fail(`v3 refused: ${error.message}`)).result;
    const message = error instanceof Error ? error.message : String(error);
    // A programming error would be retried for ever if it were treated as transient: bounded.
    if (!isV3Error(error)) {
      deps.logger.error({ err: error, changeId: change.id, attempts: change.attempts + 1 }, 'scheduled change hit an unexpected error');
      if (change.attempts + 1 >= input.maxUnexpectedAttempts)
        return (await fail(`unexpected error in ${change.attempts + 1} attempts: ${message}`)).result;
    }
    // Transient (429, 5xx, timeouts, network), or unexpected with attempts left: try again later;
    // after an unanswered write, not before its intent can be settled.
    const retryAfter = isV3Error(error) ? (error.details.retryAfterMs ?? 0) : 0;
    const delay = input.retryDelayMs(change.attempts, retryAfter);
    const retryAt = new Date(Math.max(clock().getTime() + delay, failure instanceof WriteUncertainError ? onPassClock(failure.intent.settleAfter) : 0));
    deps.logger.warn({ changeId: change.id, attempts: change.attempts + 1, error: message }, 'scheduled change will be retried');
    return finish({ status: 'pending', error: message, retryAt: retryAt.toISOString() }, { outcome: 'retry', detail: message });
  };

  // A real-time instant on the pass's clock (they differ under `run-scheduler --now`).
  const onPassClock = (iso: string) => clock().getTime() + (Date.parse(iso) - Date.now());
  const deadline = Date.now() + input.budgetMs;

  let written: PlannedWrite;
  try {
    const gate = input.dryRun ? undefined : await gateWrite(deps, customer.id, change.id, { latest: found.latestIntent });
    if (gate?.kind === 'wait') {
      const reason = `an earlier write of this customer (intent ${gate.intent.id}) may still land; deferred until ${gate.intent.settleAfter}`;
      const retryAt = new Date(onPassClock(gate.intent.settleAfter)).toISOString();
      return done(await finish({ status: 'deferred', reason, retryAt }, { outcome: 'deferred', detail: reason }));
    }
    // The gate settled an earlier write that landed: an immediate change, which supersedes this
    // one. Sending this change now would undo it.
    if (gate?.kind === 'clear' && gate.settled) {
      const current = await store.getChange(change.id);
      if (!current || current.status !== 'applying' || current.fence !== change.fence) return done('skipped');
    }
    const intent = {
      customerId: customer.id,
      source: 'scheduled' as const,
      actor: 'scheduler' as const,
      action: `apply_${change.type}`,
      changeId: change.id,
      customerUpdate: customerUpdateFor(request),
    };
    if (gate?.kind === 'adopt' && hold === 'lazy') return TAKE_THE_LOCK_FIRST;
    const adopted = gate?.kind === 'adopt' ? gate.intent : undefined;
    written = await readPlanWrite(deps, reseller, customer.accountId, request, { deadline, dryRun: input.dryRun, intent, adopted });
  } catch (error) {
    return done(await finishFailedAttempt(error));
  }
  // Outside the try: a store failure here is not the attempt's, and is left to the lease.
  const { plan, before, after } = written;
  if (plan.kind === 'rejected') return fail(plan.errors.join('; '));
  const result = await finish(
    { status: 'applied' },
    { outcome: plan.kind === 'put' ? 'applied' : 'noop', offeringsBefore: before, offeringsAfter: after, detail: plan.to.name },
    customerUpdateFor(request),
    written.intent,
  );
  return done(result, written.v3Calls);
}
