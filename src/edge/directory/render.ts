// The directory endpoint's answers, as its declared operation gives them (200, 401, 422), plus
// the extensions: 404 for other methods, 502/503/504 and 500 with a JSON message.
import type { Response } from 'express';
import { traceOf } from '../request-context.js';
import type { RequestOutcome } from '../request-summary.js';

const UNPROCESSABLE = 'Bad parameter(s), see content for more information.';

function json(res: Response, status: number, body: unknown, outcome: RequestOutcome): void {
  traceOf(res).outcome = outcome;
  res.status(status).json(body);
}

export function changed(res: Response, businessUid: string): void {
  json(res, 200, { business_id: businessUid }, 'success');
}

/** A dry run's answer: the plan, with the business id the change would have answered. */
export function planned(res: Response, body: unknown): void {
  json(res, 200, body, 'success');
}

export function accessDenied(res: Response): void {
  const trace = traceOf(res);
  trace.format = 'text';
  trace.outcome = 'auth_failed';
  res.status(401).set('WWW-Authenticate', 'Token realm="Application"').type('text/plain; charset=utf-8').send('HTTP Token: Access denied.\n');
}

export function unprocessable(res: Response, errors: readonly string[]): void {
  json(res, 422, { message: UNPROCESSABLE, errors }, 'client_error');
}

/** A body that could not be read (too large, malformed): its own status, the message alone. */
export function unreadable(res: Response, status: number, message: string): void {
  json(res, status, { message }, 'client_error');
}

export function failed(res: Response, status: number, message: string, outcome: RequestOutcome): void {
  json(res, status, { message }, outcome);
}

export function notFound(res: Response): void {
  json(res, 404, { error: { code: 404, message: 'Not found' } }, 'not_found');
}
