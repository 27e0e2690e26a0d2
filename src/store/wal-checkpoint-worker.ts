// The SQLite store's WAL checkpoints, off the event loop (wal-checkpointer.ts starts this file in
// a worker thread). Its own connection on the store's file runs `PRAGMA wal_checkpoint(PASSIVE)`
// every `intervalMs`: it copies the committed frames of the WAL into the database file without
// taking the write lock, so the main connection keeps committing meanwhile, and with the fsyncs
// of a checkpoint (synchronous=NORMAL, as on the main connection) paid in this thread. The WAL
// restarts from its beginning at the first commit after a checkpoint that copied every frame; a
// checkpoint overtaken by new commits leaves the database file's copied pages flushed here
// (fdatasync), so that the main connection's own checkpoint at the hard limit never has to.
// A checkpoint only copies what is already committed in the WAL: stopping or killing this thread
// at any moment loses nothing.
//
// Runs as plain JavaScript from dist/, and as TypeScript under vitest (Node strips the types), so
// it holds only erasable syntax and imports nothing of the project.
import { closeSync, fdatasyncSync, openSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

export interface CheckpointWorkerData {
  path: string;
  intervalMs: number;
  /** Checkpoints in a row with nothing to copy after which this thread ends itself. */
  idleTicks: number;
}

/** What one checkpoint that found frames to copy did (PRAGMA wal_checkpoint's row). */
export interface CheckpointReport {
  /** Frames in the WAL when it ran. */
  log: number;
  /** Frames of those now in the database file (all, unless a reader held some back); the WAL restarts at the next commit only if no commit came in while it copied. */
  checkpointed: number;
  /** How long it took in this thread, ms. */
  ms: number;
}

export type WorkerMessage = { kind: 'report'; report: CheckpointReport } | { kind: 'idle' } | { kind: 'stopped' };

const { path, intervalMs, idleTicks } = workerData as CheckpointWorkerData;
const port = parentPort!;
const db = new DatabaseSync(path, { enableForeignKeyConstraints: false });
// The syncs of a checkpoint are those of the connection running it: the main connection's.
db.exec('PRAGMA synchronous = NORMAL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const databaseFile = openSync(path, 'r');
let lastCheckpointed = -1;

/** Whether it found frames to copy. */
function checkpointOnce(): boolean {
  const started = performance.now();
  let row: { busy: number; log: number; checkpointed: number } | undefined;
  try {
    row = checkpoint.get() as typeof row;
  } catch (error) {
    // Another process's connection checkpointing or recovering the WAL: the next tick tries again.
    // Anything else ends this thread; the main connection then checkpoints for itself.
    if (((error as { errcode?: number }).errcode ?? 0) % 256 === 5) return true;
    throw error;
  }
  if (!row || row.log <= 0) return false;
  // Nothing new since the last one (the same WAL, copied as far as it could be).
  if (row.checkpointed === lastCheckpointed && row.checkpointed === row.log) return false;
  // SQLite syncs the database file only when no commit came while it copied: flushed here either
  // way, so the main connection's checkpoint at the hard limit has nothing of ours to flush.
  fdatasyncSync(databaseFile);
  lastCheckpointed = row.checkpointed;
  port.postMessage({ kind: 'report', report: { log: row.log, checkpointed: row.checkpointed, ms: performance.now() - started } } satisfies WorkerMessage);
  return true;
}

/** A last checkpoint, then the connection closed and this thread let go (it exits). */
function end(message: WorkerMessage): void {
  clearInterval(timer);
  try {
    checkpointOnce();
  } finally {
    closeSync(databaseFile);
    db.close();
    port.postMessage(message);
    port.close();
  }
}

let idle = 0;
const timer = setInterval(() => {
  idle = checkpointOnce() ? 0 : idle + 1;
  if (idle >= idleTicks) end({ kind: 'idle' });
}, intervalMs);

port.on('message', (message: unknown) => {
  if (message === 'stop') end({ kind: 'stopped' });
});
