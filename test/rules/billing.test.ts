import { describe, expect, it } from 'vitest';
import { billingCycle, billingDayFromCreatedAt, nextBillingDate, ymd } from '../../src/rules/billing.js';

describe('nextBillingDate: 00:00 UTC of the next billing day strictly after today', () => {
  it.each([
    [30, '2010-09-15T10:00:00Z', '2010-09-30'],
    [30, '2010-09-30T00:00:00Z', '2010-10-30'], // today is not "after today"
    [30, '2010-09-30T23:59:59Z', '2010-10-30'],
    [7, '2010-09-30T12:00:00Z', '2010-10-07'],
    [31, '2011-02-10T00:00:00Z', '2011-02-28'], // short month: last day
    [31, '2012-02-10T00:00:00Z', '2012-02-29'], // leap year
    [31, '2011-02-28T08:00:00Z', '2011-03-31'], // computed from the original day, no drift
    [29, '2011-01-29T00:00:00Z', '2011-02-28'],
    [30, '2011-04-30T00:00:00Z', '2011-05-30'],
    [1, '2010-12-15T00:00:00Z', '2011-01-01'], // year boundary
    [15, '2010-12-31T23:00:00Z', '2011-01-15'],
  ])('day %i at %s → %s', (day, now, expected) => {
    const next = nextBillingDate(day, new Date(now));
    expect(next.toISOString()).toBe(`${expected}T00:00:00.000Z`);
  });
});

describe('billingCycle: the dates overview shows', () => {
  it('matches the documented example (day 30, mid-September 2010)', () => {
    expect(billingCycle(30, new Date('2010-09-10T00:00:00Z'))).toEqual({
      start: '2010-08-30',
      end: '2010-09-29',
      process: '2010-09-30',
    });
  });
  it('starts today on the billing day itself', () => {
    expect(billingCycle(15, new Date('2010-03-15T05:00:00Z')).start).toBe('2010-03-15');
  });
  it('clips the start in a short month', () => {
    expect(billingCycle(31, new Date('2011-03-05T00:00:00Z'))).toEqual({ start: '2011-02-28', end: '2011-03-30', process: '2011-03-31' });
  });
});

describe('billingDayFromCreatedAt', () => {
  it.each([
    ['2009-09-30T12:00:00Z', 30],
    ['2010-01-07T23:59:59Z', 7],
    ['2010-01-07T23:59:59-05:00', 8], // the UTC day counts
    ['not a date', undefined],
  ])('%s → %s', (createdAt, day) => {
    expect(billingDayFromCreatedAt(createdAt)).toBe(day);
  });
  it('ymd prints the UTC day', () => expect(ymd(new Date('2010-10-07T00:00:00Z'))).toBe('2010-10-07'));
});
