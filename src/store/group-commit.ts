// Group commit: write transactions requested while the event loop is busy with one round of I/O
// are committed together, in one transaction, at the end of that round (setImmediate). Each
// caller's promise settles only after that COMMIT (or its failure), so an answer never claims a
// write that is not committed. A batch costs one BEGIN and one COMMIT, and every page the batch
// dirties (the audit table's last page, its indexes) reaches the WAL once instead of once per write.
// Under no concurrency a batch is one write, started a few microseconds later than before.

export interface QueuedWrite<W> {
  work: W;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Runs a whole batch; settles every entry (resolve or reject), each after the commit that holds it. */
export type BatchRunner<W> = (batch: QueuedWrite<W>[]) => Promise<void> | void;

export class GroupCommit<W> {
  private queue: QueuedWrite<W>[] = [];
  private scheduled = false;
  /** One batch at a time: a batch that waits (another process's lock) holds the next one back. */
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly runBatch: BatchRunner<W>) {}

  submit<T>(work: W): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.running = this.running.then(() => this.flush());
      });
    });
  }

  /** Commits what is queued now, without waiting for the end of the round, and waits for every batch (before closing). */
  async drain(): Promise<void> {
    if (this.queue.length) this.running = this.running.then(() => this.flush());
    await this.running;
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    try {
      await this.runBatch(batch);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
