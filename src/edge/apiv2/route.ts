// /apiv2/:call — the legacy dispatcher. Precedence (DESIGN.md §3): unknown module or
// format → 404; authentication → 401; unknown or missing task → 404; parameters → 400.
import type { Request, Response } from 'express';
import type { EdgeDeps } from '../app.js';
import { announceDeprecation } from '../deprecation-headers.js';
import {
  errors,
  LegacyBadRequest,
  normaliseParams,
  notFound,
  rawQueryOf,
  readLegacyBody,
  render,
  unauthorized,
  type LegacyDocument,
  type LegacyFormat,
} from '../legacy/index.js';
import { wantsDryRun } from '../dry-run.js';
import { explainApiv2Task } from '../explain/explain.js';
import { accountTasks } from './account-tasks.js';
import type { Task } from './answer.js';
import { pendingTasks } from './pending-tasks.js';

const REQUEST_BUDGET_MS = 20_000;
const CALL = /^reseller\.(account|pending)(?:\.(json|xml))?$/;
const MODULES: Record<string, Readonly<Record<string, Task>>> = { account: accountTasks, pending: pendingTasks };

export function apiv2Handler(deps: EdgeDeps) {
  const { mappings } = deps.config;

  return async (req: Request, res: Response) => {
    announceDeprecation(res, mappings.deprecation, 'apiv2');
    const call = String(req.params.call);
    const match = CALL.exec(call);
    const format: LegacyFormat = (match?.[2] as LegacyFormat | undefined) ?? (call.endsWith('.xml') ? 'xml' : 'json');
    const send = (status: number, doc: LegacyDocument) => {
      const answer = render(doc, format);
      // setHeader, not res.set: Express would append a charset the legacy answers never had.
      res.status(status).setHeader('Content-Type', answer.contentType);
      res.end(answer.body);
    };
    if (!match || (req.method !== 'GET' && req.method !== 'POST')) return send(404, notFound());

    let params;
    try {
      params = normaliseParams(rawQueryOf(req.originalUrl), await readLegacyBody(req));
    } catch (error) {
      if (error instanceof LegacyBadRequest) return send(error.status, errors([error.message]));
      throw error;
    }
    announceDeprecation(res, mappings.deprecation, 'apiv2', params.get('task'));

    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
    const reseller = await deps.authenticator.authenticate({
      apiUser: params.get('api_user'),
      apiKey: params.get('api_key'),
      bearer: params.has('api_user') || params.has('api_key') ? undefined : bearer,
    });
    if (!reseller) return send(401, unauthorized());
    res.locals.reseller = reseller.api_user;

    const tasks = MODULES[match[1]!]!;
    const name = params.get('task') ?? '';
    const task = Object.hasOwn(tasks, name) ? tasks[name] : undefined; // not `constructor` & co.
    if (!task) return send(404, notFound());
    if (params.malformed.length)
      return send(reseller.errors_with_http_200 ? 200 : 400, errors(params.malformed.map((name) => `${name} must be a single value`)));

    const module = match[1] as 'account' | 'pending';
    const answer = await task({
      params,
      reseller,
      core: deps.core,
      deadline: Date.now() + REQUEST_BUDGET_MS,
      dryRun: wantsDryRun(req)
        ? { explanation: explainApiv2Task({ module, task: name, format, params, reseller, mappings: deps.config.mappings }) }
        : undefined,
    });
    if (answer.cause) deps.logger.warn({ err: answer.cause, reseller: reseller.api_user, call }, 'legacy task failed');
    send(answer.status >= 400 && reseller.errors_with_http_200 ? 200 : answer.status, answer.doc);
  };
}
