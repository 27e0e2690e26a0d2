// The answers of the legacy surface as data. Route code builds one of these; render.ts writes it
// as JSON or XML. Field names are the wire names, so the docs can be read against this file.

export interface PendingEntry {
  username: string;
  /** `Account Upgrade`, `Account Downgrade` or `Account Close`. */
  type: string;
  /** `<reseller label> - <package name>` */
  current: string;
  update: string;
  ip_groups: readonly string[];
  ips: readonly string[];
  /** YYYY-MM-DD */
  date: string;
}

/** account_overview.md's fields, in its order. Any may be left out when nothing backs it. */
export const OVERVIEW_FIELDS = [
  'reputation',
  'requests',
  'package',
  'credits_allowed',
  'credits_used',
  'credits_remain',
  'credits_overage',
  'billing_start_date',
  'billing_end_date',
  'billing_process_date',
] as const;
export type OverviewField = (typeof OVERVIEW_FIELDS)[number];
export type Overview = Partial<Record<OverviewField, string | number>>;

import type { DryRunPlan } from './dry-run.js';

export type LegacyDocument =
  | { kind: 'success' }
  | { kind: 'errors'; errors: readonly string[] }
  | { kind: 'fault'; code: number; message: string }
  | { kind: 'pending'; entries: Iterable<PendingEntry>; count?: number | undefined }
  | { kind: 'overview'; overview: Overview }
  | { kind: 'dry_run'; plan: DryRunPlan };

export const success = (): LegacyDocument => ({ kind: 'success' });
export const errors = (messages: readonly string[]): LegacyDocument => ({ kind: 'errors', errors: messages });
export const unauthorized = (): LegacyDocument => ({
  kind: 'fault',
  code: 401,
  message: 'Permission denied, wrong credentials',
});
export const notFound = (): LegacyDocument => ({ kind: 'fault', code: 404, message: 'Not found' });
/** `entries` may be lazy (a generator): it is walked once, by the renderer; `count`, when known, sizes its buffer. */
export const pendingList = (entries: Iterable<PendingEntry>, count?: number): LegacyDocument => ({ kind: 'pending', entries, count });
export const overview = (fields: Overview): LegacyDocument => ({ kind: 'overview', overview: fields });
export const dryRun = (plan: DryRunPlan): LegacyDocument => ({ kind: 'dry_run', plan });
