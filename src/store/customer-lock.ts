// The customer's lock across processes on one SQLite file (the bridge and the operator CLI's
// scheduler pass, say): a row in customer_locks naming its holder, with an expiry in real time.
// Callers in one process first queue on an in-process mutex, so at most one of them polls the
// database per customer. The holder renews the row while it works and deletes it in `finally`;
// a waiter polls with a short jittered backoff (never blocking the event loop) and takes the
// row over once it expired, or at once when its holder's process is gone (all processes on one
// SQLite file run on one host: WAL needs shared memory, so a pid says whether it still lives).
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { KeyedMutex } from './keyed-mutex.js';
import { releaseCustomerLock, renewCustomerLock, takeCustomerLock } from './operations.js';
import type { Script } from './script.js';

export interface CustomerLockOptions {
  /** How long a lock row outlives its holder's last renewal; renewed every third of it. */
  ttlMs?: number;
  /** The longest pause between two attempts to take a lock another process holds. */
  maxPollMs?: number;
  /** Each time an attempt finds the lock held by another process (for tests and metrics). */
  onWait?: (customerId: number, holder: string) => void;
}

export const DEFAULT_LOCK_TTL_MS = 10_000;

/** `pid:nonce:n`: the pid says whether the holder still runs, the nonce which run of that pid it is. */
const processTag = `${process.pid}:${randomBytes(4).toString('hex')}`;

function holderIsGone(owner: string): boolean {
  const pid = Number(owner.split(':')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return !owner.startsWith(`${processTag}:`); // an earlier run under our pid
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists but is someone else's process.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class RowCustomerLock {
  private readonly mutex = new KeyedMutex<number>();
  private holds = 0;
  private readonly ttlMs: number;
  private readonly maxPollMs: number;

  constructor(
    private readonly write: <T>(script: () => Script<T>) => Promise<T>,
    private readonly options: CustomerLockOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
    this.maxPollMs = options.maxPollMs ?? 100;
  }

  run<T>(customerId: number, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(customerId, async () => {
      const owner = `${processTag}:${++this.holds}`;
      await this.acquire(customerId, owner);
      const renewal = setInterval(() => {
        this.write(() => renewCustomerLock(customerId, owner, this.expiry())).catch(() => undefined);
      }, this.ttlMs / 3);
      renewal.unref();
      try {
        return await fn();
      } finally {
        clearInterval(renewal);
        // If this fails the row expires on its own: `fn`'s outcome stands either way.
        await this.write(() => releaseCustomerLock(customerId, owner)).catch(() => undefined);
      }
    });
  }

  private async acquire(customerId: number, owner: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const holder = await this.write(() => takeCustomerLock(customerId, owner, new Date().toISOString(), this.expiry(), holderIsGone));
      if (holder === undefined) return;
      this.options.onWait?.(customerId, holder);
      // Full jitter over a doubling window: waiters of several processes do not poll in step.
      await delay(1 + Math.random() * Math.min(this.maxPollMs, 2 ** attempt));
    }
  }

  /** Real time, whatever clock the store stamps rows with: other processes read this expiry. */
  private expiry(): string {
    return new Date(Date.now() + this.ttlMs).toISOString();
  }
}
