// `pending`: the scheduled changes an operator watches, failed ones with their reason.
import type { ChangeStatus, PendingChange } from '../../store/store.js';
import { readOnlyConfig, withStore } from '../context.js';
import { writeJson, type CliIo } from '../io.js';
import { instant, renderTable } from '../table.js';

export interface PendingOptions {
  status: ChangeStatus[];
  reseller?: string;
  json?: boolean;
}

export async function pendingCommand(io: CliIo, options: PendingOptions): Promise<void> {
  const config = readOnlyConfig(io);
  const changes = await withStore(config, async (store) => {
    const all = await store.listChanges({ statuses: options.status });
    return options.reseller === undefined ? all : all.filter((c) => c.reseller === options.reseller);
  });
  if (options.json) return writeJson(io, changes);
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
