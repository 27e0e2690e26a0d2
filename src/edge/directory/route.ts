// GET (and, as an extension, POST) /v1/partners/accounts/{business_uid}/change_package:
// the vcita directory-token "Account Manipulation" call over v3 (DESIGN.md §4).
import type { Request, Response } from 'express';
import type { DirectoryMapping } from '../../config/mappings.js';
import { digestsEqual, hashToken } from '../../core/credentials.js';
import { isV3Error, type PlannedV3Call } from '../../core/index.js';
import { dryRunPlan, wantsDryRun } from '../dry-run.js';
import { explainDirectoryChange } from '../explain/explain.js';
import type { EdgeDeps } from '../app.js';
import { announceDeprecation } from '../deprecation-headers.js';
import { dryRunBody, LegacyBadRequest, parseFormPairs, rawQueryOf, readLegacyBody, type BodyFields, type DryRunOutcome } from '../legacy/index.js';
import { parseDirectoryParams, tokenFromHeader } from './params.js';

const REQUEST_BUDGET_MS = 20_000;
const UNPROCESSABLE = 'Bad parameter(s), see content for more information.';

export function directoryHandler(deps: EdgeDeps) {
  const { mappings } = deps.config;

  const directoryFor = (token: string | undefined): DirectoryMapping | undefined => {
    if (token === undefined) return undefined;
    const digest = hashToken(token);
    let found: DirectoryMapping | undefined;
    for (const directory of mappings.directories) if (digestsEqual(directory.token_hmac, digest)) found = directory;
    return found;
  };

  return async (req: Request, res: Response) => {
    announceDeprecation(res, mappings.deprecation, 'directory', 'change_package');
    if (req.method !== 'GET' && req.method !== 'POST') return notFound(res);
    const directory = directoryFor(tokenFromHeader(req.get('authorization')));
    const businessUid = String(req.params.businessUid);
    const customer = directory && (await deps.core.findDirectoryBusiness(directory, businessUid));
    if (!directory || !customer) return accessDenied(res);
    const reseller = mappings.resellerByUser.get(directory.reseller)!;
    res.locals.reseller = directory.id;

    let body: BodyFields | undefined;
    try {
      body = await readLegacyBody(req);
    } catch (error) {
      if (!(error instanceof LegacyBadRequest)) throw error;
      return void res.status(error.status).json({ message: error.message });
    }
    const parsed = parseDirectoryParams(
      [...parseFormPairs(rawQueryOf(req.originalUrl)), ...(body ?? [])],
      Object.keys(directory.packages),
    );
    if (!parsed.ok) return unprocessable(res, parsed.errors);
    const { change } = parsed;
    const extraUpdate = {
      ...(change.tags ? { tags: change.tags } : {}),
      ...(change.subscriptionParams ? { subscriptionParams: change.subscriptionParams } : {}),
    };
    const deadline = Date.now() + REQUEST_BUDGET_MS;
    const dryRun = wantsDryRun(req);
    let plan: { outcome: DryRunOutcome; v3Writes: PlannedV3Call[] } = { outcome: 'update', v3Writes: [] };

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
          dryRun,
        });
        if (outcome.kind === 'rejected') return unprocessable(res, outcome.errors);
        plan = { outcome: outcome.kind === 'applied' ? 'change' : 'no_change', v3Writes: outcome.v3Calls };
      } else {
        // Tags and params only: confirm the account exists upstream, change no offerings.
        await deps.core.updateDirectoryDetails({ reseller, customer, update: extraUpdate, deadline, dryRun });
      }
    } catch (error) {
      if (!isV3Error(error)) throw error;
      deps.logger.warn({ err: error, directory: directory.id }, 'directory change failed upstream');
      return void res.status(error.gatewayStatus).json({
        message: `SendGrid v3 ${error.details.operation} failed (${error.status ?? error.kind}); nothing was changed, the request is safe to retry`,
      });
    }
    if (!dryRun) return void res.status(200).json({ business_id: businessUid });
    const explanation = explainDirectoryChange({ directory, customer: { name: businessUid, accountId: customer.accountId }, change, mappings });
    res.status(200).json(dryRunBody(dryRunPlan(explanation, plan.outcome, plan.v3Writes), { business_id: businessUid }));
  };
}

function accessDenied(res: Response): void {
  res.status(401).set('WWW-Authenticate', 'Token realm="Application"').type('text/plain; charset=utf-8').send('HTTP Token: Access denied.\n');
}

function unprocessable(res: Response, errors: string[]): void {
  res.status(422).json({ message: UNPROCESSABLE, errors });
}

function notFound(res: Response): void {
  res.status(404).json({ error: { code: 404, message: 'Not found' } });
}
