// GET (and, as an extension, POST) /v1/partners/accounts/{business_uid}/change_package:
// the vcita directory-token "Account Manipulation" call over v3 (DESIGN.md §4), as its own
// router with its own error rendering. The pipeline: authentication (authenticate.ts) → the
// injected stages → the parameters (params.ts) → the use case (use-cases.ts, the only calls into
// core) → the answer (render.ts).
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { DirectoryMapping, Mappings } from '../../config/mappings.js';
import type { Core } from '../../core/index.js';
import type { Logger } from '../../log.js';
import { announceDeprecation } from '../deprecation-headers.js';
import { dryRunPlan, wantsDryRun } from '../dry-run.js';
import { explainDirectoryChange } from '../explain/explain.js';
import { internalErrorMessage, isPathDecodeError } from '../legacy-format.js';
import { dryRunBody, LegacyBadRequest, parseFormPairs, rawQueryOf, readLegacyBody, type BodyFields } from '../legacy/index.js';
import { traceOf, type RequestTrace } from '../request-context.js';
import type { RequestOutcome } from '../request-summary.js';
import { pendingWriteAnswer, upstreamFailureAnswer } from '../upstream-failures.js';
import { DirectoryAuthenticator } from './authenticate.js';
import { parseDirectoryParams, tokenFromHeader } from './params.js';
import * as answer from './render.js';
import { directoryUseCases, type DirectoryChangeOutcome, type DirectoryUseCases } from './use-cases.js';

const REQUEST_BUDGET_MS = 20_000;
/** The route under the router's mount point, `/v1/partners/accounts`. */
const ROUTE = '/:businessUid/change_package';
export const DIRECTORY_MOUNT = '/v1/partners/accounts';

/** What an injected stage sees of an authenticated directory request. */
export interface DirectoryRequest {
  req: Request;
  res: Response;
  directory: DirectoryMapping;
  businessUid: string;
  trace: RequestTrace;
}

/** A stage's refusal, answered in the directory's JSON shape instead of running the change. */
export interface DirectoryRefusal {
  status: number;
  message: string;
  outcome: RequestOutcome;
}

/**
 * Runs between authentication and the parameters, in order: may set headers, and may answer in
 * the change's place by returning a refusal; undefined lets the request go on.
 */
export type DirectoryStage = (request: DirectoryRequest) => Promise<DirectoryRefusal | undefined> | DirectoryRefusal | undefined;

export interface DirectoryDeps {
  mappings: Mappings;
  core: Core;
  logger: Logger;
  stages?: readonly DirectoryStage[];
}

/** Built once per router: the token check and the calls into the use cases. */
interface Surface {
  authenticator: DirectoryAuthenticator;
  useCases: DirectoryUseCases;
}

/** Per request: whether the use case has started (after which a write may land). */
interface DirectoryState {
  taskStarted: boolean;
}

/** Mounted at DIRECTORY_MOUNT. */
export function directoryRouter(deps: DirectoryDeps): Router {
  const surface: Surface = {
    authenticator: new DirectoryAuthenticator(deps.mappings.directories, deps.mappings.customers),
    useCases: directoryUseCases(deps),
  };
  const router = express.Router();
  router.all(ROUTE, (req, res) => changePackage(deps, surface, req, res, String(req.params.businessUid)));
  router.use(directoryErrors(deps, surface));
  return router;
}

/**
 * Marks the request as this surface's, and announces the surface's deprecation before anything is
 * written; also reached by a business uid Express could not decode.
 */
function enter(deps: DirectoryDeps, res: Response): DirectoryState {
  const existing = res.locals.directory as DirectoryState | undefined;
  if (existing) return existing;
  announceDeprecation(res, deps.mappings.deprecation, 'directory', 'change_package');
  const trace = traceOf(res);
  trace.surface = 'directory';
  trace.route = DIRECTORY_MOUNT + ROUTE;
  trace.task = 'change_package';
  const state: DirectoryState = { taskStarted: false };
  res.locals.directory = state;
  return state;
}

async function changePackage(
  deps: DirectoryDeps,
  surface: Surface,
  req: Request,
  res: Response,
  businessUid: string | undefined,
): Promise<void> {
  const state = enter(deps, res);
  if (req.method !== 'GET' && req.method !== 'POST') return answer.notFound(res);
  const trace = traceOf(res);

  // Authentication: the token's directory, then the business among that directory's.
  trace.authStyle = 'directory_token';
  const directory = surface.authenticator.directoryFor(tokenFromHeader(req.get('authorization')));
  if (directory && businessUid === undefined)
    return answer.unprocessable(res, ['business_uid: not a valid percent-encoded path segment']);
  const member = directory !== undefined && businessUid !== undefined && surface.authenticator.serves(directory, businessUid);
  const customer = member ? await surface.useCases.business(directory, businessUid) : undefined;
  if (!directory || !customer) {
    trace.authFailure = directory ? undefined : 'wrong_credentials';
    return answer.accessDenied(res);
  }
  trace.authenticated = true;
  trace.caller = directory.id;

  for (const stage of deps.stages ?? []) {
    const refusal = await stage({ req, res, directory, businessUid: businessUid!, trace });
    if (refusal) return answer.failed(res, refusal.status, refusal.message, refusal.outcome);
  }

  // The parameters, all validated before any v3 call.
  let body: BodyFields | undefined;
  try {
    body = await readLegacyBody(req);
  } catch (error) {
    if (!(error instanceof LegacyBadRequest)) throw error;
    return answer.unreadable(res, error.status, error.message);
  }
  const parsed = parseDirectoryParams(
    [...parseFormPairs(rawQueryOf(req.originalUrl)), ...(body ?? [])],
    Object.keys(directory.packages),
  );
  if (!parsed.ok) return answer.unprocessable(res, parsed.errors);

  // The use case, then its answer.
  state.taskStarted = true;
  const dryRun = wantsDryRun(req);
  let outcome: DirectoryChangeOutcome;
  try {
    outcome = await surface.useCases.change(directory, customer, parsed.change, Date.now() + REQUEST_BUDGET_MS, dryRun, trace.requestId);
    if (outcome.kind === 'rejected') return answer.unprocessable(res, outcome.errors);
  } catch (error) {
    const pending = pendingWriteAnswer(error);
    if (pending) {
      deps.logger.warn({ err: error, requestId: trace.requestId, directory: directory.id }, 'directory change not confirmed yet');
      res.setHeader('Retry-After', String(pending.retryAfterSeconds));
      return answer.failed(res, pending.status, pending.message, pending.outcome);
    }
    const failure = upstreamFailureAnswer(error);
    if (!failure) throw error;
    deps.logger.warn({ err: error, requestId: trace.requestId, directory: directory.id }, 'directory change failed upstream');
    return answer.failed(res, failure.status, failure.message, failure.outcome);
  }
  if (!dryRun) return answer.changed(res, businessUid!);
  const explanation = explainDirectoryChange({
    directory,
    customer: { name: businessUid!, accountId: customer.accountId },
    change: parsed.change,
    mappings: deps.mappings,
  });
  answer.planned(res, dryRunBody(dryRunPlan(explanation, outcome.outcome, outcome.v3Writes), { business_id: businessUid! }));
}

function directoryErrors(deps: DirectoryDeps, surface: Surface) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    // A business uid that is not valid percent-encoding names no business: answered after the token check.
    if (isPathDecodeError(error)) return changePackage(deps, surface, req, res, undefined).catch(next);
    const state = enter(deps, res);
    const trace = traceOf(res);
    deps.logger.error({ err: error, requestId: trace.requestId, surface: 'directory' }, 'request failed');
    if (res.headersSent) return void res.destroy();
    answer.failed(res, 500, internalErrorMessage(trace.requestId, state.taskStarted), 'internal_error');
  };
}
