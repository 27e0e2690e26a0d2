// SQLite's "another connection holds the lock" (SQLITE_BUSY, any extended code), shared by the
// driver (sqlite.ts, which retries) and the WAL checkpointer (which tries again next round).
export function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === 'number' && (code & 0xff) === 5;
}
