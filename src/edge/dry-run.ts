// `X-Bridge-Dry-Run: 1` on a legacy request: the task does its reads and answers what it would
// do (the plan) instead of doing it. The use case writes nothing (core's `dryRun`); the reads it
// made and what the bridge keeps come from the request's explanation, the writes it did not
// send from the use case.
import type { Request } from 'express';
import type { Explanation } from './explain/explain.js';
import type { DryRunOutcome, DryRunPlan } from './legacy/index.js';

export const DRY_RUN_HEADER = 'X-Bridge-Dry-Run';

/** Only `1` asks for a dry run: any other value is an ordinary request. */
export function wantsDryRun(req: Request): boolean {
  return req.get(DRY_RUN_HEADER)?.trim() === '1';
}

export function dryRunPlan(
  explanation: Explanation,
  outcome: DryRunOutcome,
  v3Writes: readonly { method: string; path: string; body: unknown }[],
  effectiveAt?: string,
): DryRunPlan {
  return {
    task: explanation.task ?? '',
    outcome,
    v3Reads: explanation.calls.filter((c) => c.phase === 'now' && c.method === 'GET').map(({ method, path }) => ({ method, path })),
    v3Writes,
    ...(effectiveAt !== undefined ? { effectiveAt } : {}),
    bridgeKeeps: explanation.bridgeKeeps,
  };
}
