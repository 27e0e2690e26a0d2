// SQLite only: the WAL is checkpointed with its fsyncs off the event loop, not by a commit on it
// (src/store/wal-checkpointer.ts): copied only once flushed, never restarted over frames whose copy
// may not be on disk, and bounded whatever the flushes do.
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import type { CheckpointReport, FlushedFile, WalCheckpointOptions } from '../../src/store/wal-checkpointer.js';
import { onCleanup } from './cleanup.js';
import { seed, tempDir } from './helpers.js';

/** A store whose checkpointer starts at once (unless the test says otherwise). */
function open(path: string, checkpoints: WalCheckpointOptions | false): SqliteStore {
  const store = SqliteStore.open(path, { checkpoints: checkpoints && { startAfterCommits: 1, ...checkpoints } });
  onCleanup(() => store.close());
  return store;
}

/** Reports as they come, and a wait for the first one (from now on) that satisfies `test`. */
function reports() {
  const waiters: { test: (r: CheckpointReport) => boolean; resolve: (r: CheckpointReport) => void }[] = [];
  return {
    onReport(report: CheckpointReport) {
      for (const waiter of waiters.splice(0)) {
        if (waiter.test(report)) waiter.resolve(report);
        else waiters.push(waiter);
      }
    },
    next: (test: (r: CheckpointReport) => boolean = () => true) => new Promise<CheckpointReport>((resolve) => waiters.push({ test, resolve })),
  };
}

/** `count` audit records of about a page each (a 4,000-character detail), committed `perCommit` at a time. */
async function writeAudits(store: Store, customerId: number, count: number, perCommit: number): Promise<void> {
  for (let done = 0; done < count; done += perCommit) {
    const n = Math.min(perCommit, count - done);
    // Submitted in one round of the event loop: one group commit.
    await Promise.all(Array.from({ length: n }, (_, i) => store.appendAudit({ actor: 'operator', action: 'note', customerId, outcome: 'noted', detail: `${done + i}:`.padEnd(4_000, 'x') })));
  }
}

/** The audit records the database file holds by itself, without its WAL (a copy of it alone, opened elsewhere). */
function auditsInDatabaseFile(path: string): number {
  const copy = join(tempDir(), 'copy.db');
  copyFileSync(path, copy);
  const db = new DatabaseSync(copy, { readOnly: true });
  try {
    // Before the first checkpoint even the schema is only in the WAL.
    if (!db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'audit_log'").get()) return 0;
    return Number(db.prepare('SELECT count(*) AS n FROM audit_log').get()!.n);
  } finally {
    db.close();
  }
}

/** Frames the WAL file has room for: the most it ever held (SQLite reuses it from the start after a checkpoint). */
function walFramesHighWater(path: string): number {
  const pageSize = 4_096;
  return (statSync(`${path}-wal`).size - 32) / (pageSize + 24);
}

/**
 * Writes about 3,000 pages (below the 4,000-page default hard limit) 50 records (about 100 pages)
 * a commit; the WAL must never have held more than `maxFrames`, and every record is there after close.
 */
async function writeBounded(store: Store, path: string, customerId: number, maxFrames: number): Promise<void> {
  await writeAudits(store, customerId, 3_000, 50);
  expect(walFramesHighWater(path)).toBeLessThan(maxFrames);
  await store.close();
  expect(auditsAfterReopen(path)).toBe(3_000);
}

/** The WAL header's first salt: SQLite draws a new one each time it restarts the WAL from its beginning. */
function walSalt(path: string): number {
  const header = Buffer.alloc(4);
  const fd = openSync(`${path}-wal`, 'r');
  try {
    readSync(fd, header, 0, 4, 16);
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(0);
}

/** Flushes of one file that wait, once `hold` is called, until the test lets them go. */
function heldFlush(held: FlushedFile, holding = true) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const waiting = new Promise<void>((resolve) => (reached = resolve));
  return {
    flush: async (file: FlushedFile, flushNow: () => Promise<void>) => {
      if (file === held && holding) {
        reached();
        await released;
      }
      await flushNow();
    },
    /** Holds the next flushes; resolves once one is being held. */
    hold: () => ((holding = true), waiting),
    release,
  };
}

function auditsAfterReopen(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'note'").get()!.n);
  } finally {
    db.close();
  }
}

describe('SQLite WAL checkpoints', () => {
  it('copy the WAL into the database file while the event loop is free: the file holds the commits without its WAL', async () => {
    const path = join(tempDir(), 'bridge.db');
    const seen = reports();
    const store = open(path, { intervalMs: 5, onReport: seen.onReport });
    const { alice } = await seed(store);
    // About 50 pages, far below any automatic checkpoint of the main connection (4,000 here, 1,000 SQLite's default).
    await writeAudits(store, alice!.id, 50, 10);
    expect(walFramesHighWater(path)).toBeLessThan(1_000);
    let inFile = 0;
    // Each complete checkpoint reported after the writes; the first may have begun before the last commit.
    while (inFile < 50) {
      await seen.next((r) => r.checkpointed === r.log);
      inFile = auditsInDatabaseFile(path);
    }
    expect(inFile).toBe(50);
    await store.close();
    expect(auditsAfterReopen(path)).toBe(50);
  });

  it('copy only between a flush of the WAL and a flush of the database file', async () => {
    const path = join(tempDir(), 'bridge.db');
    // Each flush, with what the database file held when it began.
    const flushes: { file: FlushedFile; digest: string }[] = [];
    const seen = reports();
    const store = open(path, {
      startAfterCommits: 5,
      intervalMs: 5,
      onReport: seen.onReport,
      flush: async (file, flushNow) => {
        flushes.push({ file, digest: createHash('sha256').update(readFileSync(path)).digest('hex') });
        await flushNow();
      },
    });
    const { alice } = await seed(store);
    await writeAudits(store, alice!.id, 10, 10);
    // Started by the commits from here on (below any automatic checkpoint of the main connection).
    const copied = seen.next();
    await writeAudits(store, alice!.id, 500, 50);
    await copied;
    await store.close();
    expect(flushes[0]?.file).toBe('wal');
    expect(flushes.some((f) => f.file === 'database')).toBe(true);
    flushes.forEach((flush, i) => {
      const before = flushes[i - 1];
      if (!before) return;
      // The database file is flushed only after a flush of the WAL and the copy it allowed…
      if (flush.file === 'database') expect([before.file, flush.digest !== before.digest]).toEqual(['wal', true]);
      // …and changes nowhere else.
      else expect(flush.digest).toBe(before.digest);
    });
  });

  it('never let the WAL restart over copied frames before the database file is flushed', async () => {
    const path = join(tempDir(), 'bridge.db');
    const held = heldFlush('database', false);
    const seen = reports();
    const store = open(path, { intervalMs: 5, flush: held.flush, onReport: seen.onReport });
    const { alice } = await seed(store);
    await writeAudits(store, alice!.id, 20, 5);
    // A checkpoint begun after those commits: it copies every frame of the WAL.
    await held.hold();
    // Copied, not yet on disk: commits append to the WAL, none restarts it.
    const salt = walSalt(path);
    await writeAudits(store, alice!.id, 20, 1);
    expect(walSalt(path)).toBe(salt);
    const heldCheckpoint = seen.next();
    held.release();
    await heldCheckpoint;
    // Once a checkpoint begun after the writes has copied and flushed everything, the next commit restarts the WAL.
    await seen.next((r) => r.checkpointed === r.log);
    await writeAudits(store, alice!.id, 1, 1);
    expect(walSalt(path)).not.toBe(salt);
    await store.close();
    expect(auditsAfterReopen(path)).toBe(41);
  });

  it('stop with the store: stopped when close returns, and the last connection removed the WAL', async () => {
    const path = join(tempDir(), 'bridge.db');
    let ended = false;
    const store = open(path, { onExit: () => (ended = true) });
    const { alice } = await seed(store);
    await writeAudits(store, alice!.id, 20, 5);
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(ended).toBe(false);
    await store.close();
    expect(ended).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(auditsAfterReopen(path)).toBe(20);
  });

  it('stop with the store even when a flush never completes: after the stop timeout, nothing lost', async () => {
    const path = join(tempDir(), 'bridge.db');
    const held = heldFlush('database');
    let ended = false;
    const store = open(path, { intervalMs: 5, flush: held.flush, stopTimeoutMs: 200, onExit: () => (ended = true) });
    const { alice } = await seed(store);
    await writeAudits(store, alice!.id, 20, 5);
    await held.hold();
    await store.close();
    expect(ended).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(auditsAfterReopen(path)).toBe(20);
    held.release();
  });

  it('keep the WAL from restarting for good when the database file fails to flush: reported, nothing lost', async () => {
    const path = join(tempDir(), 'bridge.db');
    const errors: unknown[] = [];
    let failed!: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    const store = open(path, {
      intervalMs: 5,
      flush: async (file, flushNow) => (file === 'database' ? Promise.reject(new Error('EIO: the disk failed')) : flushNow()),
      onError: (error) => (errors.push(error), failed()),
    });
    const { alice } = await seed(store);
    await writeAudits(store, alice!.id, 20, 5);
    await failure;
    expect(String(errors[0])).toMatch(/EIO/);
    const salt = walSalt(path);
    // The main connection checkpoints for itself now (SQLite's default), never past the kept frames.
    await writeAudits(store, alice!.id, 1_500, 50);
    expect(walSalt(path)).toBe(salt);
    await store.close();
    expect(auditsAfterReopen(path)).toBe(1_520);
  });

  it("fall back to the main connection at SQLite's default when the WAL fails to flush: the WAL stays bounded, nothing lost", async () => {
    const path = join(tempDir(), 'bridge.db');
    let failed!: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    const errors: unknown[] = [];
    const store = open(path, {
      intervalMs: 5,
      flush: async (file, flushNow) => (file === 'wal' ? Promise.reject(new Error('EIO: the disk failed')) : flushNow()),
      onError: (error) => (errors.push(error), failed()),
    });
    const { alice } = await seed(store);
    await failure;
    expect(String(errors[0])).toMatch(/EIO/);
    // SQLite's default (1,000 pages) plus one commit; only the fallback checkpoints below the hard limit.
    await writeBounded(store, path, alice!.id, 1_200);
  });

  it("without the checkpointer are SQLite's own, at its default", async () => {
    const path = join(tempDir(), 'bridge.db');
    const store = open(path, false);
    const { alice } = await seed(store);
    await writeBounded(store, path, alice!.id, 1_200);
  });

  it('run on the main connection past the hard limit when the checkpointer does not keep up', async () => {
    const path = join(tempDir(), 'bridge.db');
    const errors: unknown[] = [];
    const store = open(path, { intervalMs: 3_600_000, hardLimitPages: 500, onError: (error) => errors.push(error) });
    const { alice } = await seed(store);
    // The hard limit plus one commit.
    await writeBounded(store, path, alice!.id, 700);
    expect(errors).toEqual([]);
  });

  it('start only once the store is busy, stop after a while with nothing to copy, and start again when busy', async () => {
    const path = join(tempDir(), 'bridge.db');
    let starts = 0;
    let exited!: () => void;
    const idle = new Promise<void>((resolve) => (exited = resolve));
    const store = open(path, { startAfterCommits: 5, intervalMs: 5, idleTicks: 3, onStart: () => starts++, onExit: () => exited() });
    const { alice } = await seed(store);
    // Seeding is one or two commits; three more make four or five within the second.
    await writeAudits(store, alice!.id, 2, 1);
    const before = starts;
    await writeAudits(store, alice!.id, 10, 1);
    expect(before).toBe(0);
    expect(starts).toBe(1);
    // Nothing more to copy: the checkpointer stops, and the main connection is back on SQLite's default.
    await idle;
    expect(auditsInDatabaseFile(path)).toBe(12);
    await writeAudits(store, alice!.id, 10, 1);
    expect(starts).toBe(2);
    await store.close();
    expect(auditsAfterReopen(path)).toBe(22);
  });

  it('spend no I/O on rounds with nothing committed since one that copied everything', async () => {
    const path = join(tempDir(), 'bridge.db');
    const idleTicks = 20;
    let walFlushes = 0;
    let exited!: () => void;
    const idle = new Promise<void>((resolve) => (exited = resolve));
    const store = open(path, {
      intervalMs: 5,
      idleTicks,
      flush: async (file, flushNow) => {
        if (file === 'wal') walFlushes++;
        await flushNow();
      },
      onExit: () => exited(),
    });
    const { alice } = await seed(store);
    await writeAudits(store, alice!.id, 10, 5);
    // Stopped after `idleTicks` rounds with nothing to copy, of which only those that found the
    // last commits' frames flushed anything.
    await idle;
    expect(walFlushes).toBeGreaterThan(0);
    expect(walFlushes).toBeLessThan(idleTicks);
    expect(auditsInDatabaseFile(path)).toBe(10);
  });

  it('are not needed for a database in memory: no checkpointer', async () => {
    let starts = 0;
    const store = open(':memory:', { onStart: () => starts++ });
    const { alice } = await seed(store);
    await writeAudits(store, alice!.id, 10, 5);
    await store.close();
    expect(starts).toBe(0);
  });
});
