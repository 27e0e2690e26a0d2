// Leases run on real time, whatever instant a pass simulates (`run-scheduler --now 2099-01-01`):
// claimDue's `now` is the real time the lease runs from and expired leases are judged by; its
// `dueAt` only says which pending changes are due.
import { describe, expect, it } from 'vitest';
import { changeFor, legacyAudit, seed, STORES } from './helpers.js';

const MINUTE = 60_000;
const REAL = Date.parse('2024-03-15T00:00:00.000Z');
const IN_2099 = new Date('2099-01-01T00:00:00.000Z');

describe.each(STORES)('$name store', ({ open }) => {
  async function scheduledIn2030() {
    const { store } = await open();
    const { alice } = await seed(store);
    const { change } = await store.schedule(changeFor(alice!, { effectiveAt: '2030-06-01T00:00:00.000Z' }), legacyAudit());
    return { store, change };
  }

  it('claims what is due at the simulated instant, with a lease from the real time', async () => {
    const { store, change } = await scheduledIn2030();
    const [claimed] = await store.claimDue(new Date(REAL), 'cli', MINUTE, 10, IN_2099);
    expect(claimed).toMatchObject({ id: change.id, status: 'applying', leaseOwner: 'cli', leaseExpiresAt: '2024-03-15T00:01:00.000Z' });
    // Nothing is due at the real time yet: the simulated instant alone made it due.
    expect(await store.claimDue(new Date(REAL), 'bridge', MINUTE, 10)).toEqual([]);
  });

  it('leaves a lease that a pass at real time takes over once it ran out, not in 2099', async () => {
    const { store, change } = await scheduledIn2030();
    await store.claimDue(new Date(REAL), 'cli', MINUTE, 10, IN_2099);
    // The CLI pass was killed; a running bridge's pass at real time, a minute later:
    const [reclaimed] = await store.claimDue(new Date(REAL + MINUTE), 'bridge', MINUTE, 10);
    expect(reclaimed).toMatchObject({ id: change.id, leaseOwner: 'bridge', fence: 2, lastError: 'lease of cli expired at 2024-03-15T00:01:00.000Z' });
  });

  it('judges leases by the real time even when the pass simulates a later instant', async () => {
    const { store, change } = await scheduledIn2030();
    await store.claimDue(new Date(REAL), 'bridge', MINUTE, 10, new Date('2030-06-01T00:00:00.000Z'));
    // A second simulated pass half a minute later must not take the live lease.
    expect(await store.claimDue(new Date(REAL + MINUTE / 2), 'cli', MINUTE, 10, IN_2099)).toEqual([]);
    expect(await store.getChange(change.id)).toMatchObject({ leaseOwner: 'bridge', fence: 1 });
  });
});
