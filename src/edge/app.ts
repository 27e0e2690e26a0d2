// The HTTP edge: the request context (id, summary) first, then one router per surface, each with
// its own error rendering (fastify-style encapsulation): the legacy apiv2 surface, the directory
// endpoint, the probes (/livez, /readyz, /healthz). What no surface claims is a JSON 404; a failure outside every surface a
// JSON 500. Each router gets only the dependencies it uses.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { BridgeConfig } from '../config/config.js';
import { apiv2Router, type Apiv2Deps, type Apiv2Stage } from './apiv2/router.js';
import { DIRECTORY_MOUNT, directoryRouter, type DirectoryStage } from './directory/router.js';
import { requestContext, traceOf } from './request-context.js';
import { PROBE_ROUTES, probesRouter, type ProbeDeps } from './probes/router.js';
import { outcomeOfStatus, type ObserveRequest } from './request-summary.js';

/** The union of what the surfaces use; each router is handed only its part. */
export interface AppDeps extends Pick<Apiv2Deps, 'core' | 'authenticator' | 'logger'> {
  config: BridgeConfig;
  storeKind: 'sqlite' | 'postgres';
  readiness: ProbeDeps['readiness'];
  /** Called once per request when it is answered: the access log, metrics, the caller ledger. */
  observeRequest: ObserveRequest;
  /** Stages run between authentication and the task of every apiv2 request (see apiv2/router.ts). */
  apiv2Stages?: readonly Apiv2Stage[];
  /** Stages run between authentication and the change of every directory request (see directory/router.ts). */
  directoryStages?: readonly DirectoryStage[];
}

const NOT_FOUND = JSON.stringify({ error: { code: 404, message: 'Not found' } });
const INTERNAL = JSON.stringify({ message: 'error', errors: ['Internal error in the bridge'] });

export function createApp(deps: AppDeps): express.Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false); // the legacy normaliser reads the raw query string itself
  app.use(requestContext(deps.observeRequest, outcomeOfStatus));

  app.use([...PROBE_ROUTES], (req: Request, res: Response, next: NextFunction) => {
    const trace = traceOf(res);
    trace.surface = 'probe';
    trace.route = req.baseUrl;
    // The probes answer GET (and HEAD); anything else is the JSON 404 of every unclaimed request,
    // not Express's automatic plain-text OPTIONS answer.
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.status(404).setHeader('Content-Type', 'application/json').end(NOT_FOUND);
    next();
  });
  app.use(probesRouter({ config, storeKind: deps.storeKind, readiness: deps.readiness }));
  app.use(
    '/apiv2',
    apiv2Router({
      mappings: config.mappings,
      statuses: config.env.BRIDGE_LEGACY_STATUSES,
      core: deps.core,
      authenticator: deps.authenticator,
      logger,
      ...(deps.apiv2Stages ? { stages: deps.apiv2Stages } : {}),
    }),
  );
  app.use(
    DIRECTORY_MOUNT,
    directoryRouter({
      mappings: config.mappings,
      core: deps.core,
      logger,
      ...(deps.directoryStages ? { stages: deps.directoryStages } : {}),
    }),
  );

  app.use((_req: Request, res: Response) => {
    res.status(404).setHeader('Content-Type', 'application/json');
    res.end(NOT_FOUND);
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err: error, requestId: traceOf(res).requestId }, 'request failed outside every surface');
    if (res.headersSent) return void res.destroy();
    res.status(500).setHeader('Content-Type', 'application/json');
    res.end(INTERNAL);
  });
  return app;
}
