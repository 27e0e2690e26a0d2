// The nine operations of the v3 Account Provisioning API, as the bridge uses them.
// One `V3Api` is bound to one reseller's key; see client.ts for the undici implementation.
import type { Account, AccountList, AccountState, Catalog, Offering, Profile, WritableState } from './schemas.js';

export interface CallOptions {
  /** Absolute time (ms since epoch) after which no attempt or retry may run. */
  deadline?: number;
  signal?: AbortSignal;
  /**
   * A write only: called after each attempt that was sent and not answered (it may land later).
   * The bridge keeps other writes of the account back until such an attempt can no longer land.
   */
  onUnanswered?: () => void;
}

export interface V3Api {
  listAccounts(query?: { offset?: string; limit?: number }, opts?: CallOptions): Promise<AccountList>;
  createAccount(
    body: { profile?: Profile; offerings: Offering[] },
    opts?: CallOptions & { testAccount?: string },
  ): Promise<{ account_id: string }>;
  deleteAccount(accountId: string, opts?: CallOptions): Promise<void>;
  getOfferings(accountId: string, opts?: CallOptions): Promise<Offering[]>;
  putOfferings(accountId: string, offerings: Offering[], opts?: CallOptions): Promise<Offering[]>;
  /** SSO answers 303; the client returns the `Location` without following it. */
  authenticateAccount(accountId: string, opts?: CallOptions): Promise<{ location: string }>;
  getState(accountId: string, opts?: CallOptions): Promise<AccountState>;
  putState(accountId: string, state: WritableState, opts?: CallOptions): Promise<void>;
  listCatalog(opts?: CallOptions): Promise<Catalog>;
}

export type { Account };
