// GET (and, as an extension, POST) /v1/partners/accounts/{business_uid}/change_package:
// the vcita directory-token "Account Manipulation" call over v3 (DESIGN.md §4), as its own
// router: authentication (authenticate.ts), the parameters (params.ts), the use case, and the
// answers (render.ts), with its own error rendering.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Mappings } from '../../config/mappings.js';
import type { Core } from '../../core/index.js';
import type { Logger } from '../../log.js';
import { announceDeprecation } from '../deprecation-headers.js';
import { internalErrorMessage, isPathDecodeError } from '../legacy-format.js';
import { LegacyBadRequest, parseFormPairs, rawQueryOf, readLegacyBody, type BodyFields } from '../legacy/index.js';
import { traceOf } from '../request-context.js';
import { upstreamFailureAnswer } from '../upstream-failures.js';
import { DirectoryAuthenticator } from './authenticate.js';
import { parseDirectoryParams, tokenFromHeader } from './params.js';
import * as answer from './render.js';

const REQUEST_BUDGET_MS = 20_000;
/** The route under the router's mount point, `/v1/partners/accounts`. */
const ROUTE = '/:businessUid/change_package';
export const DIRECTORY_MOUNT = '/v1/partners/accounts';

export interface DirectoryDeps {
  mappings: Mappings;
  core: Core;
  logger: Logger;
}

/** Per request: whether the use case has started (after which a write may land). */
interface DirectoryState {
  taskStarted: boolean;
}

/** Mounted at DIRECTORY_MOUNT. */
export function directoryRouter(deps: DirectoryDeps): Router {
  const authenticator = new DirectoryAuthenticator(deps.mappings.directories, deps.mappings.customers);
  const router = express.Router();
  router.all(ROUTE, (req, res) => changePackage(deps, authenticator, req, res, String(req.params.businessUid)));
  router.use(directoryErrors(deps, authenticator));
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
  authenticator: DirectoryAuthenticator,
  req: Request,
  res: Response,
  businessUid: string | undefined,
): Promise<void> {
  const state = enter(deps, res);
  if (req.method !== 'GET' && req.method !== 'POST') return answer.notFound(res);
  const trace = traceOf(res);
  trace.authStyle = 'directory_token';
  const directory = authenticator.directoryFor(tokenFromHeader(req.get('authorization')));
  if (directory && businessUid === undefined)
    return answer.unprocessable(res, ['business_uid: not a valid percent-encoded path segment']);
  const member = directory !== undefined && businessUid !== undefined && authenticator.serves(directory, businessUid);
  const customer = member ? await deps.core.findDirectoryBusiness(directory, businessUid) : undefined;
  if (!directory || !customer) {
    trace.authFailure = directory ? undefined : 'wrong_credentials';
    return answer.accessDenied(res);
  }
  trace.authenticated = true;
  trace.caller = directory.id;
  const reseller = deps.mappings.resellerByUser.get(directory.reseller)!;

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
  const { change } = parsed;
  const extraUpdate = {
    ...(change.tags ? { tags: change.tags } : {}),
    ...(change.subscriptionParams ? { subscriptionParams: change.subscriptionParams } : {}),
  };
  const deadline = Date.now() + REQUEST_BUDGET_MS;

  state.taskStarted = true;
  try {
    if (change.packageName !== undefined) {
      const outcome = await deps.core.applyImmediateChange({
        reseller,
        target: { customer },
        request: { kind: 'change', packageName: directory.packages[change.packageName], ips: [], ipGroups: [] },
        actor: 'directory',
        action: 'change_package',
        deadline,
        extraUpdate,
      });
      if (outcome.kind === 'rejected') return answer.unprocessable(res, outcome.errors);
    } else {
      // Tags and params only: confirm the account exists upstream, change no offerings.
      await deps.core.updateDirectoryDetails({ reseller, customer, update: extraUpdate, deadline });
    }
  } catch (error) {
    const failure = upstreamFailureAnswer(error);
    if (!failure) throw error;
    deps.logger.warn({ err: error, requestId: trace.requestId, directory: directory.id }, 'directory change failed upstream');
    return answer.failed(res, failure.status, failure.message, failure.outcome);
  }
  answer.changed(res, businessUid!);
}

function directoryErrors(deps: DirectoryDeps, authenticator: DirectoryAuthenticator) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    // A business uid that is not valid percent-encoding names no business: answered after the token check.
    if (isPathDecodeError(error)) return changePackage(deps, authenticator, req, res, undefined).catch(next);
    const state = enter(deps, res);
    const trace = traceOf(res);
    deps.logger.error({ err: error, requestId: trace.requestId, surface: 'directory' }, 'request failed');
    if (res.headersSent) return void res.destroy();
    answer.failed(res, 500, internalErrorMessage(trace.requestId, state.taskStarted), 'internal_error');
  };
}
