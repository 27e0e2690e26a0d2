// When a failed v3 call may be sent again, and how long to wait first.
/** Response headers as undici gives them (lower-case names). */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Only idempotent methods are retried: a repeated POST could create a second account. */
export const RETRYABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'PUT', 'DELETE']);

/** Statuses that say "try again later" rather than "this request is wrong". */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Values of X-RateLimit-Reset above this are an epoch time in seconds, below it a delay. */
const EPOCH_SECONDS_THRESHOLD = 1e9;

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

/**
 * Wait before retry number `retry` (1 = first retry): exponential, capped, with
 * "equal jitter" (half fixed, half random) so callers spread out yet never retry at once.
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return step / 2 + random() * (step / 2);
}

/**
 * The wait (ms from `nowMs`) the server asked for, if any: `Retry-After` on any
 * answer; `X-RateLimit-Reset` only on a 429 (v3 sends it on every answer, where it
 * describes the rate window, not a reason to wait).
 */
export function serverWaitHint(headers: ResponseHeaders, status: number, nowMs: number): number | undefined {
  const retryAfter = parseRetryAfter(firstValue(headers['retry-after']), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  if (status === 429) return parseRateLimitReset(firstValue(headers['x-ratelimit-reset']), nowMs);
  return undefined;
}

/** `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  // Decimal seconds are not in the RFC but cost nothing to accept.
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // An HTTP-date starts with a day name; Date.parse alone would read "-3" as a year.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** `X-RateLimit-Reset`: epoch seconds (what v3 sends) or, from some proxies, a delay in seconds. */
export function parseRateLimitReset(value: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  const seconds = Number(text);
  return seconds > EPOCH_SECONDS_THRESHOLD ? Math.max(0, seconds * 1000 - nowMs) : seconds * 1000;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
