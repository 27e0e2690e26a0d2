// GET (and, as an extension, POST) /v1/partners/accounts/{business_uid}/change_package:
// the vcita directory-token "Account Manipulation" call over v3 (DESIGN.md §4).
import express, { type Request, type Response } from 'express';
import type { DirectoryMapping } from '../../config/mappings.js';
import { digestsEqual, hashToken } from '../../core/credentials.js';
import { isV3Error } from '../../v3/errors.js';
import type { EdgeDeps } from '../app.js';
import { parseDirectoryParams, tokenFromHeader } from './params.js';

const REQUEST_BUDGET_MS = 20_000;
const UNPROCESSABLE = 'Bad parameter(s), see content for more information.';

export function directoryHandler(deps: EdgeDeps) {
  const { mappings } = deps.config;
  const formBody = express.text({ type: 'application/x-www-form-urlencoded', limit: '64kb' });

  const directoryFor = (token: string | undefined): DirectoryMapping | undefined => {
    if (token === undefined) return undefined;
    const digest = hashToken(token);
    let found: DirectoryMapping | undefined;
    for (const directory of mappings.directories) if (digestsEqual(directory.token_hmac, digest)) found = directory;
    return found;
  };

  return async (req: Request, res: Response) => {
    if (req.method !== 'GET' && req.method !== 'POST') return notFound(res);
    const directory = directoryFor(tokenFromHeader(req.get('authorization')));
    const businessUid = String(req.params.businessUid);
    const customer = directory && (await deps.store.findCustomer({ businessUid }));
    if (!directory || !customer || !customer.active || customer.reseller !== directory.reseller) return accessDenied(res);
    const reseller = mappings.resellerByUser.get(directory.reseller)!;
    res.locals.reseller = directory.id;

    const body = req.method === 'POST' ? await readForm(req, res, formBody) : '';
    if (body === undefined) return unprocessable(res, ['the request body could not be read']);
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const parsed = parseDirectoryParams(
      [...new URLSearchParams(query), ...new URLSearchParams(body)],
      Object.keys(directory.packages),
    );
    if (!parsed.ok) return unprocessable(res, parsed.errors);
    const { change } = parsed;
    const extraUpdate = {
      ...(change.tags ? { tags: change.tags } : {}),
      ...(change.subscriptionParams ? { subscriptionParams: change.subscriptionParams } : {}),
    };
    const deadline = Date.now() + REQUEST_BUDGET_MS;

    try {
      if (change.packageName !== undefined) {
        const outcome = await deps.executor.applyImmediate({
          reseller,
          customer,
          request: { kind: 'change', packageName: directory.packages[change.packageName], ips: [], ipGroups: [] },
          actor: 'directory',
          action: 'change_package',
          deadline,
          extraUpdate,
        });
        if (outcome.kind === 'rejected') return unprocessable(res, outcome.errors);
      } else {
        // Tags and params only: confirm the account exists upstream, change no offerings.
        await deps.executor.readCurrent(deps.executor.v3(reseller), customer.accountId, deadline);
        await deps.store.updateCustomer(customer.id, extraUpdate, {
          actor: 'directory',
          action: 'change_package',
          customerId: customer.id,
          outcome: 'updated',
          detail: Object.keys(extraUpdate).join(', ') || 'no change',
        });
      }
    } catch (error) {
      if (!isV3Error(error)) throw error;
      deps.logger.warn({ err: error, directory: directory.id }, 'directory change failed upstream');
      return void res.status(error.gatewayStatus).json({
        message: `SendGrid v3 ${error.details.operation} failed (${error.status ?? error.kind}); nothing was changed, the request is safe to retry`,
      });
    }
    res.status(200).json({ business_id: businessUid });
  };
}

function readForm(req: Request, res: Response, parser: express.RequestHandler): Promise<string | undefined> {
  return new Promise((resolve) =>
    parser(req, res, (error?: unknown) => resolve(error ? undefined : typeof req.body === 'string' ? req.body : '')),
  );
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
