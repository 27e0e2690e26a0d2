// One access line per request, from its summary. The summary holds no secret and no query string;
// a claimed api_user is logged only once it is known to name a reseller (authenticated, or a wrong
// password for it): an unknown one may be anything a client typed, a password included.
import type { Logger } from '../log.js';
import type { RequestSummary } from './request-summary.js';

export function accessLog(logger: Logger): (summary: RequestSummary) => void {
  return (s) => {
    const reseller = s.authenticated || s.authFailure === 'wrong_credentials' ? s.caller : undefined;
    logger.info(
      {
        requestId: s.requestId,
        surface: s.surface,
        route: s.route,
        method: s.method,
        task: s.task,
        format: s.format,
        status: s.status,
        outcome: s.outcome,
        ms: Math.round(s.durationMs * 100) / 100,
        reseller,
        ...(s.authFailure ? { authFailure: s.authFailure } : {}),
      },
      'request',
    );
  };
}
