// The answer to a dry run (`X-Bridge-Dry-Run: 1`): what the request would do, in the surface's
// format. The reads were made; the writes were not sent, nor anything stored.

export type DryRunOutcome =
  /** An offerings PUT would be sent. */
  | 'change'
  /** Already where the request leads: the bridge would answer success without a write. */
  | 'no_change'
  /** A scheduled change would be stored (v3 is written on the billing day). */
  | 'schedule'
  /** The pending change would be cancelled (no v3 call). */
  | 'cancel'
  /** The directory's tags or params would be stored (no v3 write). */
  | 'update'
  /** A read-only task: the answer would be the same as without the header. */
  | 'read';

export interface DryRunPlan {
  task: string;
  outcome: DryRunOutcome;
  /** The v3 reads made for the plan. */
  v3Reads: readonly { method: string; path: string }[];
  /** The v3 writes the request would send: not sent. */
  v3Writes: readonly { method: string; path: string; body: unknown }[];
  /** A scheduled change's effective instant (ISO-8601). */
  effectiveAt?: string | undefined;
  /** What the bridge would keep that v3 cannot. */
  bridgeKeeps: readonly string[];
}

/** The plan as a JSON value, keys in answer order (`message` first, as every legacy answer). */
export function dryRunBody(plan: DryRunPlan, extra: Record<string, string> = {}): Record<string, unknown> {
  return {
    message: 'dry run',
    ...extra,
    task: plan.task,
    outcome: plan.outcome,
    ...(plan.effectiveAt !== undefined ? { effective_at: plan.effectiveAt } : {}),
    v3_reads: plan.v3Reads.map((call) => ({ method: call.method, path: call.path })),
    v3_writes: plan.v3Writes.map((call) => ({ method: call.method, path: call.path, body: call.body })),
    bridge_keeps: [...plan.bridgeKeeps],
  };
}
