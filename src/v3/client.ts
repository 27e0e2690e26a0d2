// The v3 upstream: one undici Pool to the v3 origin and one token bucket per v3
// key, shared by everything that calls v3 through it (the legacy edge and the
// scheduler use the same upstream, so together they respect each key's rate).
// `forKey` binds the nine operations of the Account Provisioning API to a key.
import { Pool } from './undici-pool.js';
import type { CallOptions, V3Api } from './api.js';
import { InvalidAnswer, jsonAnswer, runCall, type CallContext, type OperationSpec } from './call.js';
import { resolveOptions, type V3UpstreamOptions } from './options.js';
import { accountIdSchema, accountListSchema, catalogSchema, offeringListSchema, stateReadSchema } from './schemas.js';
import { TokenBucket } from './token-bucket.js';

export { V3_UPSTREAM_DEFAULTS, type AttemptReport, type V3UpstreamOptions } from './options.js';

export interface V3Upstream {
  /** The v3 API as seen with this key. Cheap: call it per request if that is handier. */
  forKey(apiKey: string): V3Api;
  /** Lets calls in flight finish, then closes every socket. */
  close(): Promise<void>;
}

export function createV3Upstream(options: V3UpstreamOptions): V3Upstream {
  const settings = resolveOptions(options);
  const base = parseBaseUrl(options.baseUrl);
  const pool = new Pool(base.origin, {
    connections: settings.connections,
    connect: { timeout: settings.connectTimeoutMs },
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: settings.bodyTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
  });
  const context: CallContext = { dispatcher: pool, pathPrefix: base.pathPrefix, settings };

  const buckets = new Map<string, TokenBucket>();
  const bucketFor = (apiKey: string): TokenBucket | undefined => {
    if (settings.ratePerSecond === Number.POSITIVE_INFINITY) return undefined;
    let bucket = buckets.get(apiKey);
    if (!bucket) {
      bucket = new TokenBucket({ ratePerSecond: settings.ratePerSecond, burst: settings.burst, now: settings.now });
      buckets.set(apiKey, bucket);
    }
    return bucket;
  };

  let closing: Promise<void> | undefined;
  return {
    forKey(apiKey) {
      assertUsableKey(apiKey);
      const bucket = bucketFor(apiKey);
      return bindOperations((spec, callOptions) => runCall(context, apiKey, bucket, spec, callOptions));
    },
    close() {
      closing ??= pool.close();
      return closing;
    },
  };
}

type Send = <T>(spec: OperationSpec<T>, options?: CallOptions) => Promise<T>;

const ACCOUNTS = '/v3/partners/accounts';

function bindOperations(send: Send): V3Api {
  const callOptions = (options?: CallOptions): CallOptions => ({ deadline: options?.deadline, signal: options?.signal, onUnanswered: options?.onUnanswered });
  return {
    listAccounts: async (query = {}, options) =>
      send(
        {
          operation: 'ListAccount',
          method: 'GET',
          path: ACCOUNTS + queryString({ offset: query.offset, limit: query.limit }),
          parse: jsonAnswer(accountListSchema),
        },
        callOptions(options),
      ),

    createAccount: async (body, options) =>
      send(
        {
          operation: 'CreateAccount',
          method: 'POST',
          path: ACCOUNTS,
          body,
          headers: options?.testAccount === undefined ? undefined : { 't-test-account': options.testAccount },
          parse: (answer) => ({ account_id: jsonAnswer(accountIdSchema)(answer).account_id }),
        },
        callOptions(options),
      ),

    deleteAccount: async (accountId, options) =>
      send(
        { operation: 'DeleteAccount', method: 'DELETE', path: accountPath(accountId), parse: () => undefined },
        callOptions(options),
      ),

    getOfferings: async (accountId, options) =>
      send(
        {
          operation: 'ListAccountOffering',
          method: 'GET',
          path: accountPath(accountId, '/offerings'),
          parse: (answer) => jsonAnswer(offeringListSchema)(answer).offerings,
        },
        callOptions(options),
      ),

    putOfferings: async (accountId, offerings, options) =>
      send(
        {
          operation: 'UpdateAccountOffering',
          method: 'PUT',
          path: accountPath(accountId, '/offerings'),
          body: { offerings },
          parse: (answer) => jsonAnswer(offeringListSchema)(answer).offerings,
        },
        callOptions(options),
      ),

    authenticateAccount: async (accountId, options) =>
      send(
        {
          operation: 'AuthenticateAccount',
          method: 'POST',
          path: accountPath(accountId, '/sso'),
          // v3 answers 303 to send a browser on; the bridge hands the Location back instead.
          isSuccess: (status) => status >= 300 && status < 400,
          parse: (answer) => ({ location: redirectTarget(answer.headers.location) }),
        },
        callOptions(options),
      ),

    getState: async (accountId, options) =>
      send(
        {
          operation: 'GetAccountState',
          method: 'GET',
          path: accountPath(accountId, '/state'),
          parse: (answer) => jsonAnswer(stateReadSchema)(answer).state,
        },
        callOptions(options),
      ),

    putState: async (accountId, state, options) =>
      send(
        {
          operation: 'UpdateAccountState',
          method: 'PUT',
          path: accountPath(accountId, '/state'),
          body: { state },
          parse: () => undefined,
        },
        callOptions(options),
      ),

    listCatalog: async (options) =>
      send(
        { operation: 'ListOffering', method: 'GET', path: '/v3/partners/offerings', parse: jsonAnswer(catalogSchema) },
        callOptions(options),
      ),
  };
}

export function accountPath(accountId: string, suffix = ''): string {
  if (accountId === '') throw new TypeError('v3 account id must not be empty');
  // Dots are encoded too, so an id like ".." can never be read as a path step.
  return `${ACCOUNTS}/${encodeURIComponent(accountId).replaceAll('.', '%2E')}${suffix}`;
}

function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function redirectTarget(location: string | string[] | undefined): string {
  const value = Array.isArray(location) ? location[0] : location;
  if (!value) throw new InvalidAnswer('a redirect without a Location');
  return value;
}

function parseBaseUrl(baseUrl: string): { origin: string; pathPrefix: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('v3 base URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('v3 base URL must be http or https');
  if (url.username || url.password || url.search || url.hash) {
    throw new TypeError('v3 base URL must not carry credentials, a query or a fragment');
  }
  return { origin: url.origin, pathPrefix: url.pathname.replace(/\/+$/, '') };
}

/** Header-safe and non-empty; checked here so undici never reports the header value itself. */
function assertUsableKey(apiKey: string): void {
  if (typeof apiKey !== 'string' || !/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new TypeError('v3 API key is empty or has characters not allowed in a header');
  }
}
