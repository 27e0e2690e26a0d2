// The billing cycle (DESIGN.md §3): a customer's billing day is 1-31; in short
// months days 29-31 fall on the month's last day, computed from the original day
// each month (so 31 → Feb 28 → Mar 31, never drifting to the 28th).

const DAY_MS = 86_400_000;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** 00:00 UTC of the billing day in the given month (month may overflow; Date.UTC normalises). */
function billingDate(year: number, month: number, billingDay: number): Date {
  const first = new Date(Date.UTC(year, month, 1));
  const y = first.getUTCFullYear();
  const m = first.getUTCMonth();
  return new Date(Date.UTC(y, m, Math.min(billingDay, daysInMonth(y, m))));
}

/** The next billing day strictly after `now`'s UTC day, at 00:00 UTC. */
export function nextBillingDate(billingDay: number, now: Date): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const thisMonth = billingDate(now.getUTCFullYear(), now.getUTCMonth(), billingDay);
  return thisMonth.getTime() > today ? thisMonth : billingDate(now.getUTCFullYear(), now.getUTCMonth() + 1, billingDay);
}

/** The billing day that started the current cycle (on or before `now`'s UTC day). */
export function currentCycleStart(billingDay: number, now: Date): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const thisMonth = billingDate(now.getUTCFullYear(), now.getUTCMonth(), billingDay);
  return thisMonth.getTime() <= today ? thisMonth : billingDate(now.getUTCFullYear(), now.getUTCMonth() - 1, billingDay);
}

export interface BillingCycle {
  /** First day of the current cycle. */
  start: string;
  /** Last day of the current cycle. */
  end: string;
  /** The day the next cycle starts, when scheduled changes take effect. */
  process: string;
}

export function billingCycle(billingDay: number, now: Date): BillingCycle {
  const start = currentCycleStart(billingDay, now);
  const next = nextBillingDate(billingDay, now);
  return { start: ymd(start), end: ymd(new Date(next.getTime() - DAY_MS)), process: ymd(next) };
}

/** The billing day a v3 account gets when its mapping names none: its creation day of month. */
export function billingDayFromCreatedAt(createdAt: string): number | undefined {
  const t = Date.parse(createdAt);
  return Number.isNaN(t) ? undefined : new Date(t).getUTCDate();
}

export function ymd(date: Date): string {
  return date.toISOString().slice(0, 10);
}
