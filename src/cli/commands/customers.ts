// `customers`: what the store knows of each customer, including the directory
// endpoint's tags and subscription params (v3 has no place for them).
import { readOnlyConfig, withStore } from '../context.js';
import { writeJson, type CliIo } from '../io.js';
import { list, renderTable } from '../table.js';

export interface CustomersOptions {
  reseller?: string;
  json?: boolean;
}

export async function customersCommand(io: CliIo, options: CustomersOptions): Promise<void> {
  const config = readOnlyConfig(io);
  const customers = await withStore(config, (store) =>
    store.listCustomers(options.reseller === undefined ? {} : { reseller: options.reseller }),
  );
  if (options.json) return writeJson(io, customers);
  if (customers.length === 0) {
    io.stdout.write(`No customers${options.reseller ? ` for ${options.reseller}` : ''}.\n`);
    return;
  }
  io.stdout.write(
    renderTable(
      ['RESELLER', 'USERNAME', 'BUSINESS UID', 'ACCOUNT ID', 'BILLING DAY', 'IPS', 'IP GROUPS', 'TAGS', 'PARAMS', 'ACTIVE'],
      customers.map((c) => [
        c.reseller,
        c.username,
        c.businessUid,
        c.accountId,
        c.billingDay,
        list(c.ips),
        list(c.ipGroups),
        list(c.tags),
        list(c.subscriptionParams.map(([key, value]) => `${key}=${value}`)),
        // Customers that left the mappings are kept for history and never changed again.
        c.active ? 'yes' : 'no',
      ]),
    ),
  );
}
