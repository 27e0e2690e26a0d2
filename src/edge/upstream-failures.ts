// The one table from a v3 failure to what a legacy client is told: the status, and a message that
// claims only what the bridge knows. Both surfaces render it in their own shape.
import { isV3Error } from '../core/index.js';
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
  // A write v3 answered with an error status was refused as a whole; one that timed out, lost its
  // connection or got a success we could not read may have landed.
  const refused = status !== undefined && status >= 400 && (error.kind === 'http' || error.kind === 'deadline');
  if (WRITES.has(operation) && !refused)
    return { status: error.gatewayStatus, message: `SendGrid v3 ${operation} ${what}; ${UNCERTAIN}`, outcome: 'uncertain' };
  return { status: error.gatewayStatus, message: `SendGrid v3 ${operation} ${what}; ${SAFE}`, outcome: 'upstream_error' };
}
