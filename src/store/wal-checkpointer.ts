// Keeps SQLite's WAL checkpoints off the event loop. Left to itself, SQLite checkpoints inside
// the COMMIT that grows the WAL past 1,000 pages: that commit, synchronous on the event loop,
// copies the WAL into the database file and fsyncs both (several ms, during which nothing else in
// the process runs). Here the main connection checkpoints only past a hard limit
// (`wal_autocheckpoint = hardLimitPages`), and a worker thread with its own connection on the
// file (wal-checkpoint-worker.ts) checkpoints every 100 ms, PASSIVE: without the write lock,
// commits go on meanwhile.
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
  /** The worker's thread ended: stopped by close, or after a failure. */
  onExit?: () => void;
  /** How long close waits for the worker's last checkpoint before terminating it, ms. */
  stopTimeoutMs?: number;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 100;
export const DEFAULT_HARD_LIMIT_PAGES = 4_000;
/** SQLite's default automatic checkpoint, used again once the worker is gone. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1_000;

/** The worker's file beside this module: .js in dist/, .ts when vitest runs the sources (Node strips the types). */
const defaultWorkerUrl = new URL(`./wal-checkpoint-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopping = false;
  private errored = false;
  private fellBack = false;

  constructor(
    private readonly db: DatabaseSync,
    path: string,
    private readonly options: WalCheckpointOptions = {},
  ) {
    db.exec(`PRAGMA wal_autocheckpoint = ${Math.trunc(options.hardLimitPages ?? DEFAULT_HARD_LIMIT_PAGES)}`);
    const workerData: CheckpointWorkerData = { path, intervalMs: options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS };
    this.worker = new Worker(options.workerUrl ?? defaultWorkerUrl, {
      workerData,
      // Nothing of the process's own flags (a preloaded --import, heap sizes): the worker is a few lines.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      stdout: false,
      stderr: false,
    });
    // The process's lifetime is not the worker's business; close() stops it.
    this.worker.unref();
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'report') this.options.onReport?.(message.report);
    });
    this.worker.on('error', (error) => {
      this.errored = true;
      this.fallBack();
      this.options.onError?.(error);
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        if (!this.stopping) {
          this.fallBack();
          if (!this.errored) this.options.onError?.(new Error(`the WAL checkpoint worker exited (code ${code})`));
        }
        this.options.onExit?.();
        resolve();
      });
    });
  }

  /** Whether the main connection checkpoints for itself (at SQLite's default) because the worker is gone. */
  get fallenBack(): boolean {
    return this.fellBack;
  }

  /** Stops the worker after a last checkpoint of its own; the main connection's close checkpoints the rest. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.worker.postMessage('stop');
    // A worker stuck (a checkpoint on a stalled disk) does not hold close up for ever: terminated,
    // its checkpoint loses nothing (the main connection's close checkpoints again).
    const stuck = setTimeout(() => void this.worker.terminate(), this.options.stopTimeoutMs ?? 5_000);
    try {
      await this.exited;
    } finally {
      clearTimeout(stuck);
    }
  }

  private fallBack(): void {
    if (this.fellBack || !this.db.isOpen) return;
    this.fellBack = true;
    this.db.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  }
}
