// A LedgerReader kept in memory, written call by call like the store's ledger is: the operator
// page's tests feed it scripted calls and read the page back.
import type { LedgerDay, LedgerEntry, LedgerKey, LedgerReader, LedgerTaskDays } from '../../src/store/ledger.js';

export interface RecordedCall extends Partial<LedgerKey> {
  reseller: string;
  task: string;
  at: Date;
  status?: number;
}

export class MemoryLedger implements LedgerReader {
  private readonly entries = new Map<string, LedgerEntry>();
  private readonly days = new Map<string, LedgerDay>();

  record(call: RecordedCall, times = 1): void {
    const key: LedgerKey = {
      reseller: call.reseller,
      authStyle: call.authStyle ?? 'password',
      surface: call.surface ?? (call.task === 'change_package' ? 'directory' : 'apiv2'),
      task: call.task,
      format: call.format ?? 'json',
      outcome: call.outcome ?? 'success',
    };
    const id = JSON.stringify(key);
    const at = call.at.toISOString();
    const entry = this.entries.get(id) ?? { ...key, count: 0, firstSeen: at, lastSeen: at, lastStatus: 200 };
    entry.count += times;
    if (at < entry.firstSeen) entry.firstSeen = at;
    if (at >= entry.lastSeen) {
      entry.lastSeen = at;
      entry.lastStatus = call.status ?? 200;
    }
    this.entries.set(id, entry);
    const dayId = `${id}${at.slice(0, 10)}`;
    const day = this.days.get(dayId) ?? { ...key, day: at.slice(0, 10), count: 0 };
    day.count += times;
    this.days.set(dayId, day);
  }

  async ledgerEntries(): Promise<LedgerEntry[]> {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  async ledgerTaskDays(options: { since: string }): Promise<LedgerTaskDays[]> {
    const rows = new Map<string, LedgerTaskDays>();
    for (const d of await this.ledgerDays(options)) {
      const id = JSON.stringify([d.reseller, d.surface, d.task]);
      const row = rows.get(id) ?? { reseller: d.reseller, surface: d.surface, task: d.task, days: [] };
      const same = row.days.find(([day]) => day === d.day);
      if (same) same[1] += d.count;
      else row.days.push([d.day, d.count]);
      rows.set(id, row);
    }
    return [...rows.values()];
  }

  async ledgerDays(options: { since: string }): Promise<LedgerDay[]> {
    return [...this.days.values()].filter((d) => d.day >= options.since).map((d) => ({ ...d }));
  }
}
