// The first stage of every request: its id (X-Request-Id accepted when safe, else generated, and
// echoed on every answer), the summary the surfaces fill in as they go, and one call of
// `observeRequest` when the answer is done (or the client went away).
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ObserveRequest, RequestSummary } from './request-summary.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const MAX_REQUEST_ID = 128;
/** Characters a request id may keep: enough for UUIDs, ULIDs and trace ids, nothing a log or header could misread. */
const UNSAFE_ID_CHARACTERS = /[^A-Za-z0-9._:@/+=-]/g;

/** The client's id with unsafe characters dropped and cut to length, or undefined if nothing is left. */
export function sanitiseRequestId(header: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return undefined;
  const cleaned = raw.slice(0, 4 * MAX_REQUEST_ID).replace(UNSAFE_ID_CHARACTERS, '').slice(0, MAX_REQUEST_ID);
  return cleaned || undefined;
}

/** The summary being filled in for this request; `status` and `durationMs` are set when it ends. */
export type RequestTrace = Omit<RequestSummary, 'status' | 'durationMs' | 'outcome'> & {
  /** Set by the surface when the status alone does not say (a legacy error answered with 200). */
  outcome: RequestSummary['outcome'] | undefined;
};

export function traceOf(res: Response): RequestTrace {
  return res.locals.trace as RequestTrace;
}

export function requestContext(observe: ObserveRequest, outcomeOf: (status: number) => RequestSummary['outcome']) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const requestId = sanitiseRequestId(req.headers['x-request-id']) ?? randomUUID();
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const trace: RequestTrace = {
      requestId,
      surface: 'other',
      route: 'unmatched',
      method: req.method,
      task: undefined,
      module: undefined,
      format: 'json',
      outcome: undefined,
      caller: undefined,
      authenticated: false,
      authStyle: 'none',
      authFailure: undefined,
    };
    res.locals.trace = trace;
    let observed = false;
    const done = () => {
      if (observed) return;
      observed = true;
      const status = res.statusCode;
      const { outcome, ...rest } = trace;
      try {
        observe({ ...rest, status, outcome: outcome ?? outcomeOf(status), durationMs: Number(process.hrtime.bigint() - started) / 1e6 });
      } catch {
        // An observer's failure must not touch the request; each observer logs its own problems.
      }
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
