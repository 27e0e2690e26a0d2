// Parsers for option values: a bad value is a usage error (exit 2) that says what was expected.
import { InvalidArgumentError } from 'commander';
import type { ChangeStatus } from '../store/store.js';

export const CHANGE_STATUSES: readonly ChangeStatus[] = ['pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed'];

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
// An explicit offset is required: a bare local time would depend on the machine's time zone.
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/** `YYYY-MM-DD` (00:00 UTC of that day, when scheduled changes take effect) or an ISO-8601 instant with offset. */
export function parseInstant(value: string): Date {
  const expected = `a day (2031-01-15, meaning 00:00 UTC) or an ISO-8601 instant with offset (2031-01-15T00:00:00Z)`;
  const day = DAY.exec(value);
  const full = day ?? INSTANT.exec(value);
  if (!full) throw new InvalidArgumentError(`Expected ${expected}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', oh = '0', om = '0'] = full;
  const calendar = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const real =
    calendar.getUTCFullYear() === Number(y) &&
    calendar.getUTCMonth() === Number(mo) - 1 &&
    calendar.getUTCDate() === Number(d) &&
    Number(h) < 24 &&
    Number(mi) < 60 &&
    Number(s) < 60 &&
    Number(oh) < 24 &&
    Number(om) < 60;
  const date = day ? calendar : new Date(value);
  if (!real || Number.isNaN(date.getTime())) throw new InvalidArgumentError(`No such date or time; expected ${expected}`);
  return date;
}

/** Comma-separated change statuses; `all` for every status. */
export function parseStatuses(value: string): ChangeStatus[] {
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 1 && names[0] === 'all') return [...CHANGE_STATUSES];
  const unknown = names.filter((n) => !CHANGE_STATUSES.includes(n as ChangeStatus));
  if (names.length === 0 || unknown.length)
    throw new InvalidArgumentError(`Expected a comma-separated list of ${CHANGE_STATUSES.join(', ')} (or all)`);
  return [...new Set(names as ChangeStatus[])];
}

export function parseChangeId(value: string): number {
  if (!/^[1-9]\d{0,14}$/.test(value)) throw new InvalidArgumentError('Expected a change id (a positive whole number)');
  return Number(value);
}

/** A number of days: a whole number, at least 1. */
export function parseDays(value: string): number {
  const days = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(days) || days < 1) throw new InvalidArgumentError('Expected a whole number of days, at least 1');
  return days;
}
