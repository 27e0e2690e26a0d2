// `audit`: the history of what the bridge did, by customer or by scheduled change.
import type { Mappings } from '../../config/mappings.js';
import type { AuditRecord, CustomerRecord } from '../../store/store.js';
import type { Offering } from '../../v3/schemas.js';
import { readOnlyConfig, customerName, withStore } from '../context.js';
import { CliError, writeJson, type CliIo } from '../io.js';
import { renderTable } from '../table.js';

export interface AuditOptions {
  /** A username or a business uid. */
  customer?: string;
  reseller?: string;
  change?: number;
  json?: boolean;
}

export async function auditCommand(io: CliIo, options: AuditOptions): Promise<void> {
  const config = readOnlyConfig(io);
  const { records, customers } = await withStore(config, async (store) => {
    const customers = await store.listCustomers();
    const wanted = customers.filter(
      (c) =>
        (options.customer === undefined || c.username === options.customer || c.businessUid === options.customer) &&
        (options.reseller === undefined || c.reseller === options.reseller),
    );
    const named = options.customer !== undefined || options.reseller !== undefined;
    if (named && wanted.length === 0)
      throw new CliError(`no customer ${[options.customer, options.reseller && `of ${options.reseller}`].filter(Boolean).join(' ')} in the store`);
    // A username is unique per reseller only: every match is shown, with its reseller.
    const perCustomer = named
      ? await Promise.all(wanted.map((c) => store.listAudit({ customerId: c.id, ...changeFilter(options) })))
      : [await store.listAudit(changeFilter(options))];
    return { records: perCustomer.flat().sort((a, b) => a.id - b.id), customers };
  });
  if (options.json) return writeJson(io, records);
  if (records.length === 0) {
    io.stdout.write('No audit records.\n');
    return;
  }
  const byId = new Map<number, CustomerRecord>(customers.map((c) => [c.id, c]));
  io.stdout.write(
    renderTable(
      ['ID', 'AT', 'RESELLER', 'CUSTOMER', 'CHANGE', 'ACTOR', 'ACTION', 'OUTCOME', 'PACKAGE', 'DETAIL'],
      records.map((r) => {
        const customer = byId.get(r.customerId);
        return [
          r.id,
          r.at,
          customer?.reseller,
          customer ? customerName(customer) : `#${r.customerId}`,
          r.changeId,
          r.actor,
          r.action,
          r.outcome,
          packageMove(r, config.mappings),
          r.detail,
        ];
      }),
    ),
  );
}

const changeFilter = (options: AuditOptions) => (options.change === undefined ? {} : { changeId: options.change });

/** `Silver Package → Basic Package` from the offerings recorded before and after, named as the mappings name them. */
function packageMove(record: AuditRecord, mappings: Mappings): string | undefined {
  const name = (offerings: Offering[] | undefined) => {
    const pkg = offerings?.find((o) => o.type === 'package');
    return pkg && (mappings.packageByOffering.get(pkg.name)?.name ?? pkg.name);
  };
  const before = name(record.offeringsBefore);
  const after = name(record.offeringsAfter);
  if (before === undefined && after === undefined) return undefined;
  return after === undefined || after === before ? before : `${before ?? '?'} → ${after}`;
}
