// Runs scheduler passes (DESIGN.md §7): at-least-once delivery, exactly-once effect. A pass
// claims due changes with a lease and a fencing counter, batch after batch, and hands each
// to core's applyDueChange use case, a bounded number at once. What it claims at once is
// what it can finish within the lease at the v3 rate limit: a change claimed and not started
// before its lease runs out would be taken over by another claim and counted as lost.
import type { Core, DueChangeResult, PendingChange } from '../core/index.js';
import type { Logger } from '../log.js';

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
  /** Budget of one apply (all its v3 calls and retries); the lease cuts it shorter. */
  applyBudgetMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  /** v3 requests per second per key (Infinity: no limit): bounds what a claim takes. */
  v3RatePerSecond: number;
  /** Attempts an unexpected (non-v3) error is retried before the change is `failed`. */
  maxUnexpectedAttempts: number;
  now: () => Date;
  /**
   * The real time leases run on, when passes simulate another instant (`run-scheduler --now`):
   * such a pass claims what is due at its instant, but its leases expire on time. Unset: `now`.
   */
  leaseClock?: () => Date;
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
  v3RatePerSecond: Number.POSITIVE_INFINITY,
  maxUnexpectedAttempts: 5,
  now: () => new Date(),
  random: Math.random,
});

/** v3 calls one change costs: GET state, GET offerings, PUT offerings. */
const V3_CALLS_PER_CHANGE = 3;
/** The share of the key's rate a pass counts on: the edge's requests use the same token bucket. */
const RATE_SHARE = 0.5;

/** How many changes one claim takes: no more than can be applied within the lease at the rate limit. */
export function claimLimit(options: Pick<SchedulerOptions, 'batchSize' | 'leaseMs' | 'v3RatePerSecond'>): number {
  const withinLease = Math.floor((options.v3RatePerSecond * RATE_SHARE * options.leaseMs) / 1000 / V3_CALLS_PER_CHANGE);
  return Math.max(1, Math.min(options.batchSize, withinLease));
}

export interface PassResult {
  claimed: number;
  applied: number;
  retried: number;
  failed: number;
  /** Lost the lease to another claimer before finishing: left to it. */
  skipped: number;
}

export class DueChangeRunner {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly deps: {
      core: Core;
      logger: Logger;
      /** Hears the result of every attempt (metrics); must not throw. */
      onAttempt?: (result: DueChangeResult) => void;
    },
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
    // Writes left uncertain (or open by a dead process) whose grace period is over are settled
    // first, so the changes of their customers are not deferred again.
    await this.deps.core
      .settleDueIntents()
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'settling write intents failed; retried by the next pass'));
    // Leases were computed from `now`: the pass's clock starts there and runs in real time,
    // so a lease that ran out while an attempt waited is seen as expired.
    const started = performance.now();
    const clock = () => new Date(now.getTime() + (performance.now() - started));
    let limit = claimLimit(this.options);
    while (!this.stopping) {
      // Each batch's lease runs from its own claim, not from the pass's start: on the lease clock
      // (real time, whatever instant a pass simulates) when one is set. Leases that expire are
      // still judged at the pass's `now`: a pass does not re-claim the change it just lost.
      const { leaseClock } = this.options;
      const lease = leaseClock
        ? { leaseFrom: leaseClock(), leaseMs: this.options.leaseMs }
        : { leaseFrom: now, leaseMs: this.options.leaseMs + (clock().getTime() - now.getTime()) };
      const batch = await this.deps.core.claimDueChanges({ dueAt: now, ...lease, owner: this.options.owner, limit });
      if (batch.length === 0) break;
      result.claimed += batch.length;
      const batchStarted = performance.now();
      await this.forEachConcurrently(batch, async (change) => {
        const outcome = await this.attempt(change, clock);
        result[outcome]++;
        this.deps.onAttempt?.(outcome);
      });
      // A busy machine applies fewer than the rate allows: the next claim takes what this pace finishes in half a lease.
      const perMs = batch.length / Math.max(1, performance.now() - batchStarted);
      limit = Math.max(1, Math.min(claimLimit(this.options), Math.floor(perMs * this.options.leaseMs * RATE_SHARE)));
    }
    return result;
  }

  /**
   * An error the use case could not record (the store refusing a write, say) must not abandon
   * the rest of the batch or let stop() return while attempts still run: the change keeps its
   * lease and is re-claimed once it expires, like after a crash.
   */
  private async attempt(claimed: PendingChange, clock: () => Date): Promise<DueChangeResult> {
    try {
      const { result } = await this.deps.core.applyDueChange({
        claimed,
        clock,
        leaseClock: this.options.leaseClock,
        budgetMs: this.options.applyBudgetMs,
        retryDelayMs: (attempts, retryAfterMs) => Math.max(retryAfterMs, this.backoff(attempts)),
        maxUnexpectedAttempts: this.options.maxUnexpectedAttempts,
      });
      return result;
    } catch (error) {
      this.deps.logger.error({ err: error, changeId: claimed.id }, 'scheduled change attempt broke off; re-claimed when its lease expires');
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

  /** Capped exponential backoff with jitter (half to full of the step). */
  private backoff(attempts: number): number {
    const step = Math.min(this.options.retryCapMs, this.options.retryBaseMs * 2 ** Math.min(attempts, 20));
    return Math.floor(step / 2 + (this.options.random() * step) / 2);
  }
}
