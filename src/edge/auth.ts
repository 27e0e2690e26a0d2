// Legacy authentication (DESIGN.md §3): api_user + api_key (the reseller's legacy password, an
// scrypt hash in the mappings), api_user=apikey + the reseller's v3 key, or
// `Authorization: Bearer <v3 key>`. scrypt is slow on purpose, which an attacker could turn
// against the owner; so (the README's "Authentication" lists the numbers):
// - a verified credential is remembered for minutes, and answered from memory before any
//   throttle or queue, so the owner keeps working through a flood of wrong guesses;
// - a failed credential is remembered briefly (the same wrong guess again costs no hash);
// - failures are throttled per (api_user, client address): guesses from elsewhere do not lock
//   the owner out;
// - hashes run two at a time from two bounded queues, known api_users first: an unknown
//   api_user costs a full hash (its answer takes as long as a wrong password), but a flood of
//   them delays a known user's login by at most the hashes already running, and a full queue is
//   answered at once ("busy") instead of growing;
// - a password holding NUL is refused unhashed (scrypt's HMAC would read `pw\0` as `pw`).
import { createHash, randomBytes } from 'node:crypto';
import type { ResellerMapping } from '../config/mappings.js';
import { digestsEqual, verifyPassword } from '../core/credentials.js';
import type { AuthFailure, AuthStyle } from './request-summary.js';

export interface Credentials {
  apiUser?: string | undefined;
  apiKey?: string | undefined;
  bearer?: string | undefined;
  /** The client's address, for throttling; requests without one share a bucket. */
  client?: string | undefined;
}

export type AuthResult =
  | { ok: true; reseller: ResellerMapping; style: AuthStyle }
  | { ok: false; reason: AuthFailure; style: AuthStyle };

export interface AuthOptions {
  successTtlMs: number;
  failureTtlMs: number;
  maxConcurrentHashes: number;
  /** Checks waiting for a hash slot, per queue (known api_users / unknown ones); more are "busy". */
  maxQueuedHashes: number;
  /** Failures per (api_user, client address) within `throttleWindowMs` before further tries are refused unhashed. */
  throttleFailures: number;
  throttleWindowMs: number;
  /** Bound on remembered failures and throttle buckets, so a flood of distinct names cannot grow memory. */
  maxTrackedFailures: number;
  now: () => number;
  /** The password check; replaceable in tests. */
  verify: (password: string, hash: string) => Promise<boolean>;
}

export const DEFAULT_AUTH_OPTIONS: AuthOptions = {
  successTtlMs: 5 * 60_000,
  failureTtlMs: 30_000,
  maxConcurrentHashes: 2,
  maxQueuedHashes: 16,
  throttleFailures: 10,
  throttleWindowMs: 60_000,
  maxTrackedFailures: 10_000,
  now: Date.now,
  verify: verifyPassword,
};

/** Thrown by HashQueue when the caller's queue is full. */
class QueueFull extends Error {}

type Lane = 'known' | 'unknown';

/** Runs at most `limit` hashes at once; waiting checks of known api_users go first. */
class HashQueue {
  private active = 0;
  private readonly waiting: Record<Lane, (() => void)[]> = { known: [], unknown: [] };
  constructor(
    private readonly limit: number,
    private readonly maxQueued: number,
  ) {}

  async run<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.waiting[lane].length >= this.maxQueued) throw new QueueFull();
      await new Promise<void>((resolve) => this.waiting[lane].push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next waiter (known first), or is freed.
      const next = this.waiting.known.shift() ?? this.waiting.unknown.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** A map that forgets its oldest entries beyond `max` (insertion order). */
function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

/** The auth style the credentials use: a bearer only counts when neither api_user nor api_key is given. */
export function authStyleOf({ apiUser, apiKey, bearer }: Credentials): AuthStyle {
  if (apiUser === undefined && apiKey === undefined) return bearer ? 'bearer' : 'none';
  return apiUser === 'apikey' ? 'apikey' : 'password';
}

export class LegacyAuthenticator {
  private readonly options: AuthOptions;
  /** Process-local salt: cache entries are useless outside this process. */
  private readonly cacheSalt = randomBytes(32).toString('base64');
  private readonly successes = new Map<string, { reseller: ResellerMapping; expires: number }>();
  private readonly failures = new Map<string, { expires: number; reason: AuthFailure }>();
  /** Failure times by (api_user, client). */
  private readonly recentFailures = new Map<string, number[]>();
  /** Checks under way, so a burst with the same credentials hashes once. */
  private readonly inFlight = new Map<string, Promise<AuthResult>>();
  private readonly hashes: HashQueue;
  /** What an unknown api_user is hashed against: a hash of the same cost as a real one. */
  private readonly dummyHash: string;

  constructor(
    private readonly resellers: readonly ResellerMapping[],
    /** Each reseller's v3 key, by api_user (absent when its variable is unset). */
    private readonly v3Keys: ReadonlyMap<string, string>,
    options: Partial<AuthOptions> = {},
  ) {
    this.options = { ...DEFAULT_AUTH_OPTIONS, ...options };
    this.hashes = new HashQueue(this.options.maxConcurrentHashes, this.options.maxQueuedHashes);
    const [, n = '16384', r = '8', p = '1'] = (resellers[0]?.password_hash ?? '').split('$');
    this.dummyHash = ['scrypt', n, r, p, randomBytes(16).toString('base64'), randomBytes(32).toString('base64')].join('$');
  }

  /** The reseller, or undefined: for callers that need no reason. */
  async authenticate(credentials: Credentials): Promise<ResellerMapping | undefined> {
    const result = await this.check(credentials);
    return result.ok ? result.reseller : undefined;
  }

  /**
   * Who the credentials say they are, without checking a password (for a brownout, decided
   * before authentication): the api_user given, or the reseller whose v3 key is given.
   */
  claimed(credentials: Credentials): { style: AuthStyle; reseller: string | undefined } {
    const { apiUser, apiKey, bearer } = credentials;
    const style = authStyleOf(credentials);
    if (style === 'bearer' || (style === 'apikey' && apiKey)) {
      const result = this.byV3Key(style === 'bearer' ? bearer! : apiKey!, style);
      return { style, reseller: result.ok ? result.reseller.api_user : undefined };
    }
    return { style, reseller: style === 'password' ? apiUser : undefined };
  }

  async check(credentials: Credentials): Promise<AuthResult> {
    const { apiUser, apiKey, bearer } = credentials;
    const style = authStyleOf(credentials);
    if (style === 'bearer') return this.byV3Key(bearer!, 'bearer');
    if (!apiUser || !apiKey || apiUser.includes('\u0000') || apiKey.includes('\u0000'))
      return { ok: false, reason: 'malformed', style };
    if (apiUser === 'apikey') return this.byV3Key(apiKey, 'apikey');
    return this.byPassword(apiUser, apiKey, credentials.client ?? '');
  }

  private byV3Key(key: string, style: AuthStyle): AuthResult {
    // Compare against every reseller so the time does not depend on which one matched.
    let found: ResellerMapping | undefined;
    for (const reseller of this.resellers) {
      const expected = this.v3Keys.get(reseller.api_user);
      if (expected !== undefined && digestsEqual(this.digest(expected), this.digest(key))) found = reseller;
    }
    return found ? { ok: true, reseller: found, style } : { ok: false, reason: 'wrong_credentials', style };
  }

  private async byPassword(apiUser: string, password: string, client: string): Promise<AuthResult> {
    const now = this.options.now();
    const entry = this.digest(`${apiUser}\u0000${password}`);
    const cached = this.successes.get(entry);
    if (cached && cached.expires > now) return { ok: true, reseller: cached.reseller, style: 'password' };
    const failed = this.failures.get(entry);
    if (failed && failed.expires > now) return { ok: false, reason: failed.reason, style: 'password' };
    const bucket = this.digest(`${apiUser}\u0000${client}`);
    if (this.throttled(bucket, now)) return { ok: false, reason: 'throttled', style: 'password' };

    let check = this.inFlight.get(entry);
    if (!check) {
      check = this.hash(apiUser, password, entry, bucket).finally(() => this.inFlight.delete(entry));
      this.inFlight.set(entry, check);
    }
    return check;
  }

  private async hash(apiUser: string, password: string, entry: string, bucket: string): Promise<AuthResult> {
    const reseller = this.resellers.find((r) => r.api_user === apiUser);
    let ok: boolean;
    try {
      ok = await this.hashes.run(reseller ? 'known' : 'unknown', () =>
        this.options.verify(password, reseller?.password_hash ?? this.dummyHash),
      );
    } catch (error) {
      if (error instanceof QueueFull) return { ok: false, reason: 'busy', style: 'password' };
      throw error;
    }
    const at = this.options.now();
    this.evictExpired(at);
    if (ok && reseller) {
      this.successes.set(entry, { reseller, expires: at + this.options.successTtlMs });
      return { ok: true, reseller, style: 'password' };
    }
    const reason: AuthFailure = reseller ? 'wrong_credentials' : 'unknown_user';
    boundedSet(this.failures, entry, { expires: at + this.options.failureTtlMs, reason }, this.options.maxTrackedFailures);
    this.recordFailure(bucket, at);
    return { ok: false, reason, style: 'password' };
  }

  private throttled(bucket: string, now: number): boolean {
    const recent = (this.recentFailures.get(bucket) ?? []).filter((t) => t > now - this.options.throttleWindowMs);
    return recent.length >= this.options.throttleFailures;
  }

  private recordFailure(bucket: string, now: number): void {
    const recent = (this.recentFailures.get(bucket) ?? []).filter((t) => t > now - this.options.throttleWindowMs);
    recent.push(now);
    boundedSet(this.recentFailures, bucket, recent, this.options.maxTrackedFailures);
  }

  /** Keeps the caches small: expired entries go whenever a hash has just run. */
  private evictExpired(now: number): void {
    for (const [k, v] of this.successes) if (v.expires <= now) this.successes.delete(k);
    for (const [k, v] of this.failures) if (v.expires <= now) this.failures.delete(k);
    for (const [k, v] of this.recentFailures)
      if (!v.some((t) => t > now - this.options.throttleWindowMs)) this.recentFailures.delete(k);
  }

  /** SHA-256 of salt and value: keeps plain credentials out of memory, cheaply (no key object per call). */
  private digest(value: string): string {
    return createHash('sha256').update(this.cacheSalt).update(value, 'utf8').digest('hex');
  }
}
