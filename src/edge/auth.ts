// Legacy authentication (DESIGN.md §3): api_user + api_key (the reseller's legacy
// password, an scrypt hash in the mappings), api_user=apikey + the reseller's v3
// key, or `Authorization: Bearer <v3 key>`. scrypt is slow on purpose, so: a success
// is remembered for a few minutes under a keyed hash, at most two hashes run at
// once, a failure is remembered briefly, and repeated failures per api_user wait.
import { createHash, randomBytes } from 'node:crypto';
import type { ResellerMapping } from '../config/mappings.js';
import { digestsEqual, verifyPassword } from '../core/credentials.js';

export interface Credentials {
  apiUser?: string | undefined;
  apiKey?: string | undefined;
  bearer?: string | undefined;
}

export interface AuthOptions {
  successTtlMs: number;
  failureTtlMs: number;
  maxConcurrentHashes: number;
  /** Failures per api_user within `throttleWindowMs` before further tries are refused unhashed. */
  throttleFailures: number;
  throttleWindowMs: number;
  now: () => number;
  /** The password check; replaceable in tests. */
  verify: (password: string, hash: string) => Promise<boolean>;
}

const DEFAULTS: AuthOptions = {
  successTtlMs: 5 * 60_000,
  failureTtlMs: 30_000,
  maxConcurrentHashes: 2,
  throttleFailures: 10,
  throttleWindowMs: 60_000,
  now: Date.now,
  verify: verifyPassword,
};

/** Hash used for unknown users, so they cost the same as known ones. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class LegacyAuthenticator {
  private readonly options: AuthOptions;
  /** Process-local salt: cache entries are useless outside this process. */
  private readonly cacheSalt = randomBytes(32).toString('base64');
  private readonly successes = new Map<string, { reseller: ResellerMapping; expires: number }>();
  private readonly failures = new Map<string, number>();
  private readonly recentFailures = new Map<string, number[]>();
  /** Checks under way, so a burst with the same credentials hashes once. */
  private readonly inFlight = new Map<string, Promise<ResellerMapping | undefined>>();
  private readonly hashes: Semaphore;

  constructor(
    private readonly resellers: readonly ResellerMapping[],
    /** Each reseller's v3 key, by api_user (absent when its variable is unset). */
    private readonly v3Keys: ReadonlyMap<string, string>,
    options: Partial<AuthOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.hashes = new Semaphore(this.options.maxConcurrentHashes);
  }

  async authenticate(credentials: Credentials): Promise<ResellerMapping | undefined> {
    const { apiUser, apiKey, bearer } = credentials;
    if (apiUser === undefined && apiKey === undefined && bearer) return this.byV3Key(bearer);
    if (!apiUser || !apiKey) return undefined;
    if (apiUser === 'apikey') return this.byV3Key(apiKey);
    return this.byPassword(apiUser, apiKey);
  }

  private byV3Key(key: string): ResellerMapping | undefined {
    // Compare against every reseller so the time does not depend on which one matched.
    let found: ResellerMapping | undefined;
    for (const reseller of this.resellers) {
      const expected = this.v3Keys.get(reseller.api_user);
      if (expected !== undefined && digestsEqual(this.digest(expected), this.digest(key))) found = reseller;
    }
    return found;
  }

  private async byPassword(apiUser: string, password: string): Promise<ResellerMapping | undefined> {
    const now = this.options.now();
    const entry = this.digest(`${apiUser}\u0000${password}`);
    const cached = this.successes.get(entry);
    if (cached && cached.expires > now) return cached.reseller;
    const failedUntil = this.failures.get(entry);
    if (failedUntil !== undefined && failedUntil > now) return undefined;
    if (this.throttled(apiUser, now)) return undefined;

    let check = this.inFlight.get(entry);
    if (!check) {
      check = this.check(apiUser, password, entry).finally(() => this.inFlight.delete(entry));
      this.inFlight.set(entry, check);
    }
    return check;
  }

  private async check(apiUser: string, password: string, entry: string): Promise<ResellerMapping | undefined> {
    const reseller = this.resellers.find((r) => r.api_user === apiUser);
    const ok = await this.hashes.run(() => this.options.verify(password, reseller?.password_hash ?? DUMMY_HASH));
    const at = this.options.now();
    this.evictExpired(at);
    if (ok && reseller) {
      this.successes.set(entry, { reseller, expires: at + this.options.successTtlMs });
      return reseller;
    }
    this.failures.set(entry, at + this.options.failureTtlMs);
    this.recordFailure(apiUser, at);
    return undefined;
  }

  private throttled(apiUser: string, now: number): boolean {
    const recent = (this.recentFailures.get(apiUser) ?? []).filter((t) => t > now - this.options.throttleWindowMs);
    return recent.length >= this.options.throttleFailures;
  }

  private recordFailure(apiUser: string, now: number): void {
    const recent = (this.recentFailures.get(apiUser) ?? []).filter((t) => t > now - this.options.throttleWindowMs);
    recent.push(now);
    this.recentFailures.set(apiUser, recent);
  }

  /** Keeps the caches bounded: expired entries go whenever a hash has just run. */
  private evictExpired(now: number): void {
    for (const [k, v] of this.successes) if (v.expires <= now) this.successes.delete(k);
    for (const [k, v] of this.failures) if (v <= now) this.failures.delete(k);
    for (const [k, v] of this.recentFailures)
      if (!v.some((t) => t > now - this.options.throttleWindowMs)) this.recentFailures.delete(k);
  }

  /** SHA-256 of salt and value: keeps plain credentials out of memory, cheaply (no key object per call). */
  private digest(value: string): string {
    return createHash('sha256').update(this.cacheSalt).update(value, 'utf8').digest('hex');
  }
}
