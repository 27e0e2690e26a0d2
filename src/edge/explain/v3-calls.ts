// The v3 calls a legacy task is made of, described as data (the operation ids of the official
// v3 description). Explain prints them; a dry run answers them.
import type { Offering } from '../../core/index.js';

export type V3Operation = 'GetAccountState' | 'ListAccountOffering' | 'UpdateAccountOffering' | 'ListOffering';

export interface V3Call {
  operation: V3Operation;
  method: 'GET' | 'PUT';
  /** The path under the v3 base URL, account id encoded as the bridge's client encodes it. */
  path: string;
  /** The JSON body of a write. */
  body?: { offerings: Offering[] };
}

const ACCOUNTS = '/v3/partners/accounts';

export function v3Call(operation: 'ListOffering'): V3Call;
export function v3Call(operation: 'GetAccountState' | 'ListAccountOffering', accountId: string): V3Call;
export function v3Call(operation: 'UpdateAccountOffering', accountId: string, body: { offerings: Offering[] }): V3Call;
export function v3Call(operation: V3Operation, accountId = '', body?: { offerings: Offering[] }): V3Call {
  const account = `${ACCOUNTS}/${encodeURIComponent(accountId).replaceAll('.', '%2E')}`;
  switch (operation) {
    case 'GetAccountState':
      return { operation, method: 'GET', path: `${account}/state` };
    case 'ListAccountOffering':
      return { operation, method: 'GET', path: `${account}/offerings` };
    case 'UpdateAccountOffering':
      return { operation, method: 'PUT', path: `${account}/offerings`, body: body! };
    case 'ListOffering':
      return { operation, method: 'GET', path: '/v3/partners/offerings' };
  }
}
