// Session-level advisory locks: held by one connection from lock to unlock, across
// transactions, and released by the server if that connection dies. Keys are the
// two-int form (a namespace from advisoryKey, then an object id).
import type pg from 'pg';

export type LockKey = readonly [namespace: number, id: number];

/**
 * Takes a connection from `pool`, waits for the lock on it, runs `fn` with that connection,
 * then unlocks and returns the connection. If the unlock fails the connection is destroyed
 * instead, which releases the lock just the same: `fn`'s result stands either way.
 */
export async function withAdvisoryLock<T>(pool: pg.Pool, [namespace, id]: LockKey, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let reusable = false;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [namespace, id]);
    try {
      return await fn(client);
    } finally {
      reusable = await client.query('SELECT pg_advisory_unlock($1, $2)', [namespace, id]).then(
        (result) => result.rows[0]?.pg_advisory_unlock === true,
        () => false,
      );
    }
  } finally {
    client.release(!reusable);
  }
}
