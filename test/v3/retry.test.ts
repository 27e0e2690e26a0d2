// Retry timing rules: backoff bounds and the server's wait hints.
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRateLimitReset, parseRetryAfter, serverWaitHint } from '../../src/v3/retry.js';

const NOW = Date.UTC(2030, 0, 1);

describe('backoffDelay', () => {
  const options = { baseMs: 100, capMs: 1_000 };

  it('doubles per retry, keeps at least half the step, and stops at the cap', () => {
    expect(backoffDelay(1, options, () => 0)).toBe(50);
    expect(backoffDelay(1, options, () => 0.999)).toBeCloseTo(100, 0);
    expect(backoffDelay(3, options, () => 0)).toBe(200);
    expect(backoffDelay(10, options, () => 0.999)).toBeLessThanOrEqual(1_000);
    expect(backoffDelay(10, options, () => 0)).toBe(500);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('3', NOW)).toBe(3_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter(new Date(NOW + 5_000).toUTCString(), NOW)).toBe(5_000);
    expect(parseRetryAfter(new Date(NOW - 5_000).toUTCString(), NOW)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('-3', NOW)).toBeUndefined();
  });
});

describe('parseRateLimitReset', () => {
  it('treats large values as epoch seconds', () => {
    expect(parseRateLimitReset(String(NOW / 1000 + 7), NOW)).toBe(7_000);
    expect(parseRateLimitReset(String(NOW / 1000 - 7), NOW)).toBe(0);
  });

  it('treats small values as a delay in seconds', () => {
    expect(parseRateLimitReset('2', NOW)).toBe(2_000);
  });

  it('ignores junk', () => {
    expect(parseRateLimitReset('tomorrow', NOW)).toBeUndefined();
  });
});

describe('serverWaitHint', () => {
  it('prefers Retry-After', () => {
    expect(serverWaitHint({ 'retry-after': '1', 'x-ratelimit-reset': '9' }, 429, NOW)).toBe(1_000);
  });

  it('uses X-RateLimit-Reset only on a 429', () => {
    expect(serverWaitHint({ 'x-ratelimit-reset': '9' }, 429, NOW)).toBe(9_000);
    expect(serverWaitHint({ 'x-ratelimit-reset': '9' }, 503, NOW)).toBeUndefined();
  });

  it('takes the first of repeated headers', () => {
    expect(serverWaitHint({ 'retry-after': ['2', '8'] }, 503, NOW)).toBe(2_000);
  });
});
