// The store's brownout windows as the page's calendar shows them.
import type { BrownoutWindowRecord } from '../../store/ledger.js';
import type { BrownoutCalendar } from './page.js';

export function brownoutCalendar(listed: { enabled: boolean; windows: BrownoutWindowRecord[] }): BrownoutCalendar {
  return {
    enabled: listed.enabled,
    windows: listed.windows.map((w) => ({
      id: w.id,
      start: w.startsAt.toISOString(),
      end: w.endsAt.toISOString(),
      surfaces: [...w.surfaces],
      tasks: [...w.tasks],
      resellers: [...w.resellers],
      dryRun: w.dryRun,
      goneAfterSunset: w.goneAfterSunset,
      note: w.note,
      refused: w.refused,
      wouldRefuse: w.wouldRefuse,
    })),
  };
}
