// An in-process async mutex per key: callers for one key run one at a time, in the
// order they asked (FIFO); different keys never wait for each other. A key's map entry
// lives only while someone holds or awaits it, so millions of customers leave nothing behind.
import { AsyncLocalStorage } from 'node:async_hooks';

interface Hold<K> {
  key: K;
  active: boolean;
}

export class LockReentryError extends Error {
  constructor(key: unknown) {
    super(`lock ${String(key)} is already held by this caller: waiting for it would never end`);
    this.name = 'LockReentryError';
  }
}

export class KeyedMutex<K> {
  /** Per key, a promise that settles when the last caller in the queue releases. */
  private readonly tails = new Map<K, Promise<void>>();
  /** The holds of the current async context, to turn a re-entrant call into an error instead of a deadlock. */
  private readonly holds = new AsyncLocalStorage<readonly Hold<K>[]>();

  async run<T>(key: K, fn: () => Promise<T>): Promise<T> {
    const heldHere = this.holds.getStore() ?? [];
    if (heldHere.some((hold) => hold.active && hold.key === key)) throw new LockReentryError(key);

    const previous = this.tails.get(key);
    let release!: () => void;
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Neither `previous` nor `turn` ever rejects, so one failing caller cannot break the queue.
    const tail = previous ? previous.then(() => turn) : turn;
    this.tails.set(key, tail);

    const hold: Hold<K> = { key, active: true };
    try {
      if (previous) await previous;
      return await this.holds.run([...heldHere, hold], fn);
    } finally {
      hold.active = false;
      release();
      // Only the last caller in the queue removes the entry; a later arrival replaced the tail otherwise.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys currently held or awaited (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
