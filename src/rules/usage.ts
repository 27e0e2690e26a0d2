// The caller ledger's pure half: what one legacy request is counted under, and the
// in-memory batch the ledger writer folds requests into between two store writes.
import type { LegacySurface } from './deprecation.js';
import { isoInstant } from './instant.js';

export type AuthStyle = 'password' | 'apikey' | 'bearer' | 'directory_token' | 'none';
export type UsageFormat = 'json' | 'xml' | 'text';
/** Every outcome class; `brownout`: refused by a brownout window (503 or 410). */
export const USAGE_OUTCOMES = [
  'success',
  'client_error',
  'auth_failed',
  'not_found',
  'upstream_error',
  'uncertain',
  'refused',
  'brownout',
  'internal_error',
] as const;
export type UsageOutcome = (typeof USAGE_OUTCOMES)[number];

/** One ledger row's identity. `task` is '' when the request named none the bridge knows. */
export interface UsageKey {
  /** The api_user, or the directory id; for a failed authentication the api_user claimed (bounded). */
  reseller: string;
  authStyle: AuthStyle;
  surface: LegacySurface;
  task: string;
  format: UsageFormat;
  outcome: UsageOutcome;
}

/** What the ledger reads of a request (a subset of the edge's RequestSummary: never a secret). */
export interface UsageObservation {
  surface: string;
  task: string | undefined;
  format: UsageFormat;
  status: number;
  outcome: UsageOutcome;
  caller: string | undefined;
  authenticated: boolean;
  authStyle: AuthStyle;
}

/** A request that named no caller at all (no api_user, a bearer or token that matched nothing). */
export const NO_CALLER = '(none)';
/** Unknown claimed api_users beyond the cap, all counted here. */
export const OTHER_CALLERS = '(other unknown)';
/** A claimed api_user that looks like a v3 key: counted, never written down. */
export const KEY_LIKE_CALLER = '(looks like a key)';
export const CALLER_MAX_LENGTH = 64;
export const UNKNOWN_CALLERS_CAP = 100;

/** A claimed api_user as the ledger may keep it: bounded, printable, never a key pasted in the wrong field. */
export function claimedName(raw: string | undefined): string {
  const name = (raw ?? '').trim();
  if (!name) return NO_CALLER;
  if (/^SG\.[\w-]{8,}/.test(name)) return KEY_LIKE_CALLER;
  // eslint-disable-next-line no-control-regex
  return [...name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')].slice(0, CALLER_MAX_LENGTH).join('');
}

/**
 * Bounds the callers a flood of junk api_users can create: authenticated callers and names the
 * mappings know are kept; the first `cap` other names are kept too, later ones share one bucket.
 */
export class CallerCap {
  private readonly admitted = new Set<string>();
  constructor(
    private readonly known: ReadonlySet<string>,
    private readonly cap = UNKNOWN_CALLERS_CAP,
  ) {}

  /** Names already in the ledger (from earlier runs or other instances) count against the cap. */
  seed(names: Iterable<string>): void {
    for (const name of names) if (!this.known.has(name) && this.admitted.size < this.cap) this.admitted.add(name);
  }

  nameOf(observation: Pick<UsageObservation, 'caller' | 'authenticated'>): string {
    const name = claimedName(observation.caller);
    if (observation.authenticated || this.known.has(name) || name === NO_CALLER || name === KEY_LIKE_CALLER) return name;
    if (this.admitted.has(name)) return name;
    if (this.admitted.size >= this.cap) return OTHER_CALLERS;
    this.admitted.add(name);
    return name;
  }
}

/** The row a request counts under; undefined for requests that are not legacy calls (probes, unknown paths). */
export function usageKeyOf(observation: UsageObservation, caller: string): UsageKey | undefined {
  if (observation.surface !== 'apiv2' && observation.surface !== 'directory') return undefined;
  return {
    reseller: caller,
    authStyle: observation.authStyle,
    surface: observation.surface,
    task: observation.task ?? '',
    format: observation.format,
    outcome: observation.outcome,
  };
}

/** What one batch adds to one row. Instants are ISO-8601 (UTC, milliseconds); days `YYYY-MM-DD` (UTC). */
export interface UsageIncrement {
  key: UsageKey;
  count: number;
  firstSeen: string;
  lastSeen: string;
  lastStatus: number;
  /** Per UTC day, the part of `count` seen that day. */
  days: Map<string, number>;
}

export type UsageBatch = Map<string, UsageIncrement>;

const identity = (k: UsageKey) => `${k.reseller}\u0000${k.authStyle}\u0000${k.surface}\u0000${k.task}\u0000${k.format}\u0000${k.outcome}`;

export function countRequest(batch: UsageBatch, key: UsageKey, status: number, at: Date): void {
  const iso = isoInstant(at.getTime());
  const day = iso.slice(0, 10);
  const id = identity(key);
  const entry = batch.get(id);
  if (!entry) {
    batch.set(id, { key, count: 1, firstSeen: iso, lastSeen: iso, lastStatus: status, days: new Map([[day, 1]]) });
    return;
  }
  entry.count += 1;
  if (iso < entry.firstSeen) entry.firstSeen = iso;
  if (iso >= entry.lastSeen) {
    entry.lastSeen = iso;
    entry.lastStatus = status;
  }
  entry.days.set(day, (entry.days.get(day) ?? 0) + 1);
}

/** Folds `from` into `into` (a batch the store did not take goes back for the next write). */
export function mergeBatches(into: UsageBatch, from: UsageBatch): void {
  for (const [id, add] of from) {
    const entry = into.get(id);
    if (!entry) {
      into.set(id, add);
      continue;
    }
    entry.count += add.count;
    if (add.firstSeen < entry.firstSeen) entry.firstSeen = add.firstSeen;
    if (add.lastSeen >= entry.lastSeen) {
      entry.lastSeen = add.lastSeen;
      entry.lastStatus = add.lastStatus;
    }
    for (const [day, n] of add.days) entry.days.set(day, (entry.days.get(day) ?? 0) + n);
  }
}
