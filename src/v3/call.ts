// Runs one v3 operation: rate-limit token, HTTP attempt, answer check, and the
// retry loop, all inside the call's deadline. Operation-specific knowledge (path,
// body, how to read the answer) comes in an OperationSpec from client.ts.
import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import type * as z from 'zod';
import type { CallOptions } from './api.js';
import { contentCodings, readBody, BodyDecodeError, BodyTooLargeError } from './body.js';
import type { V3Error } from './errors.js';
import { attemptMayHaveLanded, FailureFactory } from './failures.js';
import type { ResolvedOptions } from './options.js';
import { backoffDelay, RETRYABLE_METHODS, RETRYABLE_STATUSES, serverWaitHint, type ResponseHeaders } from './retry.js';
import type { TokenBucket } from './token-bucket.js';

export interface Answer {
  status: number;
  headers: ResponseHeaders;
  body: Buffer;
}

/** The answer had a success status but is not what the spec promises. */
export class InvalidAnswer extends Error {
  override readonly name = 'InvalidAnswer';
}

export interface OperationSpec<T> {
  /** v3 operationId: names the call in errors and attempt reports. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the base URL, already percent-encoded, with its query. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Which statuses are success (default: 2xx). */
  isSuccess?: (status: number) => boolean;
  /** Turns a success answer into the result; throws InvalidAnswer if it cannot. */
  parse: (answer: Answer) => T;
}

export interface CallContext {
  dispatcher: Dispatcher;
  /** Base URL's path without its trailing slash ('' when none). */
  pathPrefix: string;
  settings: ResolvedOptions;
}

const is2xx = (status: number): boolean => status >= 200 && status < 300;

const FIXED_HEADERS = {
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate, br',
  'user-agent': 'reseller-bridge',
} as const;

/** A parser for JSON answers checked against a zod schema. */
export function jsonAnswer<S extends z.ZodType>(schema: S): (answer: Answer) => z.infer<S> {
  return (answer) => {
    let data: unknown;
    try {
      data = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new InvalidAnswer('a body that is not JSON');
    }
    const checked = schema.safeParse(data);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
      throw new InvalidAnswer(`a body that does not match the spec (${where}: ${issue?.message ?? 'invalid'})`);
    }
    return checked.data;
  };
}

export async function runCall<T>(
  context: CallContext,
  apiKey: string,
  bucket: TokenBucket | undefined,
  spec: OperationSpec<T>,
  options: CallOptions = {},
): Promise<T> {
  const { now, sleep } = context.settings;
  const deadline = options.deadline ?? now() + context.settings.callBudgetMs;
  const maxAttempts = RETRYABLE_METHODS.has(spec.method) ? context.settings.maxAttempts : 1;
  const failures = new FailureFactory(spec.operation, apiKey);
  let last: V3Error | undefined;
  // A write: whether any attempt so far was sent and not answered. Every failure the call
  // throws carries it, whatever its last attempt said (a 503 after a timeout is still uncertain).
  let mayHaveLanded = false;
  const fail = (error: V3Error): V3Error => {
    if (spec.method !== 'GET') error.details.mayHaveLanded = mayHaveLanded;
    return error;
  };

  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    const tooLate = (reason: string) => fail(failures.deadlineBeforeAttempt(reason, attempt - 1, last));
    if (now() >= deadline) throw tooLate('deadline reached before an attempt could start');
    await takeToken(bucket, deadline, options.signal, context.settings, () =>
      tooLate('waiting for the rate limit would outlast the deadline'),
    );
    if (now() >= deadline) throw tooLate('deadline reached before an attempt could start');

    const outcome = await attemptOnce(context, apiKey, spec, attempt, deadline, failures, options.signal);
    if (outcome.ok) return outcome.value;

    const error = outcome.error;
    error.details.attempts = attempt;
    if (spec.method !== 'GET' && attemptMayHaveLanded(error)) {
      mayHaveLanded = true;
      try {
        options.onUnanswered?.();
      } catch {
        // an observer must not break the call
      }
    }
    if (attempt >= maxAttempts || !isRetryable(error)) throw fail(error);

    const wait = error.details.retryAfterMs ?? backoffDelay(attempt, backoff(context.settings), context.settings.random);
    if (now() + wait >= deadline) {
      const reason = error.details.retryAfterMs === undefined ? 'backoff' : `v3's requested wait of ${Math.round(wait)} ms`;
      throw fail(failures.deadlineBeforeAttempt(`${reason} would outlast the deadline`, attempt, error));
    }
    await sleep(wait, options.signal);
    last = error;
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: V3Error };

async function attemptOnce<T>(
  context: CallContext,
  apiKey: string,
  spec: OperationSpec<T>,
  attempt: number,
  deadline: number,
  failures: FailureFactory,
  callerSignal: AbortSignal | undefined,
): Promise<Outcome<T>> {
  const { now, headersTimeoutMs, bodyTimeoutMs } = context.settings;
  const started = now();
  const remaining = Math.max(1, deadline - started);

  // One signal ends the attempt at the deadline (this also clips the connect
  // timeout) or when the caller gives up. undici takes an EventEmitter as its signal:
  // three attempts a task, and an AbortController's EventTarget costs several times one.
  // It has no `aborted` property, which undici would take for an AbortSignal's.
  const stop = new EventEmitter();
  let stopped = false;
  const abortAttempt = (): void => {
    stopped = true;
    stop.emit('abort');
  };
  const deadlineTimer = setTimeout(abortAttempt, remaining);
  callerSignal?.addEventListener('abort', abortAttempt, { once: true });

  let status: number | undefined;
  let outcome: Outcome<T>;
  try {
    const response = await context.dispatcher.request({
      method: spec.method,
      path: context.pathPrefix + spec.path,
      headers: requestHeaders(apiKey, spec),
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      signal: stop,
      headersTimeout: Math.min(headersTimeoutMs, remaining),
      bodyTimeout: Math.min(bodyTimeoutMs, remaining),
    });
    status = response.statusCode;
    outcome = await interpret(context, spec, failures, status, response);
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    outcome = {
      ok: false,
      error: stopped
        ? failures.deadlineDuringAttempt(attempt, status)
        : failures.transport(error, status),
    };
  } finally {
    clearTimeout(deadlineTimer);
    callerSignal?.removeEventListener('abort', abortAttempt);
  }

  report(context, {
    operation: spec.operation,
    method: spec.method,
    ...(status === undefined ? {} : { status }),
    ms: now() - started,
    attempt,
    ...(outcome.ok ? {} : { error: outcome.error }),
  });
  return outcome;
}

async function interpret<T>(
  context: CallContext,
  spec: OperationSpec<T>,
  failures: FailureFactory,
  status: number,
  response: Dispatcher.ResponseData,
): Promise<Outcome<T>> {
  const success = (spec.isSuccess ?? is2xx)(status);
  const limits = {
    maxEncodedBytes: context.settings.maxEncodedBodyBytes,
    maxDecodedBytes: context.settings.maxBodyBytes,
  };
  let body: Buffer | undefined;
  try {
    body = await readBody(response.body, contentCodings(response.headers['content-encoding']), limits, declaredLength(response.headers));
  } catch (error) {
    // An error answer stays an error answer even if its body is unreadable.
    const unreadable = error instanceof BodyTooLargeError || error instanceof BodyDecodeError;
    if (success || !unreadable) throw error;
  }

  if (!success) {
    const retryAfterMs = serverWaitHint(response.headers, status, context.settings.now());
    return { ok: false, error: failures.http(status, body, retryAfterMs) };
  }
  try {
    return { ok: true, value: spec.parse({ status, headers: response.headers, body: body ?? Buffer.alloc(0) }) };
  } catch (error) {
    if (error instanceof InvalidAnswer) return { ok: false, error: failures.invalidAnswer(status, error.message) };
    throw error;
  }
}

function requestHeaders(apiKey: string, spec: OperationSpec<unknown>): Record<string, string> {
  return {
    ...spec.headers,
    ...FIXED_HEADERS,
    authorization: `Bearer ${apiKey}`,
    ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }),
  };
}

async function takeToken(
  bucket: TokenBucket | undefined,
  deadline: number,
  signal: AbortSignal | undefined,
  settings: ResolvedOptions,
  tooLate: () => V3Error,
): Promise<void> {
  if (!bucket) return;
  const wait = bucket.reserve(deadline - 1);
  if (wait === undefined) throw tooLate();
  if (wait === 0) return;
  try {
    await settings.sleep(wait, signal);
  } catch (error) {
    bucket.refund();
    throw error;
  }
}

function isRetryable(error: V3Error): boolean {
  if (error.kind === 'http') return RETRYABLE_STATUSES.has(error.details.status ?? 0);
  return error.kind === 'timeout' || error.kind === 'network';
}

function backoff(settings: ResolvedOptions) {
  return { baseMs: settings.backoffBaseMs, capMs: settings.backoffCapMs };
}

function declaredLength(headers: ResponseHeaders): number | undefined {
  const value = headers['content-length'];
  const length = typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** A throwing hook must not break the call it observes. */
function report(context: CallContext, payload: Parameters<NonNullable<ResolvedOptions['onAttempt']>>[0]): void {
  try {
    context.settings.onAttempt?.(payload);
  } catch {
    // observers are best effort
  }
}
