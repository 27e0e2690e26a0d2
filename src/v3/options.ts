// Settings of the v3 upstream, with the defaults the bridge runs on.
import type { V3Error } from './errors.js';

/** What `onAttempt` hears about each HTTP attempt. Never carries the API key. */
export interface AttemptReport {
  /** v3 operationId, e.g. `GetAccountState`. */
  operation: string;
  method: string;
  /** HTTP status, when an answer arrived. */
  status?: number;
  /** Duration of the attempt, by the upstream's clock. */
  ms: number;
  /** 1 for the first try. */
  attempt: number;
  error?: V3Error;
}

export interface V3UpstreamOptions {
  /** v3 base URL, e.g. `https://api.sendgrid.com`; may carry a path prefix. */
  baseUrl: string;
  connectTimeoutMs?: number;
  /** Longest wait for an answer's headers in one attempt. */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks in one attempt. */
  bodyTimeoutMs?: number;
  /** Deadline of a call made without `CallOptions.deadline`, in ms from its start. */
  callBudgetMs?: number;
  /** Attempts of a retryable call (GET, PUT, DELETE); POST always gets one. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Most bytes of an answer body after decoding. */
  maxBodyBytes?: number;
  /** Most bytes of an answer body as received (before decoding). */
  maxEncodedBodyBytes?: number;
  /** Sockets kept to the v3 origin. */
  connections?: number;
  /** Idle time before a kept-alive socket is closed, unless the server's Keep-Alive says less. */
  keepAliveTimeoutMs?: number;
  /** Steady requests per second per v3 key (one token bucket per key); Infinity: no local limit. */
  ratePerSecond?: number;
  /** Requests per v3 key allowed at once after a quiet spell (the bucket's size). */
  burst?: number;
  onAttempt?: (report: AttemptReport) => void;
  /** Clock (ms since epoch); injectable for tests. */
  now?: () => number;
  /** Waits `ms`; rejects with `signal.reason` if the signal aborts first. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Source of backoff jitter in [0, 1). */
  random?: () => number;
}

/**
 * Defaults. Timeouts: v3 answers in well under a second, so 2 s to connect and 10 s
 * for headers or a body stall mean it is in trouble. 15 s per call is what a legacy
 * client waits comfortably; 3 attempts with 250 ms..4 s backoff fit inside it.
 * v3 answers are a few KiB; 5 MiB leaves room for a 100-account page and refuses a
 * decompression bomb. 20 req/s with a burst of 40 per key stays under v3's rate
 * limits while letting a batch of legacy calls through at once.
 */
export const V3_UPSTREAM_DEFAULTS = {
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  callBudgetMs: 15_000,
  maxAttempts: 3,
  backoffBaseMs: 250,
  backoffCapMs: 4_000,
  maxBodyBytes: 5 * 1024 * 1024,
  maxEncodedBodyBytes: 5 * 1024 * 1024,
  connections: 32,
  keepAliveTimeoutMs: 4_000,
  ratePerSecond: 20,
  burst: 40,
} as const;

export type ResolvedOptions = Required<Omit<V3UpstreamOptions, 'onAttempt'>> & Pick<V3UpstreamOptions, 'onAttempt'>;

export function resolveOptions(options: V3UpstreamOptions): ResolvedOptions {
  const merged: ResolvedOptions = {
    ...V3_UPSTREAM_DEFAULTS,
    now: Date.now,
    sleep: sleepFor,
    random: Math.random,
    ...withoutUndefined(options),
    baseUrl: options.baseUrl,
  };
  for (const name of positiveSettings) {
    const value = merged[name];
    const finiteOrUnlimited = Number.isFinite(value) || name === 'ratePerSecond';
    if (!(typeof value === 'number' && value > 0 && finiteOrUnlimited)) {
      throw new RangeError(`v3 upstream option ${name} must be a positive number`);
    }
  }
  if (!Number.isInteger(merged.maxAttempts)) throw new RangeError('v3 upstream option maxAttempts must be an integer');
  return merged;
}

const positiveSettings = [
  'connectTimeoutMs',
  'headersTimeoutMs',
  'bodyTimeoutMs',
  'callBudgetMs',
  'maxAttempts',
  'backoffBaseMs',
  'backoffCapMs',
  'maxBodyBytes',
  'maxEncodedBodyBytes',
  'connections',
  'keepAliveTimeoutMs',
  'ratePerSecond',
  'burst',
] as const;

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The default sleep: a plain timer that an abort signal cuts short. */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
