// What the edge tells the rest of the bridge about each request, once it is answered: the access
// log, the metrics and the caller ledger all read this, and nothing else of the request. Never a
// secret in it: no key, password, token, query string or raw path.

import type { AuthStyle, UsageOutcome } from '../rules/usage.js';

export type Surface = 'apiv2' | 'directory' | 'probe' | 'other';

// The outcome classes and auth styles are the ledger's (rules/usage.ts): one definition for both.
export type { AuthStyle } from '../rules/usage.js';
export type RequestOutcome = UsageOutcome;

export type AuthFailure = 'unknown_user' | 'wrong_credentials' | 'throttled' | 'busy' | 'malformed';

export interface RequestSummary {
  /** X-Request-Id accepted (sanitised) or generated. */
  requestId: string;
  surface: Surface;
  /** Route template, e.g. '/apiv2/:call': never the raw path. */
  route: string;
  method: string;
  /** Legacy task (`immediate_upgrade`, `list`, ...) or 'change_package'; undefined if none/unknown. */
  task: string | undefined;
  module: 'account' | 'pending' | undefined;
  format: 'json' | 'xml' | 'text';
  /** The HTTP status actually sent. */
  status: number;
  outcome: RequestOutcome;
  /** Authenticated api_user, or the directory id; for failed auth the api_user claimed. */
  caller: string | undefined;
  authenticated: boolean;
  authStyle: AuthStyle;
  /** Reason class when authentication failed. */
  authFailure: AuthFailure | undefined;
  durationMs: number;
}

export type ObserveRequest = (summary: RequestSummary) => void;

/** The outcome an answer's status implies, before the legacy status rule turned errors into 200s. */
export function outcomeOfStatus(status: number): RequestOutcome {
  if (status < 400) return 'success';
  if (status === 401) return 'auth_failed';
  if (status === 404) return 'not_found';
  if (status === 409 || status === 429) return 'refused';
  if (status === 500) return 'internal_error';
  if (status >= 500) return 'upstream_error';
  return 'client_error';
}
