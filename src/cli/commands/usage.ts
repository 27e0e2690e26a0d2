// `usage`: who still calls the legacy API — the operator page's table, as text or --json.
import { readUsageReport } from '../../admin/usage/read.js';
import { DEFAULT_USAGE_OPTIONS, type UsageReport } from '../../admin/usage/report.js';
import type { LedgerReader } from '../../store/ledger.js';
import { readOnlyConfig, withStore } from '../context.js';
import { writeJson, type CliIo } from '../io.js';
import { renderTable } from '../table.js';

export interface UsageCommandOptions {
  reseller?: string;
  days?: number;
  quietDays?: number;
  json?: boolean;
}

/** Reads the ledger of the store `npm start` uses; no v3 key is needed. */
export async function usageCommand(io: CliIo, options: UsageCommandOptions): Promise<void> {
  const config = readOnlyConfig(io);
  await withStore(config, (store) => printUsage(io, store, new Date(), { quietDays: config.env.BRIDGE_SUNSET_QUIET_DAYS, ...options }));
}

export async function printUsage(io: CliIo, reader: LedgerReader, now: Date, options: UsageCommandOptions): Promise<void> {
  const report = await readUsageReport(reader, now, {
    windowDays: options.days ?? DEFAULT_USAGE_OPTIONS.windowDays,
    quietDays: options.quietDays ?? DEFAULT_USAGE_OPTIONS.quietDays,
  });
  const shown = options.reseller === undefined ? report : onlyReseller(report, options.reseller);
  if (options.json) return writeJson(io, shown);
  io.stdout.write(renderUsage(shown));
}

function onlyReseller(report: UsageReport, reseller: string): UsageReport {
  return { ...report, rows: report.rows.filter((r) => r.reseller === reseller), resellers: report.resellers.filter((r) => r.reseller === reseller) };
}

export function renderUsage(report: UsageReport): string {
  const { windowDays, quietDays } = report.options;
  if (report.rows.length === 0) return 'No legacy call recorded.\n';
  const table = renderTable(
    ['RESELLER', 'SURFACE', 'TASK', 'AUTH', `CALLS ${windowDays}D`, 'TOTAL', 'FAILED', 'LAST SEEN', 'LAST STATUS', 'SUNSET'],
    report.rows.map((r) => [
      r.reseller,
      r.surface,
      r.task,
      r.authStyles.join(','),
      r.windowTotal,
      r.total,
      r.failures,
      r.lastSeen.slice(0, 19).replace('T', ' '),
      r.lastStatus,
      r.ready ? `ready (${r.quietFor}d quiet)` : 'still calling',
    ]),
  );
  const ready = report.resellers.filter((r) => r.ready).length;
  return `${table}\n${report.resellers.length} callers, ${ready} ready for the sunset (no call for ${quietDays} days).\n`;
}
