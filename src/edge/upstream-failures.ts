// The one table from a v3 failure to what a legacy client is told: the status, and a message that
// claims only what the bridge knows. Both surfaces render it in their own shape.
import { isV3Error, WriteUncertainError, WriteUnsettledError } from '../core/index.js';
import type { RequestOutcome } from './request-summary.js';

export interface FailureAnswer {
  status: 502 | 503 | 504;
  message: string;
  outcome: RequestOutcome;
}

/** Operations that change something in v3: after one of these was sent, "nothing changed" is not known. */
const WRITES = new Set(['UpdateAccountOffering', 'UpdateAccountState', 'CreateAccount', 'DeleteAccount']);

const SAFE = 'nothing was changed, the request is safe to retry';
const UNCERTAIN = 'the change may still take effect: check the account before retrying';
const MISCONFIGURED = "the bridge's v3 key for this reseller was refused; the operator must fix it";

/** Undefined for anything that is not a V3Error: the caller decides what an unknown failure means. */
export function upstreamFailureAnswer(error: unknown): FailureAnswer | undefined {
  if (!isV3Error(error)) return undefined;
  const { operation } = error.details;
  const status = error.status;
  if (error.kind === 'http' && (status === 401 || status === 403))
    return { status: 502, message: `SendGrid v3 ${operation} answered ${status}: ${MISCONFIGURED}`, outcome: 'upstream_error' };
  const what = error.kind === 'http' ? `answered ${status}` : `failed (${error.kind}${status ? ` after ${status}` : ''})`;
  // A write is uncertain when any of its attempts was sent and not answered (the v3 client says so),
  // even if a later one was refused: that earlier attempt may still land.
  const { mayHaveLanded } = error.details;
  const refused =
    mayHaveLanded !== undefined ? !mayHaveLanded : status !== undefined && status >= 400 && (error.kind === 'http' || error.kind === 'deadline');
  if (WRITES.has(operation) && !refused)
    return { status: error.gatewayStatus, message: `SendGrid v3 ${operation} ${what}; ${UNCERTAIN}`, outcome: 'uncertain' };
  return { status: error.gatewayStatus, message: `SendGrid v3 ${operation} ${what}; ${SAFE}`, outcome: 'upstream_error' };
}

/** What a client is told about a write whose outcome is being confirmed (its own, or an earlier one of the customer). */
export interface PendingWriteAnswer {
  /** 409 (the legacy status table sends it as HTTP 200 unless real statuses are on). */
  status: 409;
  message: string;
  outcome: RequestOutcome;
  /** Whole seconds until the write can be settled: the Retry-After where statuses are used. */
  retryAfterSeconds: number;
}

const secondsUntil = (iso: string): number => Math.max(1, Math.ceil((Date.parse(iso) - Date.now()) / 1000));

/**
 * An unanswered write of this request (WriteUncertainError), or an earlier write of the customer
 * not settled yet (WriteUnsettledError); undefined for anything else. Never "nothing was changed":
 * a write may still land. An identical retry is safe: once the write is settled it answers success
 * (it finds the change in place, or makes it).
 */
export function pendingWriteAnswer(error: unknown): PendingWriteAnswer | undefined {
  if (error instanceof WriteUncertainError) {
    const retryAfterSeconds = secondsUntil(error.intent.settleAfter);
    const { operation } = error.cause.details;
    return {
      status: 409,
      message:
        `SendGrid v3 ${operation} did not answer in time: the change may have been applied and is being confirmed. ` +
        `An identical retry is safe: it answers success once the change is known to have landed; retry after ${retryAfterSeconds} s`,
      outcome: 'uncertain',
      retryAfterSeconds,
    };
  }
  if (error instanceof WriteUnsettledError) {
    const retryAfterSeconds = secondsUntil(error.intent.settleAfter);
    return {
      status: 409,
      message:
        `An earlier change of this user may have been applied and is being confirmed; this request sent nothing to SendGrid. ` +
        `Retry after ${retryAfterSeconds} s (an identical retry of that change then answers success if it landed)`,
      outcome: 'refused',
      retryAfterSeconds,
    };
  }
  return undefined;
}
