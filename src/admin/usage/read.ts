// The usage report from the ledger: the one read both the page and `bridge usage` make.
import type { LedgerReader } from '../../store/ledger.js';
import { usageReport, windowStart, type UsageOptions, type UsageReport } from './report.js';

export async function readUsageReport(ledger: LedgerReader, now: Date, options: UsageOptions): Promise<UsageReport> {
  const [entries, days] = await Promise.all([ledger.ledgerEntries(), ledger.ledgerTaskDays({ since: windowStart(now, options) })]);
  return usageReport(entries, days, now, options);
}
