// Resolves the billing day of customers whose mapping names none: the day of month
// of the v3 account's `created_at`, found by paging the reseller's account list.
// Done once (at import) and stored; later changes of v3 data do not move it.
import type { Mappings, ResellerMapping } from '../config/mappings.js';
import type { Logger } from '../log.js';
import { billingDayFromCreatedAt } from '../rules/billing.js';
import type { Store } from '../store/store.js';
import type { V3Api } from '../v3/api.js';

const PAGE_SIZE = 100;

export async function resolveBillingDays(
  deps: { store: Store; mappings: Mappings; v3For(reseller: ResellerMapping): V3Api; logger: Logger },
  options: { deadlineMs?: number; reseller?: ResellerMapping } = {},
): Promise<number> {
  const deadlineMs = options.deadlineMs ?? 60_000;
  const missing = (await deps.store.listCustomers({ active: true })).filter((c) => c.billingDay === null);
  let resolved = 0;
  for (const reseller of options.reseller ? [options.reseller] : deps.mappings.resellers) {
    const wanted = new Map(missing.filter((c) => c.reseller === reseller.api_user).map((c) => [c.accountId, c]));
    if (wanted.size === 0) continue;
    const v3 = deps.v3For(reseller);
    const deadline = Date.now() + deadlineMs;
    let offset: string | undefined;
    for (;;) {
      const page = await v3.listAccounts({ limit: PAGE_SIZE, ...(offset ? { offset } : {}) }, { deadline });
      for (const account of page.accounts) {
        const customer = wanted.get(account.id);
        const day = customer && billingDayFromCreatedAt(account.created_at);
        if (customer && day) {
          await deps.store.setBillingDay(customer.id, day);
          wanted.delete(account.id);
          resolved++;
        }
      }
      const last = page.accounts.at(-1)?.id;
      if (wanted.size === 0 || page.accounts.length < PAGE_SIZE || !last || last === offset) break;
      offset = last;
    }
    for (const customer of wanted.values())
      deps.logger.warn({ reseller: reseller.api_user, accountId: customer.accountId }, 'account not found upstream: billing day unresolved');
  }
  return resolved;
}
