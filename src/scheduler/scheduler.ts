// Applies due scheduled changes (DESIGN.md §7): at-least-once delivery, exactly-once
// effect. A change is claimed with a lease and a fencing counter; under the
// customer's lock it is re-read (still ours?), its account re-resolved, then applied
// through the same executor as the immediate tasks. The PUT is idempotent (full
// replacement), so a change re-applied after a crash lands on the same offerings.
import type { Mappings } from '../config/mappings.js';
import type { AccountExecutor } from '../core/executor.js';
import type { Logger } from '../log.js';
import { customerUpdateFor, validateRequest, type ChangeRequest } from '../rules/account.js';
import type { AuditInput, FinishOutcome, PendingChange, Store } from '../store/store.js';
import { isV3Error } from '../v3/errors.js';

export interface SchedulerOptions {
  /** Identifies this instance in leases. */
  owner: string;
  leaseMs: number;
  batchSize: number;
  /** Changes applied at once within a pass. */
  concurrency: number;
  intervalMs: number;
  /** Random delay before each timed pass, so instances do not claim in lockstep. */
  jitterMs: number;
  /** Budget of one apply (all its v3 calls and retries). */
  applyBudgetMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  now: () => Date;
  random: () => number;
}

export const defaultSchedulerOptions = (owner: string): SchedulerOptions => ({
  owner,
  leaseMs: 120_000,
  batchSize: 100,
  concurrency: 16,
  intervalMs: 30_000,
  jitterMs: 2_000,
  applyBudgetMs: 30_000,
  retryBaseMs: 30_000,
  retryCapMs: 60 * 60_000,
  now: () => new Date(),
  random: Math.random,
});

export interface PassResult {
  claimed: number;
  applied: number;
  retried: number;
  failed: number;
  /** Lost the lease to another claimer before finishing: left to it. */
  skipped: number;
}

type Result = keyof Omit<PassResult, 'claimed'>;

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly deps: { store: Store; executor: AccountExecutor; mappings: Mappings; logger: Logger },
    private readonly options: SchedulerOptions,
  ) {}

  start(): void {
    this.stopping = false;
    const tick = () => {
      if (this.stopping) return;
      this.inFlight = this.runPass()
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'scheduler pass failed'))
        .finally(() => {
          this.inFlight = undefined;
          if (!this.stopping) this.timer = setTimeout(tick, this.delay());
        });
    };
    this.timer = setTimeout(tick, this.delay());
  }

  /** Stops claiming and waits for the changes being applied to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  /** Claims and applies every change due at `now`, batch after batch. */
  async runPass(now: Date = this.options.now()): Promise<PassResult> {
    const result: PassResult = { claimed: 0, applied: 0, retried: 0, failed: 0, skipped: 0 };
    // Leases were computed from `now`: the pass's clock starts there and runs in real time,
    // so a lease that ran out while an attempt waited is seen as expired.
    const started = performance.now();
    const clock = () => new Date(now.getTime() + (performance.now() - started));
    while (!this.stopping) {
      const batch = await this.deps.store.claimDue(now, this.options.owner, this.options.leaseMs, this.options.batchSize);
      if (batch.length === 0) break;
      result.claimed += batch.length;
      await this.forEachConcurrently(batch, async (change) => {
        result[await this.attempt(change, clock)]++;
      });
    }
    return result;
  }

  /**
   * An unexpected error (the store refusing a write, say) must not abandon the rest of the batch
   * or let stop() return while attempts still run: the change keeps its lease and is re-claimed
   * once it expires, like after a crash.
   */
  private async attempt(change: PendingChange, clock: () => Date): Promise<Result> {
    try {
      return await this.applyClaimed(change, clock);
    } catch (error) {
      this.deps.logger.error({ err: error, changeId: change.id }, 'scheduled change attempt broke off; re-claimed when its lease expires');
      return 'skipped';
    }
  }

  private async forEachConcurrently<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    // Once stopping, no new attempt starts: the rest keep their claim and are taken over when
    // their lease runs out, so a shutdown waits for at most `concurrency` attempts.
    const worker = async () => {
      while (next < items.length && !this.stopping) await fn(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, items.length) }, worker));
  }

  private delay(): number {
    return this.options.intervalMs + Math.floor(this.options.random() * this.options.jitterMs);
  }

  /** One attempt on a claimed change; always ends with exactly one fenced finish (or a lost lease). */
  private async applyClaimed(claimed: PendingChange, clock: () => Date): Promise<Result> {
    const { store } = this.deps;
    return store.withCustomerLock(claimed.customerId, async () => {
      const change = await store.getChange(claimed.id);
      // Taken over by another claim, superseded by an immediate task, or no longer ours to run.
      if (!change || change.status !== 'applying' || change.fence !== claimed.fence) return 'skipped';

      const record = (audit: Omit<AuditInput, 'actor' | 'action' | 'customerId' | 'changeId'>): AuditInput => ({
        actor: 'scheduler',
        action: `apply_${change.type}`,
        customerId: change.customerId,
        changeId: change.id,
        ...audit,
      });
      // The lease ran out while this attempt waited for the lock: another claim may already
      // be on its way, so send nothing. The next claim counts this attempt as lost.
      if (!change.leaseExpiresAt || Date.parse(change.leaseExpiresAt) <= clock().getTime()) {
        await store.appendAudit(record({ outcome: 'lease_lost', detail: 'lease expired before the attempt started; nothing sent' }));
        return 'skipped';
      }

      const finish = async (outcome: FinishOutcome, audit: Omit<AuditInput, 'actor' | 'action' | 'customerId' | 'changeId'>, update?: ReturnType<typeof customerUpdateFor>): Promise<Result> => {
        const done = await store.finishChange(change.id, change.fence, outcome, update, record(audit));
        if (!done) {
          // Another claim took the lease over mid-attempt: its finish decides, but what this
          // attempt did upstream (a PUT may have landed) still goes into the audit log.
          const detail = [`finish (${outcome.status}) refused: lease taken over`, audit.detail].filter(Boolean).join('; ');
          await store.appendAudit(record({ ...audit, outcome: 'lease_lost', detail }));
          return 'skipped';
        }
        return outcome.status === 'applied' ? 'applied' : outcome.status === 'failed' ? 'failed' : 'retried';
      };
      const fail = (reason: string) => finish({ status: 'failed', reason }, { outcome: 'failed', detail: reason });

      const customer = await store.findCustomer({ id: change.customerId });
      const reseller = customer && this.deps.mappings.resellerByUser.get(customer.reseller);
      if (!customer || !customer.active || !reseller) return fail('customer is no longer in the mappings');
      if (customer.accountId !== change.accountId)
        return fail(`account id changed from ${change.accountId} to ${customer.accountId} since the change was scheduled`);

      const request: ChangeRequest = {
        kind: change.type,
        packageName: change.targetPackage,
        ips: change.ips,
        ipGroups: change.ipGroups,
      };
      const holders = await store.ipHolders(customer.reseller, change.ips, customer.id);
      const invalid = validateRequest(request, reseller, this.deps.mappings, new Set(holders.keys()));
      if (invalid.length) return fail(invalid.join('; '));

      try {
        const deadline = Date.now() + this.options.applyBudgetMs;
        const { plan, before, after } = await this.deps.executor.planAndWrite(reseller, customer.accountId, request, deadline);
        if (plan.kind === 'rejected') return fail(plan.errors.join('; '));
        return finish(
          { status: 'applied' },
          { outcome: plan.kind === 'put' ? 'applied' : 'noop', offeringsBefore: before, offeringsAfter: after, detail: plan.to.name },
          customerUpdateFor(request),
        );
      } catch (error) {
        if (isV3Error(error) && !error.transient) return fail(`v3 refused: ${error.message}`);
        // Transient (429, 5xx, timeouts, network) or unexpected: try again later, never `failed`.
        const message = error instanceof Error ? error.message : String(error);
        const retryAfter = isV3Error(error) ? (error.details.retryAfterMs ?? 0) : 0;
        const retryAt = new Date(clock().getTime() + Math.max(retryAfter, this.backoff(change.attempts)));
        this.deps.logger.warn({ changeId: change.id, attempts: change.attempts + 1, error: message }, 'scheduled change will be retried');
        return finish({ status: 'pending', error: message, retryAt: retryAt.toISOString() }, { outcome: 'retry', detail: message });
      }
    });
  }

  /** Capped exponential backoff with jitter (half to full of the step). */
  private backoff(attempts: number): number {
    const step = Math.min(this.options.retryCapMs, this.options.retryBaseMs * 2 ** Math.min(attempts, 20));
    return Math.floor(step / 2 + (this.options.random() * step) / 2);
  }
}
