// SQLite only: another process on the same file never freezes this one, and the customer's
// lock holds across processes (the operator CLI's scheduler pass beside a running bridge).
// "Another process" is a second connection to the file, or a real child process
// (fixtures/lock-holder.mjs) where dying matters.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { startNode } from '../../harness/processes.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { onCleanup } from './cleanup.js';
import { openTemp, reopen, seed } from './helpers.js';

const holderScript = join(import.meta.dirname, 'fixtures/lock-holder.mjs');

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A second connection to the file holding its write lock until `release()`. */
function holdWriteLock(path: string) {
  const db = new DatabaseSync(path);
  db.exec('BEGIN IMMEDIATE');
  onCleanup(() => {
    if (db.isTransaction) db.exec('ROLLBACK');
    db.close();
  });
  return { release: () => db.exec('COMMIT') };
}

/** A child process holding a lock on the file (see fixtures/lock-holder.mjs). */
async function holderProcess(path: string, ...what: string[]) {
  const holder = startNode(holderScript, { args: [path, ...what], ipc: true, name: 'lock holder' });
  onCleanup(async () => {
    if (holder.running) holder.child.kill('SIGKILL');
    await holder.exited;
  });
  await holder.waitForOutput(/^held$/m);
  return holder;
}

/** The lock rows held now (a released row stays, expired, with its generation). */
function lockRows(path: string): { customer_id: number; owner: string }[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db
      .prepare('SELECT customer_id, owner FROM customer_locks WHERE expires_at > ? ORDER BY customer_id')
      .all(new Date().toISOString()) as { customer_id: number; owner: string }[];
  } finally {
    db.close();
  }
}

const note = (customerId: number) => ({ actor: 'operator' as const, action: 'note', customerId, outcome: 'noted' });

describe('SQLite writes while another process holds the write lock', () => {
  it('wait without blocking the event loop, and land once the lock is released', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    const holder = holdWriteLock(path);

    let settled = false;
    const write = store.appendAudit(note(alice!.id)).finally(() => (settled = true));
    // The process keeps running while the write waits: timers and I/O get their turns.
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    expect(settled).toBe(false);

    holder.release();
    await write;
    expect((await store.listAudit({ customerId: alice!.id })).map((a) => a.action)).toEqual(['note']);
  });

  it('read while a write transaction of another process is open (WAL)', async () => {
    const { store, path } = openTemp();
    await seed(store);
    holdWriteLock(path);
    expect(await store.listCustomers()).toHaveLength(5);
  });

  it('give up after busyTimeoutMs with an error that says so, having written nothing', async () => {
    const { store: first, path } = openTemp();
    const { alice } = await seed(first);
    const store = SqliteStore.open(path, { busyTimeoutMs: 50 });
    onCleanup(() => store.close());
    const holder = holdWriteLock(path);
    await expect(store.appendAudit(note(alice!.id))).rejects.toThrow(/stayed locked by another process for \d+ ms/);
    holder.release();
    expect(await store.listAudit()).toEqual([]);
  });

  it('do not freeze this process while a child process holds the lock', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    const holder = await holderProcess(path, 'write-lock');
    const write = store.appendAudit(note(alice!.id));
    // The child lets go only when asked, which needs this process's event loop.
    const released = holder.waitForOutput(/^released$/m);
    holder.child.send('release');
    await released;
    await write;
    expect(await store.listAudit({ customerId: alice!.id })).toHaveLength(1);
  });
});

describe('the customer lock across processes on one SQLite file', () => {
  it('keeps a second store out until the first lets go, and leaves no row behind', async () => {
    const { store: a, path } = openTemp();
    const { alice, bob } = await seed(a);
    const bWaits = deferred();
    const b = SqliteStore.open(path, { customerLock: { onWait: () => bWaits.resolve() } });
    onCleanup(() => b.close());

    const release = deferred();
    onCleanup(release.resolve);
    const aHolds = deferred();
    const holding = a.withCustomerLock(alice!.id, async () => {
      aHolds.resolve();
      await release.promise;
    });
    await aHolds.promise;

    let bEntered = false;
    const bRun = b.withCustomerLock(alice!.id, async () => {
      bEntered = true;
    });
    await Promise.race([bWaits.promise, bRun]);
    expect(bEntered).toBe(false);
    // Another customer is not held up.
    expect(await b.withCustomerLock(bob!.id, async () => 'bob')).toBe('bob');

    release.resolve();
    await holding;
    await bRun;
    expect(bEntered).toBe(true);
    expect(lockRows(path)).toEqual([]);
  });

  it('is released when the work fails', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    await expect(store.withCustomerLock(alice!.id, async () => Promise.reject(new Error('upstream down')))).rejects.toThrow('upstream down');
    expect(lockRows(path)).toEqual([]);
  });

  for (const lazy of [false, true])
    it(`waits for a live holder process, and takes the lock once it is released (${lazy ? 'lazy' : 'eager'} hold)`, async () => {
      const { store, path } = openTemp();
      const { alice } = await seed(store);
      const holder = await holderProcess(path, 'customer-lock', String(alice!.id));
      const waiting = deferred();
      const waiter = SqliteStore.open(path, { customerLock: { onWait: () => waiting.resolve() } });
      onCleanup(() => waiter.close());

      let runs = 0;
      const run = waiter.withCustomerLock(
        alice!.id,
        async () => {
          runs++;
          await waiter.appendAudit(note(alice!.id));
        },
        { lazy },
      );
      await waiting.promise;
      expect(runs).toBe(0);
      holder.child.send('release');
      await run;
      expect(runs).toBe(1);
    });

  it('takes over at once the lock of a holder process that died, however long its row was to last', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    const holder = await holderProcess(path, 'customer-lock', String(alice!.id));
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(lockRows(path)).toEqual([{ customer_id: alice!.id, owner: `${holder.pid}:holder:1` }]);
    expect(await store.withCustomerLock(alice!.id, async () => 'taken')).toBe('taken');
    expect(lockRows(path)).toEqual([]);
  });

  it('takes over an expired lock of a live holder', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    // A live process (this one's parent) whose row expired a minute ago: it stopped renewing.
    const db = new DatabaseSync(path);
    db.prepare('INSERT INTO customer_locks (customer_id, owner, expires_at) VALUES (?, ?, ?)').run(
      alice!.id,
      `${process.ppid}:stalled:1`,
      new Date(Date.now() - 60_000).toISOString(),
    );
    db.close();
    expect(await store.withCustomerLock(alice!.id, async () => 'taken')).toBe('taken');
  });
});


describe('a lazy customer hold (the lock row taken by the first write)', () => {
  it('takes no lock row before its first write, holds it from that write on, and expires it at the end', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    const seen: { customer_id: number; owner: string }[][] = [];
    await store.withCustomerLock(
      alice!.id,
      async () => {
        seen.push(lockRows(path));
        await store.appendAudit(note(alice!.id));
        seen.push(lockRows(path));
        await store.appendAudit(note(alice!.id));
      },
      { lazy: true },
    );
    expect(seen[0]).toEqual([]);
    expect(seen[1]).toEqual([{ customer_id: alice!.id, owner: expect.stringMatching(new RegExp(`^${process.pid}:`)) }]);
    expect(lockRows(path)).toEqual([]);
    expect(await store.listAudit({ customerId: alice!.id })).toHaveLength(2);
  });

  it('writes nothing at all, not even a lock row, when its work only reads (a refused or rejected change)', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    expect(await store.withCustomerLock(alice!.id, async () => (await store.listAudit({ customerId: alice!.id })).length, { lazy: true })).toBe(0);
    await expect(store.withCustomerLock(alice!.id, async () => Promise.reject(new Error('rejected')), { lazy: true })).rejects.toThrow('rejected');
    const db = new DatabaseSync(path, { readOnly: true });
    expect({ ...db.prepare('SELECT count(*) AS rows FROM customer_locks').get() }).toEqual({ rows: 0 });
    db.close();
  });

  it('writes nothing and runs again under the lock when another process held the customer since it started', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    const other = reopen(path);
    let runs = 0;
    const rowsAtStart: { customer_id: number; owner: string }[][] = [];
    await store.withCustomerLock(
      alice!.id,
      async () => {
        runs++;
        rowsAtStart.push(lockRows(path));
        // Another process takes and lets go of the customer between this run's start and its first write.
        if (runs === 1) await other.withCustomerLock(alice!.id, () => other.appendAudit({ ...note(alice!.id), action: 'other' }));
        await store.appendAudit(note(alice!.id));
      },
      { lazy: true },
    );
    expect(runs).toBe(2);
    // The second run holds the row before it starts (an eager hold).
    expect(rowsAtStart[1]).toEqual([{ customer_id: alice!.id, owner: expect.stringMatching(new RegExp(`^${process.pid}:`)) }]);
    expect((await store.listAudit({ customerId: alice!.id })).map((a) => a.action)).toEqual(['other', 'note']);
    expect(lockRows(path)).toEqual([]);
  });

  it('keeps the writes of one process in order: a second lazy hold of the customer starts after the first let go', async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    const order: string[] = [];
    const hold = (name: string) =>
      store.withCustomerLock(
        alice!.id,
        async () => {
          order.push(`${name} starts`);
          await store.appendAudit({ ...note(alice!.id), action: name });
          order.push(`${name} ends`);
        },
        { lazy: true },
      );
    await Promise.all([hold('first'), hold('second')]);
    expect(order).toEqual(['first starts', 'first ends', 'second starts', 'second ends']);
    expect(lockRows(path)).toEqual([]);
  });
});

describe("a hold's last write (endsHold)", () => {
  const record = (customerId: number) => ({ actor: 'legacy' as const, action: 'immediate_upgrade', customerId, outcome: 'applied' });

  for (const lazy of [true, false])
    it(`releases the lock row in its own transaction (${lazy ? 'lazy' : 'eager'} hold), and nothing may be written after it`, async () => {
      const { store, path } = openTemp();
      const { alice } = await seed(store);
      let afterRecord: { customer_id: number; owner: string }[] | undefined;
      await expect(
        store.withCustomerLock(
          alice!.id,
          async () => {
            await store.appendAudit(note(alice!.id));
            expect(lockRows(path)).toHaveLength(1);
            await store.recordImmediateChange(alice!.id, {}, record(alice!.id));
            afterRecord = lockRows(path);
            await store.appendAudit(note(alice!.id));
          },
          { lazy },
        ),
      ).rejects.toThrow(/a write after the hold's last write/);
      expect(afterRecord).toEqual([]);
      expect((await store.listAudit({ customerId: alice!.id })).map((a) => a.action)).toEqual(['note', 'immediate_upgrade']);
    });

  it("takes and releases the row in one transaction when it is a lazy hold's only write", async () => {
    const { store, path } = openTemp();
    const { alice } = await seed(store);
    const other = reopen(path);
    let runs = 0;
    await store.withCustomerLock(
      alice!.id,
      async () => {
        runs++;
        expect(lockRows(path)).toEqual(runs === 1 ? [] : [{ customer_id: alice!.id, owner: expect.any(String) }]);
        await store.recordImmediateChange(alice!.id, {}, record(alice!.id));
      },
      { lazy: true },
    );
    expect(runs).toBe(1);
    expect(lockRows(path)).toEqual([]);
    // The take counted a generation: a lazy hold of another process that started before it writes nothing and runs again.
    const db = new DatabaseSync(path, { readOnly: true });
    expect({ ...db.prepare('SELECT generation FROM customer_locks WHERE customer_id = ?').get(alice!.id) }).toEqual({ generation: 1 });
    db.close();
    let otherRuns = 0;
    await other.withCustomerLock(
      alice!.id,
      async () => {
        otherRuns++;
        if (otherRuns === 1) await store.withCustomerLock(alice!.id, () => store.recordImmediateChange(alice!.id, {}, record(alice!.id)), { lazy: true });
        await other.appendAudit(note(alice!.id));
      },
      { lazy: true },
    );
    expect(otherRuns).toBe(2);
  });
});
