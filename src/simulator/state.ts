// The simulated accounts of every seeded reseller, and what was written to them.
// Each reseller sees only its own accounts; callers pass the authenticated reseller.
import { randomBytes } from 'node:crypto';
import type { SimulatorSeed } from '../config/mappings-schema.js';
import type { AccountState, Offering, Profile, WritableState } from '../v3/schemas.js';

export interface SimulatedAccount {
  id: string;
  /** The seeded reseller (`api_user`) that owns the account. */
  reseller: string;
  email?: string;
  created_at: string;
  state: AccountState;
  offerings: Offering[];
  profile?: Profile;
  /** Created with the `T-Test-Account` header. */
  test?: boolean;
}

export interface WriteCounts {
  offerings: number;
  state: number;
}

export function seedAccounts(seed: SimulatorSeed): SimulatedAccount[] {
  return seed.accounts.map((a) => ({
    id: a.id,
    reseller: a.reseller,
    ...(a.email ? { email: a.email } : {}),
    created_at: a.created_at,
    state: a.state,
    offerings: a.offerings.map(withQuantity),
  }));
}

/** v3 reports a quantity for every offering; a missing one means 1. */
export function withQuantity(o: Offering): Offering {
  return { name: o.name, type: o.type, quantity: o.quantity ?? 1 };
}

export function newAccountId(): string {
  return `sg${randomBytes(16).toString('hex')}`;
}

export class AccountStore {
  private readonly accounts = new Map<string, SimulatedAccount>();
  private readonly writeCounts = new Map<string, WriteCounts>();
  /** Ids in ascending order: the stable order that `offset` (the last id seen) pages through. */
  private sortedIds: string[] | undefined;

  constructor(
    initial: SimulatedAccount[],
    private readonly onChange?: (accounts: SimulatedAccount[]) => void,
  ) {
    this.load(initial);
  }

  /** Replaces every account (a reset, or state read from a file); write counts restart. */
  replaceAll(accounts: SimulatedAccount[]): void {
    this.load(accounts);
    this.writeCounts.clear();
    this.changed();
  }

  /** Accounts after `offset` in id order; an offset that no longer exists still pages correctly. */
  list(reseller: string, limit: number, offset?: string): SimulatedAccount[] {
    const page: SimulatedAccount[] = [];
    for (const id of this.ids()) {
      if (offset !== undefined && id <= offset) continue;
      const account = this.accounts.get(id);
      if (account?.reseller !== reseller) continue;
      page.push(structuredClone(account));
      if (page.length === limit) break;
    }
    return page;
  }

  /** The reseller's account, or undefined for an unknown one or another reseller's. */
  find(reseller: string, id: string): SimulatedAccount | undefined {
    const account = this.accounts.get(id);
    return account?.reseller === reseller ? structuredClone(account) : undefined;
  }

  /** Any reseller's account, for the simulator's own inspection routes. */
  get(id: string): SimulatedAccount | undefined {
    const account = this.accounts.get(id);
    return account ? structuredClone(account) : undefined;
  }

  create(account: Omit<SimulatedAccount, 'id'>): SimulatedAccount {
    let id = newAccountId();
    while (this.accounts.has(id)) id = newAccountId();
    const created = { id, ...structuredClone(account) };
    this.accounts.set(id, created);
    this.sortedIds = undefined;
    this.changed();
    return structuredClone(created);
  }

  delete(reseller: string, id: string): boolean {
    if (!this.find(reseller, id)) return false;
    this.accounts.delete(id);
    this.sortedIds = undefined;
    this.changed();
    return true;
  }

  setOfferings(reseller: string, id: string, offerings: Offering[]): Offering[] | undefined {
    const account = this.accounts.get(id);
    if (account?.reseller !== reseller) return undefined;
    account.offerings = offerings.map(withQuantity);
    this.counts(id).offerings++;
    this.changed();
    return structuredClone(account.offerings);
  }

  setState(reseller: string, id: string, state: WritableState): boolean {
    const account = this.accounts.get(id);
    if (account?.reseller !== reseller) return false;
    account.state = state;
    this.counts(id).state++;
    this.changed();
    return true;
  }

  writes(id: string): WriteCounts {
    return { ...(this.writeCounts.get(id) ?? { offerings: 0, state: 0 }) };
  }

  all(): SimulatedAccount[] {
    return this.ids().flatMap((id) => {
      const account = this.accounts.get(id);
      return account ? [structuredClone(account)] : [];
    });
  }

  private load(accounts: SimulatedAccount[]): void {
    this.accounts.clear();
    for (const a of accounts) this.accounts.set(a.id, structuredClone(a));
    this.sortedIds = undefined;
  }

  private ids(): string[] {
    this.sortedIds ??= [...this.accounts.keys()].sort();
    return this.sortedIds;
  }

  private counts(id: string): WriteCounts {
    let counts = this.writeCounts.get(id);
    if (!counts) this.writeCounts.set(id, (counts = { offerings: 0, state: 0 }));
    return counts;
  }

  private changed(): void {
    if (this.onChange) this.onChange(this.all());
  }
}
