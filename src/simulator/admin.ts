// Routes under /_simulator/ for a simulator running in its own process (tests,
// benchmarks): set faults, inspect accounts, writes and received requests, reset.
// They need no bearer key, see no faults, and exist only on the simulator.
import type { IncomingMessage } from 'node:http';
import { ZodError } from 'zod';
import { noSuchEndpointBody, specError } from './errors.js';
import type { FaultController } from './faults.js';
import { parseJsonBody, readBody } from './http.js';
import type { RequestLog } from './request-log.js';
import type { Reply } from './routes.js';
import type { AccountStore } from './state.js';

export const ADMIN_PREFIX = '/_simulator/';

export interface AdminDeps {
  store: AccountStore;
  faults: FaultController;
  log: RequestLog;
  reset: () => void;
  /** The absolute path of the state file, so another process can tell it shares this world. */
  stateFile: string | null;
  /** The account a one-time SSO token was issued for (the token is spent). */
  redeemSso: (token: string) => string | undefined;
}

const notFound = (): Reply => ({ status: 404, body: structuredClone(noSuchEndpointBody) });

export async function handleAdmin(req: IncomingMessage, pathname: string, deps: AdminDeps): Promise<Reply> {
  const parts = pathname.slice(ADMIN_PREFIX.length).split('/').map(safeDecode);
  const [resource, id, extra] = parts;
  if (extra !== undefined) return notFound();
  const route = `${req.method} ${resource}${id === undefined ? '' : '/:id'}`;

  switch (route) {
    case 'GET info':
      return { status: 200, body: { state_file: deps.stateFile } };
    case 'GET faults':
      return { status: 200, body: deps.faults.settings };
    case 'PUT faults':
      return setFaults(req, deps.faults);
    case 'DELETE faults':
      return { status: 200, body: deps.faults.clear() };
    case 'GET writes/:id':
      return { status: 200, body: deps.store.writes(id ?? '') };
    case 'GET accounts':
      return { status: 200, body: { accounts: deps.store.all() } };
    case 'GET accounts/:id': {
      const account = deps.store.get(id ?? '');
      return account ? { status: 200, body: account } : notFound();
    }
    case 'GET requests':
      return { status: 200, body: { requests: deps.log.all } };
    case 'DELETE requests':
      deps.log.clear();
      return { status: 204 };
    case 'POST reset':
      deps.reset();
      return { status: 204 };
    case 'GET sso/:id': {
      const accountId = deps.redeemSso(id ?? '');
      return accountId ? { status: 200, body: { signed_in: true, account_id: accountId } } : notFound();
    }
    default:
      return notFound();
  }
}

async function setFaults(req: IncomingMessage, faults: FaultController): Promise<Reply> {
  const read = await readBody(req);
  const parsed = read.ok ? parseJsonBody(read.text) : { kind: 'invalid' as const };
  if (parsed.kind !== 'json') return { status: 400, body: { errors: [specError('body must be a JSON object of fault settings', '')] } };
  try {
    return { status: 200, body: faults.set(parsed.value as Parameters<FaultController['set']>[0]) };
  } catch (e) {
    if (!(e instanceof ZodError)) throw e;
    return { status: 400, body: { errors: e.issues.map((i) => specError(i.message, i.path.join('.'))) } };
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
