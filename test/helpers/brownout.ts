// A brownout window for tests: from `startsAt` for `lengthMs`, every surface, task and reseller,
// refusing (not a dry run), unless `over` says otherwise.
import type { BrownoutWindow } from '../../src/rules/brownout.js';

export function brownoutWindow(startsAt: Date, lengthMs: number, over: Partial<Omit<BrownoutWindow, 'id'>> = {}): Omit<BrownoutWindow, 'id'> {
  return {
    startsAt,
    endsAt: new Date(startsAt.getTime() + lengthMs),
    surfaces: [],
    tasks: [],
    resellers: [],
    dryRun: false,
    goneAfterSunset: false,
    ...over,
  };
}
