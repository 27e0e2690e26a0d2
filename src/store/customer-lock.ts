// The customer's lock across processes on one SQLite file (the bridge and the operator CLI's
// scheduler pass, say): a row in customer_locks naming its holder, with an expiry in real time
// and a generation that every take counts up. Callers in one process first queue on an
// in-process mutex, so at most one of them polls the database per customer. The holder renews
// the row while it works and expires it in `finally`; a waiter polls with a short jittered
// backoff (never blocking the event loop) and takes the row over once it expired, or at once when
// its holder's process is gone (all processes on one SQLite file run on one host: WAL needs
// shared memory, so a pid says whether it still lives).
//
// A hold is taken eagerly (its own transaction before `fn` runs) or, when the caller asks for it,
// lazily: `fn` starts after one read of the row, and the hold's first write takes the row in its
// own transaction, only if the row is still free at the generation read. If it is, no other
// process held the customer between that read and this write, so everything `fn` read meanwhile
// (the store, v3) is as good as read under the lock; if not, the write changes nothing and `fn` is
// run again under an eager hold. A lazy hold saves a transaction on the request's path; `fn` must
// write nothing (in the store or upstream) before its first store write, which is what the
// immediate change does (reads, then the write intent before the PUT).
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { isoInstant } from '../rules/instant.js';
import { KeyedMutex } from './keyed-mutex.js';
import { customerLockState, releaseCustomerLock, renewCustomerLock, takeCustomerLock, takeCustomerLockAt } from './operations.js';
import type { Script, WriteOptions } from './script.js';
import { LockTakenMeanwhile, type CustomerLockHold } from './store.js';

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

interface Hold {
  customerId: number;
  owner: string;
  /** Lazy and not yet taken: the generation the row was free at (0: no row). */
  freeAt: number | undefined;
  /** The lazy hold's first write, while it is on its way: later writes of the hold wait for it. */
  taking: Promise<unknown> | undefined;
  /** The lazy hold's first write found the row taken: the hold writes nothing more. */
  lost: boolean;
  /** Its last write (`endsHold`) committed, releasing the row: a later write would not be covered. */
  ended: boolean;
  renewal: NodeJS.Timeout | undefined;
}

export interface LockDriver {
  /** One write transaction (the driver's group commit, without passing through the lock again). */
  write<T>(script: () => Script<T>): Promise<T>;
  read<T>(script: () => Script<T>): Promise<T>;
}

export class RowCustomerLock {
  private readonly mutex = new KeyedMutex<number>();
  private readonly current = new AsyncLocalStorage<Hold>();
  private holds = 0;
  private readonly ttlMs: number;
  private readonly maxPollMs: number;

  constructor(
    private readonly driver: LockDriver,
    private readonly options: CustomerLockOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
    this.maxPollMs = options.maxPollMs ?? 100;
  }

  run<T>(customerId: number, fn: () => Promise<T>, options: CustomerLockHold = {}): Promise<T> {
    return this.mutex.run(customerId, async () => {
      if (options.lazy) {
        const hold = await this.lazyHold(customerId);
        if (hold) {
          try {
            return await this.current.run(hold, fn);
          } catch (error) {
            if (!(error instanceof LockTakenMeanwhile) || hold.freeAt === undefined) throw error;
          } finally {
            await this.release(hold);
          }
        }
      }
      const hold = this.newHold(customerId, undefined);
      await this.acquire(hold);
      try {
        return await this.current.run(hold, fn);
      } finally {
        await this.release(hold);
      }
    });
  }

  /**
   * Every write of the store passes here: the first write of a lazy hold takes the row in the
   * same transaction, or throws LockTakenMeanwhile having written nothing; the hold's last write
   * (`endsHold`) releases it in the same transaction.
   */
  write<T>(script: () => Script<T>, options: WriteOptions = {}): Promise<T> {
    const hold = this.current.getStore();
    if (!hold) return this.driver.write(script);
    if (hold.lost) return Promise.reject(new LockTakenMeanwhile(hold.customerId));
    if (hold.ended) return Promise.reject(new Error(`customer ${hold.customerId}: a write after the hold's last write (endsHold)`));
    if (hold.taking && hold.freeAt !== undefined) return hold.taking.then(() => this.write(script, options));
    const { customerId, owner, freeAt } = hold;
    const take = freeAt !== undefined;
    const ends = options.endsHold === true && (take || hold.renewal !== undefined);
    const expiresAt = take ? this.expiry() : '';
    const written = this.driver.write(function* () {
      if (take && !(yield* takeCustomerLockAt(customerId, owner, freeAt, isoInstant(Date.now()), expiresAt))) throw new LockTakenMeanwhile(customerId);
      const result = yield* script();
      if (ends) yield* releaseCustomerLock(customerId, owner);
      return result;
    });
    if (!take && !ends) return written;
    const settled = written.then(
      () => {
        hold.freeAt = undefined;
        hold.ended = ends;
        if (ends) this.stopRenewal(hold);
        else if (take) this.startRenewal(hold);
      },
      () => {
        // Nothing was written: a failed take leaves the hold lost, a failed release leaves the row to `release`.
        if (take) hold.lost = true;
      },
    );
    if (take) hold.taking = settled;
    return written;
  }

  private newHold(customerId: number, freeAt: number | undefined): Hold {
    return { customerId, owner: `${processTag}:${++this.holds}`, freeAt, taking: undefined, lost: false, ended: false, renewal: undefined };
  }

  /** A lazy hold when the row is free now (expired or never taken), else undefined (take it eagerly). */
  private async lazyHold(customerId: number): Promise<Hold | undefined> {
    const row = await this.driver.read(() => customerLockState(customerId));
    if (row && Date.parse(row.expiresAt) > Date.now()) return undefined;
    return this.newHold(customerId, row?.generation ?? 0);
  }

  private async acquire(hold: Hold): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const holder = await this.driver.write(() =>
        takeCustomerLock(hold.customerId, hold.owner, isoInstant(Date.now()), this.expiry(), holderIsGone),
      );
      if (holder === undefined) return this.startRenewal(hold);
      this.options.onWait?.(hold.customerId, holder);
      // Full jitter over a doubling window: waiters of several processes do not poll in step.
      await delay(1 + Math.random() * Math.min(this.maxPollMs, 2 ** attempt));
    }
  }

  private startRenewal(hold: Hold): void {
    hold.renewal = setInterval(() => {
      this.driver.write(() => renewCustomerLock(hold.customerId, hold.owner, this.expiry())).catch(() => undefined);
    }, this.ttlMs / 3);
    hold.renewal.unref();
  }

  private stopRenewal(hold: Hold): void {
    clearInterval(hold.renewal);
    hold.renewal = undefined;
  }

  /**
   * Expires the row if the hold took it and no write released it. If this fails the row expires
   * on its own: `fn`'s outcome stands either way.
   */
  private async release(hold: Hold): Promise<void> {
    await hold.taking;
    if (!hold.renewal) return;
    this.stopRenewal(hold);
    await this.driver.write(() => releaseCustomerLock(hold.customerId, hold.owner)).catch(() => undefined);
  }

  /** Real time, whatever clock the store stamps rows with: other processes read this expiry. */
  private expiry(): string {
    return isoInstant(Date.now() + this.ttlMs);
  }
}
