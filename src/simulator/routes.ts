// The nine v3 operations against the account store. Each returns the status and
// body the spec declares; the server adds faults, auth and the wire format.
import type { IncomingHttpHeaders } from 'node:http';
import type { SimulatorSeed } from '../config/mappings-schema.js';
import { accountNotFoundBody, accountNotFoundField, type SpecError } from './errors.js';
import type { OperationId } from './operations.js';
import type { AccountStore } from './state.js';
import { checkLimit, checkOfferings, checkProfile, checkStateWrite, type CatalogIndex } from './validation.js';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface OperationContext {
  /** The authenticated reseller (`api_user`). */
  reseller: string;
  accountId?: string;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface OperationDeps {
  store: AccountStore;
  catalog: SimulatorSeed['catalog'];
  catalogIndex: CatalogIndex;
  now: () => Date;
  /** A one-time sign-in URL on the simulator for the account. */
  issueSso: (accountId: string) => string;
}

const badRequest = (errors: SpecError[]): Reply => ({ status: 400, body: { errors } });
const notFound = (): Reply => ({ status: 404, body: structuredClone(accountNotFoundBody) });

/** RFC 3339 to the second, like the spec's examples. */
const timestamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

type Handler = (ctx: OperationContext, deps: OperationDeps) => Reply;

const handlers: Record<OperationId, Handler> = {
  ListAccount({ reseller, query }, { store }) {
    const limit = checkLimit(query.get('limit'));
    if (!limit.ok) return badRequest(limit.errors);
    const offset = query.get('offset') || undefined;
    const page = store.list(reseller, limit.value, offset);
    const accounts = page.map((a) => ({ id: a.id, ...(a.email ? { email: a.email } : {}), created_at: a.created_at }));
    const last = page.at(-1)?.id;
    return { status: 200, body: { accounts, pages: last ? { last } : {} } };
  },

  CreateAccount({ reseller, body, headers }, { store, catalogIndex, now }) {
    const offerings = checkOfferings(body, catalogIndex);
    const profile = checkProfile((body as { profile?: unknown } | null)?.profile);
    const errors = [...(offerings.ok ? [] : offerings.errors), ...(profile.ok ? [] : profile.errors)];
    if (!offerings.ok || !profile.ok) return badRequest(errors);
    const created = store.create({
      reseller,
      ...(profile.value?.email ? { email: profile.value.email } : {}),
      created_at: timestamp(now()),
      state: 'activated',
      offerings: offerings.value,
      ...(profile.value ? { profile: profile.value } : {}),
      ...(headers['t-test-account'] ? { test: true } : {}),
    });
    return { status: 201, body: { account_id: created.id } };
  },

  DeleteAccount({ reseller, accountId = '' }, { store }) {
    return store.delete(reseller, accountId) ? { status: 204 } : notFound();
  },

  ListAccountOffering({ reseller, accountId = '' }, { store }) {
    const account = store.find(reseller, accountId);
    return account ? { status: 200, body: { offerings: account.offerings } } : notFound();
  },

  UpdateAccountOffering({ reseller, accountId = '', body }, { store, catalogIndex }) {
    const known = store.find(reseller, accountId) !== undefined;
    const offerings = checkOfferings(body, catalogIndex);
    if (!known || !offerings.ok) return badRequest([...(known ? [] : [accountNotFoundField]), ...(offerings.ok ? [] : offerings.errors)]);
    return { status: 200, body: { offerings: store.setOfferings(reseller, accountId, offerings.value) } };
  },

  AuthenticateAccount({ reseller, accountId = '' }, { store, issueSso }) {
    if (!store.find(reseller, accountId)) return notFound();
    return { status: 303, headers: { location: issueSso(accountId) } };
  },

  GetAccountState({ reseller, accountId = '' }, { store }) {
    const account = store.find(reseller, accountId);
    return account ? { status: 200, body: { state: account.state } } : notFound();
  },

  UpdateAccountState({ reseller, accountId = '', body }, { store }) {
    const known = store.find(reseller, accountId) !== undefined;
    const state = checkStateWrite(body);
    if (!known || !state.ok) return badRequest([...(known ? [] : [accountNotFoundField]), ...(state.ok ? [] : state.errors)]);
    store.setState(reseller, accountId, state.value);
    return { status: 204 };
  },

  ListOffering(_ctx, { catalog }) {
    return { status: 200, body: { catalog: structuredClone(catalog) } };
  },
};

export function runOperation(operation: OperationId, ctx: OperationContext, deps: OperationDeps): Reply {
  return handlers[operation](ctx, deps);
}

/** Operations whose request carries a JSON body (the others ignore any body sent). */
export const operationsWithBody: ReadonlySet<OperationId> = new Set(['CreateAccount', 'UpdateAccountOffering', 'UpdateAccountState']);
