// Who still calls the legacy API: the ledger folded per reseller and per task, with the calls of
// each of the last days, when each was last seen, and whether it is ready for the sunset (no call
// for `quietDays`). A pure function of the ledger's records and the clock; the operator page and
// `bridge usage` print the same report.
import type { LedgerEntry, LedgerTaskDays } from '../../store/ledger.js';

export interface UsageOptions {
  /** Days of daily counts shown, ending today (UTC). */
  windowDays: number;
  /** A caller with no call for this many days is ready for the sunset. */
  quietDays: number;
}

export const DEFAULT_USAGE_OPTIONS: UsageOptions = { windowDays: 30, quietDays: 14 };

export interface UsageRow {
  reseller: string;
  surface: string;
  task: string;
  /** Calls since first seen. */
  total: number;
  /** Calls per day of `UsageReport.days`, oldest first. */
  daily: number[];
  /** Calls within the window. */
  windowTotal: number;
  /** Requests that failed (any outcome but success) since first seen. */
  failures: number;
  authStyles: string[];
  firstSeen: string;
  lastSeen: string;
  lastStatus: number;
  /** Whole days since the last call. */
  quietFor: number;
  ready: boolean;
}

export interface ResellerUsage {
  reseller: string;
  tasks: number;
  total: number;
  windowTotal: number;
  lastSeen: string;
  quietFor: number;
  ready: boolean;
}

export interface UsageReport {
  generatedAt: string;
  options: UsageOptions;
  /** The UTC days of the window, oldest first. */
  days: string[];
  /** Per reseller and task, resellers in name order, tasks by name. */
  rows: UsageRow[];
  resellers: ResellerUsage[];
  /** Calls per day and task across every reseller (the chart), tasks by name. */
  taskDaily: { surface: string; task: string; daily: number[] }[];
  /** Calls per day across everything. */
  totalDaily: number[];
}

const DAY_MS = 86_400_000;
export const utcDay = (instant: Date): string => instant.toISOString().slice(0, 10);

/** The first day of the window, for `LedgerReader.ledgerDays`. */
export function windowStart(now: Date, options: UsageOptions = DEFAULT_USAGE_OPTIONS): string {
  return utcDay(new Date(now.getTime() - (options.windowDays - 1) * DAY_MS));
}

export function usageReport(
  entries: readonly LedgerEntry[],
  taskDays: readonly LedgerTaskDays[],
  now: Date,
  options: UsageOptions = DEFAULT_USAGE_OPTIONS,
): UsageReport {
  const window = Array.from({ length: options.windowDays }, (_, i) => utcDay(new Date(now.getTime() - (options.windowDays - 1 - i) * DAY_MS)));
  const dayIndex = new Map(window.map((day, i) => [day, i]));
  const rowKey = (e: { surface: string; task: string }, caller: string) => `${caller}\u0000${e.surface}\u0000${e.task}`;

  const rows = new Map<string, UsageRow>();
  for (const entry of entries) {
    const key = rowKey(entry, entry.reseller);
    let row = rows.get(key);
    if (!row) {
      row = {
        reseller: entry.reseller,
        surface: entry.surface,
        task: entry.task,
        total: 0,
        daily: new Array<number>(window.length).fill(0),
        windowTotal: 0,
        failures: 0,
        authStyles: [],
        firstSeen: entry.firstSeen,
        lastSeen: entry.lastSeen,
        lastStatus: entry.lastStatus,
        quietFor: 0,
        ready: false,
      };
      rows.set(key, row);
    }
    row.total += entry.count;
    if (entry.outcome !== 'success') row.failures += entry.count;
    if (!row.authStyles.includes(entry.authStyle)) row.authStyles.push(entry.authStyle);
    if (entry.firstSeen < row.firstSeen) row.firstSeen = entry.firstSeen;
    if (entry.lastSeen > row.lastSeen) {
      row.lastSeen = entry.lastSeen;
      row.lastStatus = entry.lastStatus;
    }
  }

  const taskDaily = new Map<string, { surface: string; task: string; daily: number[] }>();
  const totalDaily = new Array<number>(window.length).fill(0);
  for (const perTask of taskDays) {
    const row = rows.get(rowKey(perTask, perTask.reseller));
    if (!row) continue;
    const taskKey = `${perTask.surface}\u0000${perTask.task}`;
    let series = taskDaily.get(taskKey);
    if (!series) taskDaily.set(taskKey, (series = { surface: perTask.surface, task: perTask.task, daily: new Array<number>(window.length).fill(0) }));
    for (const [day, count] of perTask.days) {
      const i = dayIndex.get(day);
      if (i === undefined) continue;
      row.daily[i]! += count;
      row.windowTotal += count;
      totalDaily[i]! += count;
      series.daily[i]! += count;
    }
  }

  const quietDaysSince = (lastSeen: string) => Math.max(0, Math.floor((now.getTime() - Date.parse(lastSeen)) / DAY_MS));
  const sortedRows = [...rows.values()].sort((a, b) => compare(a.reseller, b.reseller) || compare(a.surface, b.surface) || compare(a.task, b.task));
  const resellers = new Map<string, ResellerUsage>();
  for (const row of sortedRows) {
    row.quietFor = quietDaysSince(row.lastSeen);
    row.ready = row.quietFor >= options.quietDays;
    row.authStyles.sort();
    const reseller = resellers.get(row.reseller);
    if (!reseller) {
      resellers.set(row.reseller, { reseller: row.reseller, tasks: 1, total: row.total, windowTotal: row.windowTotal, lastSeen: row.lastSeen, quietFor: 0, ready: false });
      continue;
    }
    reseller.tasks++;
    reseller.total += row.total;
    reseller.windowTotal += row.windowTotal;
    if (row.lastSeen > reseller.lastSeen) reseller.lastSeen = row.lastSeen;
  }
  for (const reseller of resellers.values()) {
    reseller.quietFor = quietDaysSince(reseller.lastSeen);
    reseller.ready = reseller.quietFor >= options.quietDays;
  }

  return {
    generatedAt: now.toISOString(),
    options,
    days: window,
    rows: sortedRows,
    resellers: [...resellers.values()],
    taskDaily: [...taskDaily.values()].sort((a, b) => compare(a.surface, b.surface) || compare(a.task, b.task)),
    totalDaily,
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
