// The caller ledger's and the brownouts' transaction scripts (see operations.ts for the form).
import type { BrownoutHits } from '../rules/brownout.js';
import type { UsageIncrement } from '../rules/usage.js';
import { bool, toBrownoutWindow } from './codec.js';
import type { BrownoutWindowRecord, NewBrownoutWindow } from './ledger.js';
import { all, one, run, type Script } from './script.js';
import * as sql from './statements.js';

const keyFields = (i: UsageIncrement) => ({
  reseller: i.key.reseller,
  authStyle: i.key.authStyle,
  surface: i.key.surface,
  task: i.key.task,
  format: i.key.format,
  outcome: i.key.outcome,
});

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const orderOf = (i: UsageIncrement) => Object.values(keyFields(i)).join('\u0000');

/**
 * A batch in two statements (totals, then days), rows in key order: two instances writing
 * overlapping batches at once lock the rows in the same order (PostgreSQL), so they queue
 * rather than deadlock.
 */
export function* recordUsage(increments: readonly UsageIncrement[]): Script<void> {
  const ordered = [...increments].sort((a, b) => compare(orderOf(a), orderOf(b)));
  const totals = ordered.map((i) => ({ ...keyFields(i), count: i.count, firstSeen: i.firstSeen, lastSeen: i.lastSeen, lastStatus: i.lastStatus }));
  const days = ordered.flatMap((i) => [...i.days].sort(([a], [b]) => compare(a, b)).map(([day, count]) => ({ ...keyFields(i), day, count })));
  yield* run(sql.addUsageTotals, { rows: JSON.stringify(totals) });
  yield* run(sql.addUsageDays, { rows: JSON.stringify(days) });
}

export function* addBrownout(window: NewBrownoutWindow, now: string): Script<BrownoutWindowRecord> {
  const row = yield* one(sql.insertBrownout, {
    startsAt: window.startsAt.toISOString(),
    endsAt: window.endsAt.toISOString(),
    surfaces: JSON.stringify(window.surfaces),
    tasks: JSON.stringify(window.tasks),
    resellers: JSON.stringify(window.resellers),
    dryRun: window.dryRun,
    goneAfterSunset: window.goneAfterSunset,
    note: window.note ?? null,
    now,
  });
  return toBrownoutWindow(row!);
}

export function* countBrownoutHits(hits: readonly BrownoutHits[]): Script<void> {
  for (const hit of [...hits].sort((a, b) => a.windowId - b.windowId))
    yield* run(sql.countBrownoutHits, { id: hit.windowId, refused: hit.refused, wouldRefuse: hit.wouldRefuse });
}

/** The switch and the windows (each read sees the latest commit; they are independent). */
export function* brownouts(notEndedAt: string | undefined): Script<{ enabled: boolean; windows: BrownoutWindowRecord[] }> {
  const enabled = yield* one(sql.brownoutSwitch);
  const rows = notEndedAt === undefined ? yield* all(sql.listBrownouts) : yield* all(sql.brownoutsNotEnded, { now: notEndedAt });
  return { enabled: enabled === undefined || bool(enabled.enabled), windows: rows.map(toBrownoutWindow) };
}
