// isoInstant against the text it stands for: Date.prototype.toISOString, for any time value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoInstant } from '../../src/rules/instant.js';

const MAX_TIME = 8.64e15;

describe('isoInstant', () => {
  it.each([
    0, -0, 1, 999, 1000, -1, -999, -1000, -1001, 1.9, -1.9, Date.UTC(2026, 11, 4, 2, 59, 59, 999), Date.UTC(2026, 11, 4, 3), Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    Date.UTC(10000, 0, 1), Date.UTC(-1, 0, 1), Date.UTC(0, 0, 1), MAX_TIME, -MAX_TIME,
  ])('writes %s as toISOString does', (ms) => {
    expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
  });

  it.each([Number.NaN, Infinity, -Infinity, MAX_TIME + 1])('refuses %s as toISOString does', (ms) => {
    expect(() => isoInstant(ms)).toThrow(RangeError);
  });

  it('agrees with toISOString for any time, and for runs of nearby ones (the cached second)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -MAX_TIME, max: MAX_TIME }), fc.double({ min: -MAX_TIME, max: MAX_TIME, noNaN: true })), fc.array(fc.integer({ min: -2500, max: 2500 }), { maxLength: 8 }), (start, steps) => {
        for (const ms of [start, ...steps.map((step) => start + step)]) {
          if (Math.abs(ms) > MAX_TIME) continue;
          expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
        }
      }),
    );
  });
});
