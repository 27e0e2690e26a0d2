// The caller ledger as its readers see it: the operator page, `bridge usage` and the exports.
// One entry per (reseller, auth style, surface, task, format, outcome), with its daily counts;
// the composition root binds this port to the store's ledger. Never a secret here: `reseller` is
// an api_user or a directory id.

export interface LedgerKey {
  /** The api_user, or the directory id for a directory token; for a failed login, the api_user claimed. */
  reseller: string;
  authStyle: string;
  surface: string;
  /** The legacy task, `change_package`, or '' when none was recognised. */
  task: string;
  format: string;
  /** The outcome class of the request summary (`success`, `client_error`, `auth_failed`, …). */
  outcome: string;
}

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

export interface LedgerReader {
  /** Every entry, with its totals since it was first seen. */
  ledgerEntries(): Promise<LedgerEntry[]>;
  /** The daily counts of every entry from `since` (a UTC day, inclusive) on. */
  ledgerDays(options: { since: string }): Promise<LedgerDay[]>;
}
