// Use case: `reseller.pending list` — the reseller's pending, applying and failed changes.
// Reads the store only (no v3 call): `current` is the package when the change was scheduled.
import type { ResellerMapping } from '../config/mappings.js';
import type { ChangeType, PendingListing } from '../store/store.js';
import type { CoreDeps } from './deps.js';

export async function listPendingChanges(
  deps: CoreDeps,
  input: { reseller: ResellerMapping; username?: string | undefined; type?: ChangeType | undefined },
): Promise<PendingListing[]> {
  return deps.store.listPending(input.reseller.api_user, {
    ...(input.username ? { username: input.username } : {}),
    ...(input.type ? { type: input.type } : {}),
  });
}
