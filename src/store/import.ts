// What importCustomers writes, decided in memory: the entries folded, in order, over the
// customers they name (read and locked by the caller's transaction), so the import is a handful
// of statements whatever the size of the mappings (each bridge instance imports at start-up).
import type { CustomerImport } from './store.js';

/** A customer as the import leaves it; `id` is undefined until a new one is inserted. */
export interface Draft {
  id: number | undefined;
  reseller: string;
  username: string | null;
  business_uid: string | null;
  account_id: string;
  billing_day: number | null;
}

export interface ImportPlan {
  /** Existing customers the import names, as it leaves them. */
  reimported: Draft[];
  /** New customers, in import order. */
  added: Draft[];
}

const usernameKey = (reseller: string, username: string) => JSON.stringify([reseller, username]);

function nameBoth(a: Draft, b: Draft): string {
  if (a.id !== undefined && b.id !== undefined) return `customers ${a.id} and ${b.id}`;
  const name = (draft: Draft) => (draft.id === undefined ? 'a customer this import adds' : `customer ${draft.id}`);
  return `${name(a)} and ${name(b)}`;
}

/** The customers by both identifiers, kept current as entries change them. */
class Directory {
  private readonly byUsername = new Map<string, Draft>();
  private readonly byUid = new Map<string, Draft>();

  add(draft: Draft): void {
    if (draft.username !== null) this.byUsername.set(usernameKey(draft.reseller, draft.username), draft);
    if (draft.business_uid !== null) this.byUid.set(draft.business_uid, draft);
  }

  remove(draft: Draft): void {
    if (draft.username !== null) this.byUsername.delete(usernameKey(draft.reseller, draft.username));
    if (draft.business_uid !== null) this.byUid.delete(draft.business_uid);
  }

  find(customer: CustomerImport): Draft | undefined {
    const { reseller, username, businessUid } = customer;
    const byUsername = username === undefined ? undefined : this.byUsername.get(usernameKey(reseller, username));
    const byUid = businessUid === undefined ? undefined : this.byUid.get(businessUid);
    if (byUsername && byUid && byUsername !== byUid) {
      throw new Error(
        `import names ${reseller}/${username} and business ${businessUid} together, but they are ${nameBoth(byUsername, byUid)}`,
      );
    }
    return byUsername ?? byUid;
  }
}

export function validateImport(customer: CustomerImport): void {
  const { reseller, username, businessUid, accountId, billingDay } = customer;
  if (username === undefined && businessUid === undefined) {
    throw new TypeError(`customer of ${reseller} (account ${accountId}) has neither a username nor a business uid`);
  }
  if (billingDay !== undefined && (!Number.isInteger(billingDay) || billingDay < 1 || billingDay > 31)) {
    throw new RangeError(`billing day of ${username ?? businessUid} must be 1-31, got ${billingDay}`);
  }
}

/**
 * An identifier the entry leaves out is kept (a legacy and a directory entry may each name one).
 * A billing day derived from the old account is dropped when the account changes, to be resolved again.
 */
function reimport(draft: Draft, customer: CustomerImport): void {
  draft.reseller = customer.reseller;
  draft.username = customer.username ?? draft.username;
  draft.business_uid = customer.businessUid ?? draft.business_uid;
  if (customer.billingDay !== undefined) draft.billing_day = customer.billingDay;
  else if (draft.account_id !== customer.accountId) draft.billing_day = null;
  draft.account_id = customer.accountId;
}

/** `found`: the stored customers the import names. */
export function planImport(customers: readonly CustomerImport[], found: readonly Draft[]): ImportPlan {
  const directory = new Directory();
  const existing = found.map((row) => ({ ...row }));
  existing.forEach((draft) => directory.add(draft));
  const touched = new Set<Draft>();
  const added: Draft[] = [];
  for (const customer of customers) {
    let draft = directory.find(customer);
    if (draft) {
      directory.remove(draft);
      reimport(draft, customer);
    } else {
      draft = {
        id: undefined,
        reseller: customer.reseller,
        username: customer.username ?? null,
        business_uid: customer.businessUid ?? null,
        account_id: customer.accountId,
        billing_day: customer.billingDay ?? null,
      };
      added.push(draft);
    }
    directory.add(draft);
    touched.add(draft);
  }
  return { reimported: existing.filter((draft) => touched.has(draft)), added };
}
