// Group commit (src/store/group-commit.ts): writes requested in one round of the event loop
// share one SQLite transaction, each in its own savepoint, and each caller hears back only
// after the COMMIT that holds its write.
import { describe, expect, it } from 'vitest';
import { GroupCommit, type QueuedWrite } from '../../src/store/group-commit.js';
import { openTemp, reopen, seed } from './helpers.js';

describe('GroupCommit', () => {
  it('hands the writes of one round to the runner as one batch, and later ones as another', async () => {
    const batches: string[][] = [];
    const commits = new GroupCommit<string>((batch: QueuedWrite<string>[]) => {
      batches.push(batch.map((entry) => entry.work));
      for (const entry of batch) entry.resolve(`${entry.work} committed`);
    });
    expect(await Promise.all(['a', 'b', 'c'].map((w) => commits.submit(w)))).toEqual(['a committed', 'b committed', 'c committed']);
    expect(await commits.submit('d')).toBe('d committed');
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('rejects every write of a batch whose runner throws', async () => {
    const commits = new GroupCommit<string>(() => {
      throw new Error('disk full');
    });
    const results = await Promise.allSettled([commits.submit('a'), commits.submit('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('SQLite group commit', () => {
  it('commits the good writes of a batch, rolls back and rejects only the failing one, and settles each after the COMMIT', async () => {
    const { store, path } = openTemp();
    const customers = await seed(store);
    const [first, second] = Object.values(customers);
    const other = reopen(path); // another connection: sees only what is committed
    const seenAtSettlement: (number | null | undefined)[] = [];
    const results = await Promise.allSettled([
      store.setBillingDay(first!.id, 7).then(async () => seenAtSettlement.push((await other.findCustomer({ id: first!.id }))?.billingDay)),
      store.setBillingDay(999_999, 9),
      store.setBillingDay(second!.id, 21),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/unknown customer 999999/);
    expect(seenAtSettlement).toEqual([7]);
    expect((await other.findCustomer({ id: second!.id }))?.billingDay).toBe(21);
  });

  it('commits what is queued before the store closes', async () => {
    const { store, path } = openTemp();
    const [customer] = Object.values(await seed(store));
    const written = store.setBillingDay(customer!.id, 12);
    await store.close();
    await written;
    expect((await reopen(path).findCustomer({ id: customer!.id }))?.billingDay).toBe(12);
  });
});
