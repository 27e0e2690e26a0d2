// The caller ledger's writer: every legacy request is folded into an in-memory batch on the
// request's path (a map update, no I/O), and the batch is written to the store off that path,
// in one transaction, every `flushMs`. A write the store refuses goes back into the next batch,
// so counts stay exact; a crash loses at most the batch not yet written (README).
import type { Logger } from '../log.js';
import { CallerCap, countRequest, mergeBatches, usageKeyOf, type UsageBatch, type UsageObservation } from '../rules/usage.js';
import { LEDGER_DAYS_KEPT } from '../store/ledger.js';
import type { Store } from '../store/store.js';

/** The store operations the writer needs. */
export type UsageStore = Pick<Store, 'recordUsage' | 'usageCallers' | 'pruneUsageDays'>;

export interface UsageLedgerOptions {
  store: UsageStore;
  /** Names the mappings know (resellers and directories): never capped. */
  knownCallers: ReadonlySet<string>;
  now: () => Date;
  logger: Logger;
  /** How often the batch is written; the ledger is at most this (plus one write) behind. */
  flushMs?: number;
}

export const DEFAULT_LEDGER_FLUSH_MS = 500;

export class UsageLedger {
  private batch: UsageBatch = new Map();
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly cap: CallerCap;
  /** The UTC day whose pruning is done: daily counts older than LEDGER_DAYS_KEPT go once a day. */
  private prunedOn: string | undefined;

  constructor(private readonly options: UsageLedgerOptions) {
    this.cap = new CallerCap(options.knownCallers);
  }

  async start(): Promise<void> {
    try {
      this.cap.seed(await this.options.store.usageCallers());
    } catch (error) {
      this.options.logger.warn({ err: error }, 'caller ledger: earlier callers not read; the cap on unknown callers starts empty');
    }
    this.timer = setInterval(() => void this.tick(), this.options.flushMs ?? DEFAULT_LEDGER_FLUSH_MS);
    this.timer.unref();
    await this.tick();
  }

  private async tick(): Promise<void> {
    await this.flush().catch(() => undefined);
    const today = this.options.now().toISOString().slice(0, 10);
    if (this.prunedOn === today) return;
    this.prunedOn = today;
    const before = new Date(Date.parse(today) - LEDGER_DAYS_KEPT * 86_400_000).toISOString().slice(0, 10);
    await this.options.store.pruneUsageDays(before).catch((error: unknown) => {
      this.prunedOn = undefined;
      this.options.logger.warn({ err: error }, 'caller ledger: old daily counts not pruned; retried on the next write');
    });
  }

  /** On the request's path: no I/O, never throws. */
  observe(observation: UsageObservation): void {
    const key = usageKeyOf(observation, this.cap.nameOf(observation));
    if (key) countRequest(this.batch, key, observation.status, this.options.now());
  }

  /** Requests observed and not yet written. */
  get unwritten(): number {
    let n = 0;
    for (const entry of this.batch.values()) n += entry.count;
    return n;
  }

  /** Writes what has been observed so far (after any write in flight). Rejects if the store refused it. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
    if (!this.batch.size) return;
    const batch = this.batch;
    this.batch = new Map();
    this.writing = this.options.store
      .recordUsage([...batch.values()])
      .catch((error: unknown) => {
        mergeBatches(this.batch, batch); // nothing of it was written: it goes with the next batch
        this.options.logger.warn({ err: error, requests: [...batch.values()].reduce((n, e) => n + e.count, 0) }, 'caller ledger write failed; retried with the next batch');
        throw error;
      })
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }

  /** Stops the timer and writes the rest (before the store closes). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => undefined);
  }
}
