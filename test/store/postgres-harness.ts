// PostgreSQL for the store tests. Each test file (one process) migrates ONE schema of its own,
// named for this run (pid and a random part: other test runs use the server at the same time),
// and empties it before each test: deleting a few rows is far cheaper than creating and
// migrating a schema per test. Tests of the migrations themselves get fresh schemas. Every
// schema this file made is dropped when it ends. An unreachable server fails the tests with a
// message that says so: they are never skipped.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres.js';
import { onCleanup } from './cleanup.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * What the stores under test connect with: the test schemas are thrown away, so commits need
 * not wait for the WAL to reach the disk (locking and visibility are unchanged).
 */
export const STORE_URL = withOption(TEST_DATABASE_URL, '-c synchronous_commit=off');

function withOption(databaseUrl: string, option: string): string {
  const url = new URL(databaseUrl);
  const options = url.searchParams.get('options');
  url.searchParams.set('options', options ? `${options} ${option}` : option);
  return url.toString();
}

const prefix = `bridge_test_${process.pid}_${randomBytes(4).toString('hex')}`;
let schemasMade = 0;
let admin: pg.Pool | undefined;

function adminPool(): pg.Pool {
  if (!admin) {
    admin = new pg.Pool({ connectionString: STORE_URL, max: 2 });
    admin.on('error', () => undefined);
  }
  return admin;
}

afterAll(async () => {
  if (!admin) return;
  // A test that failed before its cleanup ran must not leave a schema behind.
  // (With no server there is nothing to drop: the tests themselves already failed.)
  const leftovers = await admin
    .query<{ name: string }>('SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)', [`${prefix}_`])
    .then(({ rows }) => rows.map((row) => row.name), () => []);
  for (const name of leftovers) await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  await admin.end();
});

const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', '28000', '28P01', '3D000']);

function isConnectionFailure(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'string' && CONNECTION_FAILURES.has(code)) return true;
    if (e instanceof AggregateError && e.errors.some(isConnectionFailure)) return true;
  }
  return false;
}

/** Turns "cannot connect" into an error that tells how to get a server. */
export async function needingServer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isConnectionFailure(error)) throw error;
    throw new Error(
      `PostgreSQL is unreachable at ${TEST_DATABASE_URL} (the PostgreSQL store tests need it): ${(error as Error).message}. ` +
        'Start it (pg_ctlcluster --skip-systemctl-redirect <version> main start) or set TEST_DATABASE_URL.',
      { cause: error },
    );
  }
}

/** A schema name no other test uses; dropped after this test. It is created by the first store opened on it. */
export function freshSchema(): string {
  schemasMade += 1;
  const schema = `${prefix}_${schemasMade}`;
  onCleanup(() => needingServer(() => adminPool().query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).then(() => undefined));
  return schema;
}

const runSchema = `${prefix}_run`;
/** The run schema's tables, once migrated (schema_migrations aside). */
let runSchemaTables: Promise<string[]> | undefined;

/**
 * The schema this file's tests share, migrated on first use and emptied now (so call it at the
 * start of a test). The history triggers refuse deletes: the reset runs with triggers off
 * (session_replication_role = replica), on the administrative connection only.
 */
export async function sharedSchema(): Promise<string> {
  runSchemaTables ??= needingServer(async () => {
    const store = await PostgresStore.open(STORE_URL, { schema: runSchema });
    await store.close();
    const { rows } = await adminPool().query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations' ORDER BY tablename",
      [runSchema],
    );
    return rows.map((row) => row.name);
  });
  const tables = await runSchemaTables;
  // DELETE rather than TRUNCATE: a few rows go in one round trip, with no files to recreate.
  const deletes = tables.map((table) => `DELETE FROM ${table};`).join(' ');
  await inSchema(runSchema, (client) => client.query(`SET session_replication_role = replica; ${deletes} RESET session_replication_role`));
  return runSchema;
}

/** Opens (and migrates) a store on `schema`; closed after the test. */
export async function openPostgres(schema: string, options: Omit<PostgresStoreOptions, 'schema'> = {}): Promise<PostgresStore> {
  const store = await needingServer(() => PostgresStore.open(STORE_URL, { ...options, schema }));
  onCleanup(() => store.close());
  return store;
}

/** Runs `work` on an administrative connection whose search_path is `schema`. */
export async function inSchema<T>(schema: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await needingServer(() => adminPool().connect());
  try {
    await client.query(`SET search_path TO ${schema}`);
    return await work(client);
  } finally {
    await client.query('RESET search_path').catch(() => undefined);
    client.release();
  }
}

/** A pool of its own, as another bridge instance would have, its search_path `schema`; ended after the test. */
export function separatePool(schema: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: withOption(STORE_URL, `-c search_path=${schema}`), max: 2 });
  pool.on('error', () => undefined);
  onCleanup(() => pool.end());
  return pool;
}
