// A token bucket that hands out reservations: a caller that finds the bucket empty
// still takes a token (the count may go negative) and is told how long to wait, so
// waiting callers are served in arrival order and never stampede together.

export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Most tokens the bucket holds: the burst allowed after a quiet spell. */
  burst: number;
  now: () => number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError('token bucket needs ratePerSecond > 0 and burst >= 1');
    }
    this.tokens = options.burst;
    this.updatedAt = options.now();
  }

  /**
   * Takes one token and returns the wait in ms before it may be used (0: now).
   * Returns undefined, taking nothing, if the wait would end after `notAfter`.
   */
  reserve(notAfter = Number.POSITIVE_INFINITY): number | undefined {
    const now = this.refill();
    const wait = this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.options.ratePerSecond) * 1000;
    if (now + wait > notAfter) return undefined;
    this.tokens -= 1;
    return wait;
  }

  /** Returns a reserved token that was not used (its caller gave up while waiting). */
  refund(): void {
    this.tokens = Math.min(this.options.burst, this.tokens + 1);
  }

  private refill(): number {
    const now = this.options.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.options.burst, this.tokens + (elapsed * this.options.ratePerSecond) / 1000);
    this.updatedAt = now;
    return now;
  }
}
