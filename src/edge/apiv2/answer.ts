// What a legacy task answers: a status and a document. Shared by the task modules.
import type { ResellerMapping } from '../../config/mappings.js';
import { ChangeInFlightError, type Core } from '../../core/index.js';
import { dryRunPlan } from '../dry-run.js';
import type { Explanation } from '../explain/explain.js';
import { dryRun, errors, success, type DryRunOutcome, type LegacyDocument, type LegacyParams } from '../legacy/index.js';
import type { RequestOutcome } from '../request-summary.js';
import { pendingWriteAnswer, upstreamFailureAnswer } from '../upstream-failures.js';

export interface TaskAnswer {
  status: number;
  doc: LegacyDocument;
  /** The failure behind a 5xx/409 answer, for the operator's log. */
  cause?: unknown;
  /** When the status alone does not say (a write whose outcome is unknown is `uncertain`). */
  outcome?: RequestOutcome;
  /** Sent as Retry-After when the answer goes out with an error status. */
  retryAfterSeconds?: number;
}

export interface TaskContext {
  params: LegacyParams;
  reseller: ResellerMapping;
  core: Core;
  /** Absolute ms: no v3 attempt of this request starts after it. */
  deadline: number;
  /** The request's id (X-Request-Id), kept with the intent of a write it makes. */
  requestId?: string | undefined;
  /** Set for `X-Bridge-Dry-Run: 1`: the use case writes nothing and the task answers its plan. */
  dryRun?: { explanation: Explanation } | undefined;
}

export type Task = (ctx: TaskContext) => Promise<TaskAnswer>;

export const ok = (): TaskAnswer => ({ status: 200, doc: success() });
export const badRequest = (messages: readonly string[]): TaskAnswer => ({ status: 400, doc: errors(messages) });

/** A dry run's answer: what the task would have done. */
export function planned(
  ctx: TaskContext,
  outcome: DryRunOutcome,
  v3Writes: readonly { method: string; path: string; body: unknown }[] = [],
  effectiveAt?: string,
): TaskAnswer {
  return { status: 200, doc: dryRun(dryRunPlan(ctx.dryRun!.explanation, outcome, v3Writes, effectiveAt)) };
}

/** Failures that are not the client's: upstream (502/503/504), a change being applied or confirmed (409). */
export function answerFailure(error: unknown): TaskAnswer {
  const pending = pendingWriteAnswer(error);
  if (pending)
    return { status: pending.status, doc: errors([pending.message]), cause: error, outcome: pending.outcome, retryAfterSeconds: pending.retryAfterSeconds };
  const upstream = upstreamFailureAnswer(error);
  if (upstream) return { status: upstream.status, doc: errors([upstream.message]), cause: error, outcome: upstream.outcome };
  if (error instanceof ChangeInFlightError)
    return {
      status: 409,
      doc: errors(['A scheduled change of this user is being applied right now; retry in a moment']),
      cause: error,
    };
  throw error;
}
