// Keeps the fsyncs of SQLite's WAL checkpoints off the event loop, without a thread of our own.
// Left to itself, SQLite checkpoints inside the COMMIT that grows the WAL past 1,000 pages: that
// commit, synchronous on the event loop, fsyncs the WAL, copies it into the database file and
// fsyncs that too (several ms, during which nothing else in the process runs). Here the main
// connection checkpoints only past a hard limit (`wal_autocheckpoint = hardLimitPages`), and every
// 100 ms, while the store is busy, one checkpoint runs in five steps:
//
//   1. a guard connection opens a read transaction: while it lasts, no checkpoint copies a frame
//      past its snapshot and no commit restarts the WAL over the frames it holds;
//   2. the WAL is flushed (fdatasync, in libuv's thread pool): every frame of that snapshot is on
//      disk before any of it is copied (what SQLite's own checkpoint does first);
//   3. a copier connection with synchronous = OFF runs `PRAGMA wal_checkpoint(PASSIVE)` on the
//      event loop: page copies into the database file's page cache, no fsync, no write lock
//      (commits go on meanwhile);
//   4. the database file is flushed (fdatasync, in the thread pool);
//   5. the guard's read ends: only now may a commit restart the WAL over the frames just copied.
//
// So at any moment the frames the database file may not yet hold on disk are still in the WAL,
// and on disk: a crash or a power loss at any step loses nothing (recovery replays the WAL). A
// flush of the database file that fails keeps the guard until the store closes (the WAL then
// grows; the main connection's close checkpoints with SQLite's own fsyncs); any other failure puts
// the main connection back on SQLite's default (1,000 pages) at once. A flush that stalls (a slow
// disk) holds the guard, so the WAL grows meanwhile instead of the event loop waiting.
// A round with nothing committed since one that copied everything does nothing at all (no read, no
// flush). The checkpointer starts with the twentieth commit within a second and stops after 30 s
// with nothing to copy; the main connection is on SQLite's default meanwhile. Replaces a worker thread
// that did the same with its own connection: about 12 MiB of RSS for its isolate.
import { open, type FileHandle } from 'node:fs/promises';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { isBusy } from './sqlite-busy.js';

/** What one checkpoint that found frames to copy did (PRAGMA wal_checkpoint's row). */
export interface CheckpointReport {
  /** Frames in the WAL when it ran. */
  log: number;
  /** Frames of those now in the database file (all, unless a reader held some back); the WAL restarts at the next commit only if no commit came in while it copied. */
  checkpointed: number;
  /** The copy's time on the event loop, ms. */
  ms: number;
  /** The two flushes' time in the thread pool, ms. */
  flushMs: number;
}

/** The files a checkpoint flushes: the WAL before the copy, the database file after it. */
export type FlushedFile = 'wal' | 'database';

export interface WalCheckpointOptions {
  /** Between two checkpoints, ms. */
  intervalMs?: number;
  /** WAL pages past which the main connection checkpoints at its commit, on the event loop. */
  hardLimitPages?: number;
  /** Each checkpoint that copied frames (tests, metrics). */
  onReport?: (report: CheckpointReport) => void;
  /** A checkpoint failed: the main connection checkpoints for itself from now on. */
  onError?: (error: unknown) => void;
  /** The checkpointer started (tests). */
  onStart?: () => void;
  /** The checkpointer stopped: by close, idle, or after a failure. */
  onExit?: () => void;
  /** How long close waits for a checkpoint's flush before it closes anyway, ms. */
  stopTimeoutMs?: number;
  /** Commits within a second that start the checkpointer (1: at once, when the store opens). */
  startAfterCommits?: number;
  /** Checkpoints in a row with nothing to copy after which the checkpointer stops. */
  idleTicks?: number;
  /** Runs each flush (`flushNow`: the file's fdatasync); tests delay or fail it. */
  flush?: (file: FlushedFile, flushNow: () => Promise<void>) => Promise<void>;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 100;
/**
 * 64 MiB of WAL. Under steady load most rounds are overtaken by new commits, so the WAL restarts
 * only now and then; each time it reaches this limit a COMMIT checkpoints on the event loop, with
 * SQLite's two fsyncs. At 4,000 pages that happened every few seconds under the benchmark's load.
 */
export const DEFAULT_HARD_LIMIT_PAGES = 16_000;
/** Twenty commits within a second: a store serving requests or draining changes, not an idle bridge. */
export const DEFAULT_START_AFTER_COMMITS = 20;
/** Stopped after 30 s (at 100 ms) with nothing to checkpoint. */
export const DEFAULT_IDLE_TICKS = 300;
/** SQLite's default automatic checkpoint, used again once the checkpointer has stopped. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1_000;

/** The guard and the copier, their statements, and the two files' handles for fdatasync. */
interface Connections {
  guard: DatabaseSync;
  copier: DatabaseSync;
  beginRead: StatementSync;
  read: StatementSync;
  endRead: StatementSync;
  checkpoint: StatementSync;
  wal: FileHandle;
  database: FileHandle;
}

type Copy = Omit<CheckpointReport, 'flushMs'>;


export class WalCheckpointer {
  /** idle: not running (SQLite checkpoints at its default); running; failed: never again; closed. */
  private state: 'idle' | 'running' | 'failed' | 'closed' = 'idle';
  private connections: Connections | undefined;
  /** Opening the connections and files, then a tick every interval. */
  private starting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  /** The guard's read is open past a failed flush of the database file: kept until close. */
  private guardKept = false;
  private idleTicks = 0;
  /** A commit since the last round began, or frames that round left to copy: the next round has work. */
  private pending = true;
  private lastCheckpointed = -1;
  private windowStart = 0;
  private commitsInWindow = 0;

  constructor(
    private readonly db: DatabaseSync,
    private readonly path: string,
    private readonly options: WalCheckpointOptions = {},
  ) {
    if ((options.startAfterCommits ?? DEFAULT_START_AFTER_COMMITS) <= 1) this.start();
  }

  /** After each commit of the main connection: the checkpointer starts once the store is busy (that many commits within a second). */
  committed(): void {
    this.pending = true;
    if (this.state !== 'idle') return;
    const now = Date.now();
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.commitsInWindow = 0;
    }
    if (++this.commitsInWindow >= (this.options.startAfterCommits ?? DEFAULT_START_AFTER_COMMITS)) this.start();
  }

  /** Stops after the checkpoint in flight (or the stop timeout); the main connection's close checkpoints the rest, with SQLite's own fsyncs. */
  async stop(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'closed';
    clearInterval(this.timer);
    await this.starting;
    let finished = true;
    const inFlight = this.inFlight;
    if (inFlight) {
      let timeout: NodeJS.Timeout | undefined;
      // A flush stuck on a stalled disk does not hold close up for ever: closing the guard then is
      // safe, because the main connection's close fsyncs the database file before it drops the WAL.
      finished = await Promise.race([
        inFlight.then(() => true),
        new Promise<boolean>((resolve) => (timeout = setTimeout(() => resolve(false), this.options.stopTimeoutMs ?? 5_000))),
      ]);
      clearTimeout(timeout);
    }
    // A file handle closes only after its pending fdatasync: not waited for when one is stuck.
    await this.release(finished);
    if (wasRunning) this.options.onExit?.();
  }

  private start(): void {
    this.state = 'running';
    this.pending = true;
    this.autocheckpoint(this.options.hardLimitPages ?? DEFAULT_HARD_LIMIT_PAGES);
    this.options.onStart?.();
    this.starting = this.connect().then(
      (connections) => {
        this.starting = undefined;
        this.connections = connections;
        if (this.state !== 'running') return;
        this.idleTicks = 0;
        this.timer = setInterval(() => this.tick(), this.options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
        // The process's lifetime is not the checkpointer's business; close() stops it.
        this.timer.unref();
      },
      (error: unknown) => {
        this.starting = undefined;
        this.fail(error);
      },
    );
  }

  private async connect(): Promise<Connections> {
    const guard = new DatabaseSync(this.path, { enableForeignKeyConstraints: false });
    const copier = new DatabaseSync(this.path, { enableForeignKeyConstraints: false });
    const files: FileHandle[] = [];
    try {
      // Neither reads much: a small page cache each (SQLite's default is 2 MiB).
      guard.exec('PRAGMA cache_size = -64');
      copier.exec('PRAGMA cache_size = -64; PRAGMA synchronous = OFF');
      const connections = {
        guard,
        copier,
        beginRead: guard.prepare('BEGIN'),
        // A read transaction starts at its first read of the file.
        read: guard.prepare('SELECT count(*) FROM sqlite_schema'),
        endRead: guard.prepare('COMMIT'),
        checkpoint: copier.prepare('PRAGMA wal_checkpoint(PASSIVE)'),
      };
      // fdatasync flushes the file, whichever descriptor it is given: read-only ones do.
      files.push(await open(`${this.path}-wal`, 'r'));
      files.push(await open(this.path, 'r'));
      return { ...connections, wal: files[0]!, database: files[1]! };
    } catch (error) {
      guard.close();
      copier.close();
      await Promise.all(files.map((file) => file.close()));
      throw error;
    }
  }

  private tick(): void {
    const connections = this.connections;
    if (this.inFlight || this.state !== 'running' || !connections) return;
    // Nothing committed here since a round that copied everything: an idle round, without I/O.
    if (!this.pending) return this.countIdle(false);
    this.pending = false;
    this.inFlight = this.checkpointOnce(connections)
      .then(
        (copied) => this.countIdle(copied),
        (error: unknown) => this.fail(error),
      )
      .finally(() => (this.inFlight = undefined));
  }

  private countIdle(copied: boolean): void {
    this.idleTicks = copied ? 0 : this.idleTicks + 1;
    if (this.state === 'running' && this.idleTicks >= (this.options.idleTicks ?? DEFAULT_IDLE_TICKS)) void this.idle();
  }

  /** One checkpoint, steps 1 to 5 above; whether it found frames to copy. */
  private async checkpointOnce(c: Connections): Promise<boolean> {
    const flushed = { ms: 0 };
    try {
      c.beginRead.run();
      c.read.get();
    } catch (error) {
      this.endRead(c);
      // Another process's connection recovering the WAL: the next tick tries again.
      if (isBusy(error)) return (this.pending = true);
      throw error;
    }
    let copy: Copy | 'busy' | undefined;
    try {
      await this.flush(c, 'wal', flushed);
      copy = this.state === 'running' ? this.copy(c) : undefined;
    } catch (error) {
      this.endRead(c);
      throw error;
    }
    if (copy === undefined || copy === 'busy') {
      this.endRead(c);
      if (copy === 'busy') this.pending = true;
      return copy === 'busy';
    }
    // Frames past the guard's snapshot (commits during the WAL's flush) are the next round's.
    if (copy.checkpointed < copy.log) this.pending = true;
    try {
      await this.flush(c, 'database', flushed);
    } catch (error) {
      // The copied pages may not be on disk: the WAL must not restart over their frames.
      this.guardKept = true;
      throw error;
    }
    this.endRead(c);
    this.lastCheckpointed = copy.checkpointed;
    this.options.onReport?.({ ...copy, flushMs: flushed.ms });
    return true;
  }

  /** Step 3; undefined when there was nothing new to copy (the same WAL, copied as far as it could be). */
  private copy(c: Connections): Copy | 'busy' | undefined {
    const started = performance.now();
    let row: { log: number; checkpointed: number } | undefined;
    try {
      row = c.checkpoint.get() as typeof row;
    } catch (error) {
      // Another process's connection checkpointing or recovering the WAL: the next tick tries again.
      if (isBusy(error)) return 'busy';
      throw error;
    }
    if (!row || row.log <= 0 || (row.checkpointed === this.lastCheckpointed && row.checkpointed === row.log)) return undefined;
    return { log: row.log, checkpointed: row.checkpointed, ms: performance.now() - started };
  }

  private async flush(c: Connections, file: FlushedFile, flushed: { ms: number }): Promise<void> {
    const started = performance.now();
    const handle = file === 'wal' ? c.wal : c.database;
    await (this.options.flush ? this.options.flush(file, () => handle.datasync()) : handle.datasync());
    flushed.ms += performance.now() - started;
  }

  private endRead(c: Connections): void {
    if (c.guard.isOpen && c.guard.isTransaction) c.endRead.run();
  }

  /** Nothing to copy for a while: the connections close, and the next busy second starts again. */
  private async idle(): Promise<void> {
    this.state = 'idle';
    clearInterval(this.timer);
    this.commitsInWindow = 0;
    this.autocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT);
    await this.release();
    this.options.onExit?.();
  }

  private fail(error: unknown): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    clearInterval(this.timer);
    this.autocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT);
    if (!this.guardKept) void this.release();
    this.options.onError?.(error);
    this.options.onExit?.();
  }

  private async release(waitForFiles = true): Promise<void> {
    const c = this.connections;
    this.connections = undefined;
    this.guardKept = false;
    if (!c) return;
    c.guard.close();
    c.copier.close();
    const closed = Promise.all([c.wal.close(), c.database.close()]);
    if (waitForFiles) await closed;
    else closed.catch(() => undefined);
  }

  private autocheckpoint(pages: number): void {
    if (this.db.isOpen) this.db.exec(`PRAGMA wal_autocheckpoint = ${Math.trunc(pages)}`);
  }
}
