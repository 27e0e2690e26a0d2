// Brownouts at the edge: the decision is the gate's (core/brownout-gate.ts, from the store's
// windows and the clock); the edge asks before authentication and before any v3 call or store
// write, sets Retry-After, and lets its surface render the refusal in its own legacy shape.
// A refusal keeps its 503/410 even for resellers on the original "errors answer 200" rule: a
// brownout exists to be noticed.
import type { Response } from 'express';
import { refusalMessage, type BrownoutDecision } from '../rules/brownout.js';
import type { LegacySurface } from '../rules/deprecation.js';

export interface BrownoutQuery {
  surface: LegacySurface;
  /** The task when the surface knows it, else undefined (matched only by windows of every task). */
  task: string | undefined;
  /** The api_user claimed (or the reseller of the v3 key given), or the directory id; '' when none. */
  reseller: string;
}

export type BrownoutCheck = (query: BrownoutQuery) => BrownoutDecision;

export interface BrownoutRefusal {
  status: 503 | 410;
  message: string;
}

/** Undefined unless a window refuses the request; a refusal has set Retry-After (503) already. */
export function brownoutRefusal(check: BrownoutCheck | undefined, res: Response, query: BrownoutQuery): BrownoutRefusal | undefined {
  if (!check) return undefined;
  const decision = check(query);
  if (decision.kind !== 'refuse') return undefined;
  if (decision.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(decision.retryAfterSeconds));
  return { status: decision.status, message: refusalMessage(decision) };
}
