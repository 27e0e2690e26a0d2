// `pending`: the scheduled changes an operator watches, failed ones with their reason, and the
// offerings writes whose outcome is still being confirmed (README "Uncertain writes").
import type { ChangeStatus, PendingChange, WriteIntent } from '../../store/store.js';
import { cliConfig, withStore } from '../context.js';
import { writeJson, type CliIo } from '../io.js';
import { instant, renderTable } from '../table.js';

export interface PendingOptions {
  status: ChangeStatus[];
  reseller?: string;
  json?: boolean;
}

export async function pendingCommand(io: CliIo, options: PendingOptions): Promise<void> {
  const config = cliConfig(io);
  const { changes, unsettled } = await withStore(config, async (store) => {
    const all = await store.listChanges({ statuses: options.status });
    const writes = await Promise.all(
      (await store.listIntents({ unsettled: true })).map(async (intent) => ({ intent, customer: await store.findCustomer({ id: intent.customerId }) })),
    );
    return {
      changes: options.reseller === undefined ? all : all.filter((c) => c.reseller === options.reseller),
      unsettled: writes.filter((w) => options.reseller === undefined || w.customer?.reseller === options.reseller),
    };
  });
  if (options.json) return writeJson(io, changes);
  if (unsettled.length) writeUnsettled(io, unsettled);
  if (changes.length === 0) {
    io.stdout.write(`No scheduled changes with status ${options.status.join(', ')}${options.reseller ? ` for ${options.reseller}` : ''}.\n`);
    return;
  }
  io.stdout.write(
    renderTable(
      ['ID', 'RESELLER', 'USERNAME', 'TYPE', 'CHANGE', 'EFFECTIVE', 'STATUS', 'ATTEMPTS', 'LAST ERROR'],
      changes.map((c) => [
        c.id,
        c.reseller,
        c.username,
        c.type,
        `${c.currentPackage || '?'} → ${c.targetPackage}`,
        instant(c.effectiveAt),
        statusOf(c),
        c.attempts,
        c.lastError,
      ]),
    ),
  );
}

/** A pending change waiting out a transient failure says until when. */
const statusOf = (c: PendingChange): string =>
  c.status === 'pending' && c.retryAt ? `pending (retry ${instant(c.retryAt)})` : c.status;

/** Writes v3 may or may not have applied: no other write of their customer runs until each is settled. */
function writeUnsettled(io: CliIo, writes: { intent: WriteIntent; customer: { reseller: string; username: string | null; businessUid: string | null } | undefined }[]): void {
  io.stdout.write('Offerings writes being confirmed (their customers wait until each is settled):\n');
  io.stdout.write(
    renderTable(
      ['INTENT', 'RESELLER', 'CUSTOMER', 'ACTION', 'CHANGE', 'STATUS', 'SETTLED AFTER', 'OPENED BY'],
      writes.map(({ intent, customer }) => [
        intent.id,
        customer?.reseller ?? '?',
        customer?.username ?? customer?.businessUid ?? String(intent.customerId),
        intent.action,
        intent.changeId === null ? '' : `change ${intent.changeId}`,
        intent.status,
        instant(intent.settleAfter),
        intent.owner,
      ]),
    ),
  );
  io.stdout.write('\n');
}
