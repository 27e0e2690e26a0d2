// importCustomers in a handful of statements whatever the size of the mappings (each bridge
// instance imports them at start-up): read and lock every customer the import names, fold
// the entries over them in order exactly as the SQLite store applies them one by one, then
// write the result in one UPDATE, one inactivation and one INSERT.
import type { CustomerImport } from '../store.js';
import type { Db } from './connection.js';
import { customerQueries } from './queries.js';
import type { CustomerRow } from './rows.js';

/** A customer as the import leaves it; `id` is undefined until a new one is inserted. */
interface Draft {
  id: number | undefined;
  reseller: string;
  username: string | null;
  business_uid: string | null;
  account_id: string;
  billing_day: number | null;
}

const usernameKey = (reseller: string, username: string) => JSON.stringify([reseller, username]);

/** As the SQLite store words it ("customers 3 and 5"), where both exist already. */
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

function validate(customer: CustomerImport): void {
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

/** Runs inside the caller's transaction, which holds the import lock. */
export async function applyImport(db: Db, customers: CustomerImport[], now: string): Promise<void> {
  customers.forEach(validate);
  const named = customers.filter((c) => c.username !== undefined);
  // Locked, so a concurrent setBillingDay cannot be overwritten with what was read here.
  const { rows: found } = await db.query<CustomerRow>(customerQueries.namedByImport, [
    named.map((c) => c.reseller),
    named.map((c) => c.username),
    customers.flatMap((c) => (c.businessUid === undefined ? [] : [c.businessUid])),
  ]);

  const directory = new Directory();
  const existing: Draft[] = found.map(({ id, reseller, username, business_uid, account_id, billing_day }) => ({
    id,
    reseller,
    username,
    business_uid,
    account_id,
    billing_day,
  }));
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

  const reimported = existing.filter((draft) => touched.has(draft));
  if (reimported.length) await db.query(customerQueries.reimportAll, [JSON.stringify(reimported), now]);
  // Before the insert: what it adds is active, and is not in this list.
  await db.query(customerQueries.inactivateAllBut, [now, reimported.map((draft) => draft.id)]);
  if (added.length) await db.query(customerQueries.insertAll, [JSON.stringify(added), now]);
}
