// /apiv2/:call — the legacy dispatcher, as its own router with its own error rendering: whatever
// fails while a request is handled is answered in the legacy shape and format the client asked
// for, under the reseller's status rule.
//
// The pipeline (DESIGN.md §3 precedence): resolve module and format (unknown → 404) → read the
// parameters (body problems → 400/413) → authenticate (→ 401) → the injected stages → find the
// task (unknown → 404) → refuse malformed parameters (→ 400) → run the task → render.
// Injected stages run in order between authentication and the task: each sees the authenticated
// request, may set headers, and may answer in the task's place (a brownout refusing a task, for
// instance) by returning a TaskAnswer; returning undefined lets the request go on.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Mappings, ResellerMapping } from '../../config/mappings.js';
import type { Core } from '../../core/index.js';
import type { Logger } from '../../log.js';
import type { LegacyAuthenticator } from '../auth.js';
import { announceDeprecation } from '../deprecation-headers.js';
import { wantsDryRun } from '../dry-run.js';
import { explainApiv2Task } from '../explain/explain.js';
import { formatOfPath, internalErrorMessage, isPathDecodeError } from '../legacy-format.js';
import { sentStatus, statusModeOf, type LegacyStatusMode } from '../legacy-statuses.js';
import {
  errors,
  LegacyBadRequest,
  normaliseParams,
  notFound,
  rawQueryOf,
  readLegacyBody,
  render,
  unauthorized,
  type LegacyFormat,
  type LegacyParams,
} from '../legacy/index.js';
import { traceOf, type RequestTrace } from '../request-context.js';
import { outcomeOfStatus } from '../request-summary.js';
import { accountTasks } from './account-tasks.js';
import type { Task, TaskAnswer } from './answer.js';
import { pendingTasks } from './pending-tasks.js';

const REQUEST_BUDGET_MS = 20_000;
const CALL = /^reseller\.(account|pending)(?:\.(json|xml))?$/;
const MODULES: Record<string, Readonly<Record<string, Task>>> = { account: accountTasks, pending: pendingTasks };
const BUSY = 'Too many logins are being checked right now; retry in a moment';

/** What an injected stage sees of an authenticated request. */
export interface Apiv2Request {
  req: Request;
  res: Response;
  reseller: ResellerMapping;
  module: 'account' | 'pending';
  /** The task asked for when it exists in the module, else undefined (answered 404 after the stages). */
  task: string | undefined;
  format: LegacyFormat;
  params: LegacyParams;
  trace: RequestTrace;
}

export type Apiv2Stage = (request: Apiv2Request) => Promise<TaskAnswer | undefined> | TaskAnswer | undefined;

export interface Apiv2Deps {
  /** For the deprecation signals. */
  mappings: Mappings;
  /** BRIDGE_LEGACY_STATUSES: the status rule before authentication and for resellers without their own. */
  statuses: LegacyStatusMode;
  /** The use cases the tasks call (apiv2/*-tasks.ts are this surface's only calls into core). */
  core: Core;
  authenticator: LegacyAuthenticator;
  logger: Logger;
  stages?: readonly Apiv2Stage[];
}

/** Per request: who is known so far, and whether the task has started (after which a write may land). */
interface Apiv2State {
  format: LegacyFormat;
  reseller: ResellerMapping | undefined;
  taskStarted: boolean;
}

/** Mounted at `/apiv2`. */
export function apiv2Router(deps: Apiv2Deps): Router {
  const router = express.Router();
  router.all('/:call', (req, res) => dispatch(deps, req, res));
  router.use(apiv2Errors(deps));
  return router;
}

/**
 * Marks the request as this surface's, and announces the surface's deprecation before anything is
 * written (the task's, once known, replaces it); also reached by a call Express could not decode.
 */
function enter(deps: Apiv2Deps, req: Request, res: Response): Apiv2State {
  const existing = res.locals.apiv2 as Apiv2State | undefined;
  if (existing) return existing;
  announceDeprecation(res, deps.mappings.deprecation, 'apiv2');
  const trace = traceOf(res);
  trace.surface = 'apiv2';
  trace.route = '/apiv2/:call';
  const state: Apiv2State = { format: formatOfPath(req.originalUrl.split('?', 1)[0]!), reseller: undefined, taskStarted: false };
  res.locals.apiv2 = state;
  trace.format = state.format;
  return state;
}

async function dispatch(deps: Apiv2Deps, req: Request, res: Response): Promise<void> {
  const state = enter(deps, req, res);
  const trace = traceOf(res);
  const match = CALL.exec(String(req.params.call));
  if (!match || (req.method !== 'GET' && req.method !== 'POST')) return send(deps, res, { status: 404, doc: notFound() });
  const module = match[1] as 'account' | 'pending';
  trace.module = module;

  let params: LegacyParams;
  try {
    params = normaliseParams(rawQueryOf(req.originalUrl), await readLegacyBody(req));
  } catch (error) {
    if (error instanceof LegacyBadRequest) return send(deps, res, { status: error.status, doc: errors([error.message]) });
    throw error;
  }
  announceDeprecation(res, deps.mappings.deprecation, 'apiv2', params.get('task'));

  const tasks = MODULES[module]!;
  const name = params.get('task') ?? '';
  const task = Object.hasOwn(tasks, name) ? tasks[name] : undefined; // not `constructor` & co.
  const apiUser = params.get('api_user');
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
  const auth = await deps.authenticator.check({
    apiUser,
    apiKey: params.get('api_key'),
    bearer: params.has('api_user') || params.has('api_key') ? undefined : bearer,
    client: req.socket.remoteAddress,
  });
  trace.authStyle = auth.style;
  if (!auth.ok) {
    trace.authFailure = auth.reason;
    trace.caller = auth.style === 'password' ? apiUser : undefined;
    if (auth.reason === 'busy') return send(deps, res, { status: 503, doc: errors([BUSY]), outcome: 'refused' });
    return send(deps, res, { status: 401, doc: unauthorized() });
  }
  const { reseller } = auth;
  state.reseller = reseller;
  trace.authenticated = true;
  trace.caller = reseller.api_user;
  trace.task = task ? name : undefined;

  for (const stage of deps.stages ?? []) {
    const answer = await stage({ req, res, reseller, module, task: trace.task, format: state.format, params, trace });
    if (answer) return send(deps, res, answer);
  }

  if (!task) return send(deps, res, { status: 404, doc: notFound() });
  if (params.malformed.length)
    return send(deps, res, { status: 400, doc: errors(params.malformed.map((param) => `${param} must be a single value`)) });

  state.taskStarted = true;
  const answer = await task({
    params,
    reseller,
    core: deps.core,
    deadline: Date.now() + REQUEST_BUDGET_MS,
    requestId: trace.requestId,
    dryRun: wantsDryRun(req)
      ? { explanation: explainApiv2Task({ module, task: name, format: state.format, params, reseller, mappings: deps.mappings }) }
      : undefined,
  });
  if (answer.cause) deps.logger.warn({ err: answer.cause, requestId: trace.requestId, reseller: reseller.api_user }, 'legacy task failed');
  send(deps, res, answer);
}

/** Renders an answer in the request's format, with the status the reseller's rule sends it with. */
function send(deps: Apiv2Deps, res: Response, answer: TaskAnswer): void {
  const state = res.locals.apiv2 as Apiv2State;
  traceOf(res).outcome = answer.outcome ?? outcomeOfStatus(answer.status);
  const rendered = render(answer.doc, state.format);
  // setHeader, not res.set: Express would append a charset the legacy answers never had.
  const status = sentStatus(statusModeOf(state.reseller, deps.statuses), answer.status);
  res.status(status).setHeader('Content-Type', rendered.contentType);
  if (answer.retryAfterSeconds !== undefined && status >= 400) res.setHeader('Retry-After', String(answer.retryAfterSeconds));
  res.end(rendered.body);
}

function apiv2Errors(deps: Apiv2Deps) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const state = enter(deps, req, res);
    const trace = traceOf(res);
    if (isPathDecodeError(error)) {
      // No module or format can be read from an undecodable call: the dispatcher's "unknown module".
      deps.logger.info({ requestId: trace.requestId, path: req.path }, 'undecodable apiv2 path');
      return send(deps, res, { status: 404, doc: notFound() });
    }
    deps.logger.error({ err: error, requestId: trace.requestId, surface: 'apiv2', task: trace.task }, 'request failed');
    if (res.headersSent) return void res.destroy();
    send(deps, res, { status: 500, doc: errors([internalErrorMessage(trace.requestId, state.taskStarted)]) });
  };
}
