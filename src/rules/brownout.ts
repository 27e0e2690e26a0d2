// Brownouts: announced windows in which legacy calls are refused, so that forgotten
// integrations surface before the sunset. The decision is a pure function of the windows,
// the instant and the request: every instance reading the same windows decides the same.
import type { LegacySurface } from './deprecation.js';

export interface BrownoutWindow {
  id: number;
  /** Inclusive. */
  startsAt: Date;
  /** Exclusive. */
  endsAt: Date;
  /** Empty: every surface. */
  surfaces: LegacySurface[];
  /** Empty: every task (a request whose task is unknown is matched only by a window of every task). */
  tasks: string[];
  /** Empty: every reseller (api_user, or directory id for the directory surface). */
  resellers: string[];
  /** Count the requests it would refuse, refuse none. */
  dryRun: boolean;
  /** After the surface's (or task's) sunset, answer 410 Gone instead of 503. */
  goneAfterSunset: boolean;
}

export interface BrownoutState {
  /** The operator's switch: off, no window refuses anything (dry-run windows still count). */
  enabled: boolean;
  windows: readonly BrownoutWindow[];
}

/** What the edge counted against one window since the last write. */
export interface BrownoutHits {
  windowId: number;
  /** Requests refused. */
  refused: number;
  /** Requests a dry-run window (or a window while the switch is off) would have refused. */
  wouldRefuse: number;
}

export interface BrownoutRequest {
  surface: LegacySurface;
  task: string | undefined;
  reseller: string;
  /** Whether the request's sunset (deprecation.json) has passed. */
  pastSunset: boolean;
}

export type BrownoutDecision =
  | { kind: 'pass' }
  /** Refused: 503 with Retry-After (seconds to the window's end), or 410 after the sunset. */
  | { kind: 'refuse'; window: BrownoutWindow; status: 503 | 410; retryAfterSeconds: number | undefined }
  /** Would have been refused: counted against the window, answered as usual. */
  | { kind: 'dry_run'; window: BrownoutWindow };

const PASS: BrownoutDecision = { kind: 'pass' };

export function windowMatches(window: BrownoutWindow, at: Date, request: BrownoutRequest): boolean {
  const t = at.getTime();
  if (t < window.startsAt.getTime() || t >= window.endsAt.getTime()) return false;
  if (window.surfaces.length && !window.surfaces.includes(request.surface)) return false;
  if (window.tasks.length && (request.task === undefined || !window.tasks.includes(request.task))) return false;
  return !window.resellers.length || window.resellers.includes(request.reseller);
}

/**
 * Of the windows matching the request at `at`: an enforcing one refuses (the one that ends
 * last, so Retry-After is never too early; then the lowest id); else a dry-run one counts.
 */
export function decideBrownout(state: BrownoutState, at: Date, request: BrownoutRequest): BrownoutDecision {
  let refusing: BrownoutWindow | undefined;
  let counting: BrownoutWindow | undefined;
  for (const window of state.windows) {
    if (!windowMatches(window, at, request)) continue;
    if (window.dryRun || !state.enabled) {
      if (!counting || window.id < counting.id) counting = window;
    } else if (
      !refusing ||
      window.endsAt.getTime() > refusing.endsAt.getTime() ||
      (window.endsAt.getTime() === refusing.endsAt.getTime() && window.id < refusing.id)
    ) {
      refusing = window;
    }
  }
  if (refusing) {
    if (refusing.goneAfterSunset && request.pastSunset) return { kind: 'refuse', window: refusing, status: 410, retryAfterSeconds: undefined };
    return { kind: 'refuse', window: refusing, status: 503, retryAfterSeconds: retryAfter(refusing, at) };
  }
  return counting ? { kind: 'dry_run', window: counting } : PASS;
}

/** Whole seconds to the window's end, at least 1. */
export function retryAfter(window: BrownoutWindow, at: Date): number {
  return Math.max(1, Math.ceil((window.endsAt.getTime() - at.getTime()) / 1000));
}

/** The legacy error text of a refusal: what it is, until when, and what to do. */
export function refusalMessage(decision: Extract<BrownoutDecision, { kind: 'refuse' }>): string {
  return decision.status === 410
    ? 'This legacy API has passed its sunset and is switched off for this call; use the v3 API'
    : `This legacy API is in a scheduled brownout until ${decision.window.endsAt.toISOString()}; retry after it, and migrate to the v3 API before the sunset`;
}
