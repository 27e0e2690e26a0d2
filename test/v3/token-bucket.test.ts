// The per-key token bucket, on an injected clock.
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/v3/token-bucket.js';

function bucketAt(ratePerSecond: number, burst: number) {
  const clock = { t: 1_000_000 };
  const bucket = new TokenBucket({ ratePerSecond, burst, now: () => clock.t });
  return { bucket, clock };
}

describe('TokenBucket', () => {
  it('lets a burst through, then spaces reservations at the rate', () => {
    const { bucket } = bucketAt(10, 3);
    const waits = Array.from({ length: 6 }, () => bucket.reserve());
    expect(waits).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('refills with time, up to the burst only', () => {
    const { bucket, clock } = bucketAt(10, 2);
    bucket.reserve();
    bucket.reserve();
    clock.t += 10_000;
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 100]);
  });

  it('takes nothing when the wait would end after notAfter', () => {
    const { bucket, clock } = bucketAt(1, 1);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve(clock.t + 500)).toBeUndefined();
    // Nothing was taken above, so the next token is still one second away.
    expect(bucket.reserve(clock.t + 1_000)).toBe(1_000);
  });

  it('gives a refunded token to the next caller', () => {
    const { bucket } = bucketAt(1, 1);
    bucket.reserve();
    expect(bucket.reserve()).toBe(1_000);
    bucket.refund();
    expect(bucket.reserve()).toBe(1_000);
  });

  it('rejects settings that could never hand out a token', () => {
    expect(() => bucketAt(0, 1)).toThrow(RangeError);
    expect(() => bucketAt(1, 0)).toThrow(RangeError);
  });
});
