// The nine operations of the v3 Account Provisioning API, by the spec's operationId,
// and the matching of a concrete method + path to one of them.

export const operationIds = [
  'ListAccount',
  'CreateAccount',
  'DeleteAccount',
  'ListAccountOffering',
  'UpdateAccountOffering',
  'AuthenticateAccount',
  'GetAccountState',
  'UpdateAccountState',
  'ListOffering',
] as const;
export type OperationId = (typeof operationIds)[number];

export interface MatchedOperation {
  operation: OperationId;
  /** The `{accountID}` path segment, decoded; absent for the collection operations. */
  accountId?: string;
}

const accounts = /^\/v3\/partners\/accounts$/;
const account = /^\/v3\/partners\/accounts\/([^/]+)$/;
const accountSub = /^\/v3\/partners\/accounts\/([^/]+)\/(offerings|sso|state)$/;
const catalog = /^\/v3\/partners\/offerings$/;

const byMethod: Record<string, Partial<Record<string, OperationId>>> = {
  accounts: { GET: 'ListAccount', POST: 'CreateAccount' },
  account: { DELETE: 'DeleteAccount' },
  offerings: { GET: 'ListAccountOffering', PUT: 'UpdateAccountOffering' },
  sso: { POST: 'AuthenticateAccount' },
  state: { GET: 'GetAccountState', PUT: 'UpdateAccountState' },
  catalog: { GET: 'ListOffering' },
};

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The operation a request addresses, or undefined (the caller answers 404). */
export function matchOperation(method: string, pathname: string): MatchedOperation | undefined {
  if (accounts.test(pathname)) return only(byMethod.accounts?.[method]);
  if (catalog.test(pathname)) return only(byMethod.catalog?.[method]);
  const sub = accountSub.exec(pathname) ?? account.exec(pathname);
  if (!sub?.[1]) return undefined;
  const accountId = decodeSegment(sub[1]);
  const operation = byMethod[sub[2] ?? 'account']?.[method];
  if (accountId === undefined || operation === undefined) return undefined;
  return { operation, accountId };
}

function only(operation: OperationId | undefined): MatchedOperation | undefined {
  return operation ? { operation } : undefined;
}
