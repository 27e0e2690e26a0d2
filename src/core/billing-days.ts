// Resolves the billing day of customers whose mapping names none: the day of month
// of the v3 account's `created_at`, found by paging the reseller's account list.
// Done once (at import) and stored; later changes of v3 data do not move it.
import type { ResellerMapping } from '../config/mappings.js';
import { billingDayFromCreatedAt } from '../rules/billing.js';
import type { CoreDeps } from './deps.js';

const PAGE_SIZE = 100;
/** The start-up lookup's budget per reseller: paging a large account list takes a while. */
export const START_UP_BUDGET_MS = 60_000;

type BillingDayDeps = Pick<CoreDeps, 'store' | 'mappings' | 'v3For' | 'logger'>;

/** Stores the billing day of every active customer that has none (of one reseller, or all). */
export async function resolveBillingDays(
  deps: BillingDayDeps,
  /** `deadline`: absolute ms shared by every page (a request's own); else START_UP_BUDGET_MS per reseller. */
  options: { deadline?: number; reseller?: ResellerMapping } = {},
): Promise<number> {
  // Only those still missing one: at start-up with 10,000 customers, reading them all was ~8 MiB of garbage.
  const missing = (await deps.store.listCustomers({ active: true, withoutBillingDay: true })).filter((c) => c.billingDay === null);
  let resolved = 0;
  for (const reseller of options.reseller ? [options.reseller] : deps.mappings.resellers) {
    const mine = missing.filter((c) => c.reseller === reseller.api_user);
    if (mine.length === 0) continue;
    const deadline = options.deadline ?? Date.now() + START_UP_BUDGET_MS;
    const days = await findBillingDays(deps, reseller, mine.map((c) => c.accountId), deadline);
    for (const customer of mine) {
      const day = days.get(customer.accountId);
      if (day === undefined) continue;
      await deps.store.setBillingDay(customer.id, day);
      resolved++;
    }
  }
  return resolved;
}

/** The billing days v3's account list gives for `accountIds` (read only: a dry run uses it as is). */
export async function findBillingDays(
  deps: Pick<BillingDayDeps, 'v3For' | 'logger'>,
  reseller: ResellerMapping,
  accountIds: readonly string[],
  deadline: number,
): Promise<Map<string, number>> {
  const wanted = new Set(accountIds);
  const found = new Map<string, number>();
  const v3 = deps.v3For(reseller);
  let offset: string | undefined;
  for (;;) {
    const page = await v3.listAccounts({ limit: PAGE_SIZE, ...(offset ? { offset } : {}) }, { deadline });
    for (const account of page.accounts) {
      const day = wanted.has(account.id) ? billingDayFromCreatedAt(account.created_at) : undefined;
      if (day) {
        found.set(account.id, day);
        wanted.delete(account.id);
      }
    }
    const last = page.accounts.at(-1)?.id;
    if (wanted.size === 0 || page.accounts.length < PAGE_SIZE || !last || last === offset) break;
    offset = last;
  }
  for (const accountId of wanted)
    deps.logger.warn({ reseller: reseller.api_user, accountId }, 'account not found upstream: billing day unresolved');
  return found;
}
