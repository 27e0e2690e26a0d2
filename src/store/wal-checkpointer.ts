// Keeps SQLite's WAL checkpoints off the event loop. Left to itself, SQLite checkpoints inside
// the COMMIT that grows the WAL past 1,000 pages: that commit, synchronous on the event loop,
// copies the WAL into the database file and fsyncs both (several ms, during which nothing else in
// the process runs). Here the main connection checkpoints only past a hard limit
// (`wal_autocheckpoint = hardLimitPages`), and a worker thread with its own connection on the
// file (wal-checkpoint-worker.ts) checkpoints every 100 ms, PASSIVE: without the write lock,
// commits go on meanwhile. The thread (about 13 MiB of RSS) runs only while the store is busy:
// started by the twentieth commit within a second, it ends itself after 30 s with nothing to
// copy, and the main connection is on SQLite's default meanwhile.
//
// Bounded whatever the worker does: the hard limit is SQLite's own automatic checkpoint, so a
// worker that stalls (a slow disk) leaves the WAL at most that large; a worker that fails to start,
// crashes or exits puts the main connection back on SQLite's default (1,000 pages) at once. A
// checkpoint only copies committed frames: a crash of the worker (or of the process) loses nothing,
// and durability is the main connection's (commits are in the WAL before their answer).
import { Worker } from 'node:worker_threads';
import type { DatabaseSync } from 'node:sqlite';
import type { CheckpointReport, CheckpointWorkerData, WorkerMessage } from './wal-checkpoint-worker.js';

export type { CheckpointReport } from './wal-checkpoint-worker.js';

export interface WalCheckpointOptions {
  /** Between two checkpoints of the worker, ms. */
  intervalMs?: number;
  /** WAL pages past which the main connection checkpoints at its commit, worker or not. */
  hardLimitPages?: number;
  /** The worker's module (tests start a worker that misbehaves). */
  workerUrl?: URL;
  /** Each checkpoint of the worker that copied frames (tests, metrics). */
  onReport?: (report: CheckpointReport) => void;
  /** The worker failed (to start, or later): the main connection checkpoints for itself from now on. */
  onError?: (error: unknown) => void;
  /** A worker thread started (tests). */
  onStart?: () => void;
  /** The worker's thread ended: stopped by close, idle, or after a failure. */
  onExit?: () => void;
  /** How long close waits for the worker's last checkpoint before terminating it, ms. */
  stopTimeoutMs?: number;
  /** Commits within a second that start the worker (1: at once, when the store opens). */
  startAfterCommits?: number;
  /** Checkpoints in a row with nothing to copy after which the worker ends itself. */
  idleTicks?: number;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 100;
export const DEFAULT_HARD_LIMIT_PAGES = 4_000;
/** Twenty commits within a second: a store serving requests or draining changes, not an idle bridge. */
export const DEFAULT_START_AFTER_COMMITS = 20;
/** Ended after 30 s (at 100 ms) with nothing to checkpoint. */
export const DEFAULT_IDLE_TICKS = 300;
/** SQLite's default automatic checkpoint, used again once the worker is gone. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1_000;

/** The worker's file beside this module: .js in dist/, .ts when vitest runs the sources (Node strips the types). */
const defaultWorkerUrl = new URL(`./wal-checkpoint-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class WalCheckpointer {
  /** idle: no worker (SQLite checkpoints at its default); running; failed: never again; closed. */
  private state: 'idle' | 'running' | 'failed' | 'closed' = 'idle';
  private worker: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private windowStart = 0;
  private commitsInWindow = 0;

  constructor(
    private readonly db: DatabaseSync,
    private readonly path: string,
    private readonly options: WalCheckpointOptions = {},
  ) {
    if ((options.startAfterCommits ?? DEFAULT_START_AFTER_COMMITS) <= 1) this.start();
  }

  /**
   * After each commit of the main connection: the worker starts once the store is busy (that many
   * commits within a second), so an idle bridge does not carry its thread.
   */
  committed(): void {
    if (this.state !== 'idle') return;
    const now = Date.now();
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.commitsInWindow = 0;
    }
    if (++this.commitsInWindow >= (this.options.startAfterCommits ?? DEFAULT_START_AFTER_COMMITS)) this.start();
  }

  /** Stops the worker after a last checkpoint of its own; the main connection's close checkpoints the rest. */
  async stop(): Promise<void> {
    const { worker } = this;
    this.state = 'closed';
    if (!worker) return;
    worker.postMessage('stop');
    // A worker stuck (a checkpoint on a stalled disk) does not hold close up for ever: terminated,
    // its checkpoint loses nothing (the main connection's close checkpoints again).
    const stuck = setTimeout(() => void worker.terminate(), this.options.stopTimeoutMs ?? 5_000);
    try {
      await this.exited;
    } finally {
      clearTimeout(stuck);
    }
  }

  private start(): void {
    this.state = 'running';
    this.autocheckpoint(this.options.hardLimitPages ?? DEFAULT_HARD_LIMIT_PAGES);
    const workerData: CheckpointWorkerData = {
      path: this.path,
      intervalMs: this.options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
      idleTicks: this.options.idleTicks ?? DEFAULT_IDLE_TICKS,
    };
    const worker = new Worker(this.options.workerUrl ?? defaultWorkerUrl, {
      workerData,
      // Nothing of the process's own flags (a preloaded --import, heap sizes): the worker is a few lines.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      stdout: false,
      stderr: false,
    });
    this.worker = worker;
    this.options.onStart?.();
    // The process's lifetime is not the worker's business; close() stops it.
    worker.unref();
    let failed = false;
    const fail = (error: unknown) => {
      failed = true;
      if (this.worker !== worker || this.state !== 'running') return;
      this.state = 'failed';
      this.autocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT);
      this.options.onError?.(error);
    };
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'report') this.options.onReport?.(message.report);
      // Idle for a while: it has ended its connection and exits; the next busy second starts another.
      if (message.kind === 'idle' && this.worker === worker && this.state === 'running') {
        this.state = 'idle';
        this.commitsInWindow = 0;
        this.autocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT);
      }
    });
    worker.on('error', fail);
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        if (!failed) fail(new Error(`the WAL checkpoint worker exited (code ${code})`));
        if (this.worker === worker) this.worker = undefined;
        this.options.onExit?.();
        resolve();
      });
    });
  }

  private autocheckpoint(pages: number): void {
    if (this.db.isOpen) this.db.exec(`PRAGMA wal_autocheckpoint = ${Math.trunc(pages)}`);
  }
}
