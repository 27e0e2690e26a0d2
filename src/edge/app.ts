// The HTTP edge: legacy apiv2, the directory endpoint, /healthz. Every answer,
// including a crash, is in the shape of the surface that received the request.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { BridgeConfig } from '../config/config.js';
import type { Core } from '../core/index.js';
import type { Logger } from '../log.js';
import type { Simulator } from '../simulator/server.js';
import { apiv2Handler } from './apiv2/route.js';
import type { LegacyAuthenticator } from './auth.js';
import { directoryHandler } from './directory/route.js';
import { probesRouter, type ProbeDeps } from './probes/router.js';

export interface EdgeDeps {
  config: BridgeConfig;
  /** The use cases: the edge reaches the store and v3 only through them. */
  core: Core;
  storeKind: 'sqlite' | 'postgres';
  authenticator: LegacyAuthenticator;
  logger: Logger;
  now: () => Date;
  simulator: Simulator | undefined;
  readiness: ProbeDeps['readiness'];
}

const NOT_FOUND = JSON.stringify({ error: { code: 404, message: 'Not found' } });
const INTERNAL = JSON.stringify({ message: 'error', errors: ['Internal error; nothing was changed, the request is safe to retry'] });

export function createApp(deps: EdgeDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false); // the legacy normaliser reads the raw query string itself
  app.use(requestLog(deps.logger));

  app.use(probesRouter({ config: deps.config, storeKind: deps.storeKind, readiness: deps.readiness }));
  app.all('/apiv2/:call', apiv2Handler(deps));
  app.all('/v1/partners/accounts/:businessUid/change_package', directoryHandler(deps));

  app.use((_req: Request, res: Response) => {
    res.status(404).setHeader('Content-Type', 'application/json');
    res.end(NOT_FOUND);
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    if (res.headersSent) return void res.destroy();
    res.status(500).setHeader('Content-Type', 'application/json');
    res.end(INTERNAL);
  });
  return app;
}

/** One line per request: method, path (never the query string: it may hold api_key), status, time. */
function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          reseller: res.locals.reseller as string | undefined,
        },
        'request',
      );
    });
    next();
  };
}
