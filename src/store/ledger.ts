// The store's part in finishing the migration: the caller ledger (who still calls the legacy
// API, how, with what outcome, per day) and the brownout windows with the operator's switch.
// Never a secret here: `reseller` is an api_user, a directory id, or a bounded claimed name.
import type { BrownoutHits, BrownoutState, BrownoutWindow } from '../rules/brownout.js';
import type { UsageIncrement, UsageKey } from '../rules/usage.js';

/** One ledger row's identity: (reseller, auth style, surface, task, format, outcome). */
export type LedgerKey = UsageKey;

export interface LedgerEntry extends LedgerKey {
  count: number;
  /** ISO-8601 instants. */
  firstSeen: string;
  lastSeen: string;
  lastStatus: number;
}

export interface LedgerDay extends LedgerKey {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  count: number;
}

/** One reseller's calls of one task per day, whatever the auth style, format and outcome. */
export interface LedgerTaskDays {
  reseller: string;
  surface: LedgerKey['surface'];
  task: string;
  /** `[day, count]`, days `YYYY-MM-DD` (UTC), in no particular order. */
  days: [string, number][];
}

/** What the operator page, `bridge usage` and the exports read. */
export interface LedgerReader {
  /** Every entry, with its totals since it was first seen. */
  ledgerEntries(): Promise<LedgerEntry[]>;
  /** The daily counts of every entry from `since` (a UTC day, inclusive) on. */
  ledgerDays(options: { since: string }): Promise<LedgerDay[]>;
  /** The daily counts from `since` on, summed per reseller, surface and task (one row each: the page's read). */
  ledgerTaskDays(options: { since: string }): Promise<LedgerTaskDays[]>;
}

/** Daily counts are kept this long (at least the 90 days the operator page needs). */
export const LEDGER_DAYS_KEPT = 400;

export interface LedgerWriter {
  /** Adds every increment (totals and days) in one transaction: all or nothing. */
  recordUsage(increments: UsageIncrement[]): Promise<void>;
  /** Every reseller name in the ledger. */
  usageCallers(): Promise<string[]>;
  /** Drops daily counts before `before` (a UTC day); totals are kept. */
  pruneUsageDays(before: string): Promise<void>;
}

export type NewBrownoutWindow = Omit<BrownoutWindow, 'id'> & { note?: string | undefined };

/** A window as the operator sees it: what it has refused, or (dry run, switch off) would have. */
export interface BrownoutWindowRecord extends BrownoutWindow {
  note: string | null;
  refused: number;
  wouldRefuse: number;
  createdAt: string;
}

export interface BrownoutStore {
  addBrownout(window: NewBrownoutWindow): Promise<BrownoutWindowRecord>;
  /** False when there was no such window. */
  removeBrownout(id: number): Promise<boolean>;
  /** The operator's switch (on unless turned off). */
  setBrownoutsEnabled(enabled: boolean): Promise<void>;
  /** Every window, past ones included, by start time, and the switch. */
  listBrownouts(): Promise<{ enabled: boolean; windows: BrownoutWindowRecord[] }>;
  /** What the edge decides from: the switch and the windows that have not ended at `now`. */
  brownoutState(now: Date): Promise<BrownoutState>;
  countBrownoutHits(hits: BrownoutHits[]): Promise<void>;
}
