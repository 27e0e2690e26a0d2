// The store's decisions that are not SQL, shared by the SQLite and PostgreSQL stores: when a
// schedule is "the same change", and what an attempt's end writes.
import type { AuditInput, ChangeStatus, FinishOutcome, NewPendingChange, PendingChange } from './store.js';

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sortedB = [...b].sort();
  return [...a].sort().every((value, i) => value === sortedB[i]);
}

/** The identical request again: same type, target, IPs, groups and effective time. */
export function isSameChange(existing: PendingChange, next: NewPendingChange, effectiveAt: string): boolean {
  return (
    existing.type === next.type &&
    existing.targetPackage === next.targetPackage &&
    existing.effectiveAt === effectiveAt &&
    sameSet(existing.ips, next.ips) &&
    sameSet(existing.ipGroups, next.ipGroups)
  );
}

export function joinDetail(...parts: (string | undefined)[]): string {
  return parts.filter(Boolean).join('; ');
}

/** Accept any instant, store (and compare) the one canonical form. */
export function canonicalInstant(value: string, field: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new TypeError(`${field} is not an ISO-8601 instant: ${JSON.stringify(value)}`);
  return new Date(time).toISOString();
}

/** The columns an attempt's end writes, by outcome. */
export function finishColumns(outcome: FinishOutcome): { status: ChangeStatus; error: string | null; retryAt: string | null } {
  switch (outcome.status) {
    case 'applied':
      return { status: 'applied', error: null, retryAt: null };
    case 'failed':
      return { status: 'failed', error: outcome.reason, retryAt: null };
    case 'pending':
      return { status: 'pending', error: outcome.error, retryAt: canonicalInstant(outcome.retryAt, 'retryAt') };
  }
}

/**
 * The audit record of an attempt that never finished (its process died, or its lease ran out),
 * written when the change is claimed again: every attempt leaves a trace.
 */
export function leaseExpiredAudit(reclaimed: PendingChange): AuditInput {
  return {
    actor: 'scheduler',
    action: `apply_${reclaimed.type}`,
    customerId: reclaimed.customerId,
    changeId: reclaimed.id,
    outcome: 'lease_expired',
    detail: reclaimed.lastError ?? 'lease expired',
  };
}
