// The ledger as files an operator takes elsewhere: CSV (one line per entry) and JSON (entries
// and their daily counts).
import type { LedgerDay, LedgerEntry } from '../../store/ledger.js';

const COLUMNS = ['reseller', 'auth_style', 'surface', 'task', 'format', 'outcome', 'count', 'first_seen', 'last_seen', 'last_status'] as const;

export function ledgerCsv(entries: readonly LedgerEntry[]): string {
  const lines: string[] = [COLUMNS.join(',')];
  for (const e of entries)
    lines.push([e.reseller, e.authStyle, e.surface, e.task, e.format, e.outcome, e.count, e.firstSeen, e.lastSeen, e.lastStatus].map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * RFC 4180 quoting; a text cell a spreadsheet would run as a formula (a claimed api_user can be
 * anything) is prefixed with `'`.
 */
function csvCell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function ledgerJson(entries: readonly LedgerEntry[], days: readonly LedgerDay[], generatedAt: Date) {
  return { generatedAt: generatedAt.toISOString(), entries, days };
}
