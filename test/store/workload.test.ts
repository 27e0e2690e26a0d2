// The store's health and metrics reads: ping, and the scheduler's workload (listed changes by
// status, the oldest due change), on both databases.
import { describe, expect, it } from 'vitest';
import { changeFor, legacyAudit, schedulerAudit, seed, STORES } from './helpers.js';

const MINUTE = 60_000;

describe.each(STORES)('$name store', ({ open }) => {
  it('ping answers', async () => {
    const { store } = await open();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('workload: listed changes by status and the oldest due one, history left out', async () => {
    const { store } = await open();
    const world = await seed(store);
    const at = (iso: string) => new Date(iso);
    expect(await store.workload(at('2024-03-15T00:00:00.000Z'))).toEqual({ listed: { pending: 0, applying: 0, failed: 0 }, oldestDueAt: undefined });

    const schedule = async (name: string, effectiveAt: string) =>
      (await store.schedule(changeFor(world[name]!, { effectiveAt }), legacyAudit())).change;
    await schedule('alice', '2024-03-12T00:00:00.000Z');
    await schedule('bob', '2024-03-13T00:00:00.000Z');
    await schedule('carol', '2024-03-20T00:00:00.000Z');
    expect(await store.workload(at('2024-03-11T00:00:00.000Z'))).toEqual({ listed: { pending: 3, applying: 0, failed: 0 }, oldestDueAt: undefined });
    expect(await store.workload(at('2024-03-15T00:00:00.000Z'))).toEqual({
      listed: { pending: 3, applying: 0, failed: 0 },
      oldestDueAt: at('2024-03-12T00:00:00.000Z'),
    });

    // alice fails for good, bob is retried on the 22nd: on the 21st only carol (the 20th) is due.
    const now = at('2024-03-15T00:00:00.000Z');
    const [alice, bob] = await store.claimDue(now, 'w', MINUTE, 2);
    expect(await store.workload(now)).toEqual({ listed: { pending: 1, applying: 2, failed: 0 }, oldestDueAt: undefined });
    await store.finishChange(alice!.id, alice!.fence, { status: 'failed', reason: 'gone' }, undefined, schedulerAudit(alice!.customerId, 'failed'));
    await store.finishChange(bob!.id, bob!.fence, { status: 'pending', error: '503', retryAt: '2024-03-22T00:00:00.000Z' }, undefined, schedulerAudit(bob!.customerId, 'retry'));
    expect(await store.workload(at('2024-03-21T00:00:00.000Z'))).toEqual({
      listed: { pending: 2, applying: 0, failed: 1 },
      oldestDueAt: at('2024-03-20T00:00:00.000Z'),
    });
    expect((await store.workload(at('2024-03-23T00:00:00.000Z'))).oldestDueAt).toEqual(at('2024-03-20T00:00:00.000Z'));

    // A cancelled (history) change is no longer counted.
    await store.cancelPending(world.carol!.id, legacyAudit());
    expect(await store.workload(at('2024-03-23T00:00:00.000Z'))).toEqual({
      listed: { pending: 1, applying: 0, failed: 1 },
      oldestDueAt: at('2024-03-22T00:00:00.000Z'),
    });
  });
});
