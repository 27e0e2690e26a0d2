// From DATABASE_URL to a pg Pool: the optional schema (`?schema=` or an option) becomes the
// connection's search_path, and the store's column types come back in the interface's forms
// (ids as numbers, timestamps as the ISO strings SQLite gives).
import pg from 'pg';

/** Lower-case identifiers only: they need no quoting in SQL or in the startup `options`. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ConnectionTarget {
  /** The URL without `schema`, with a search_path for it in `options`. */
  connectionString: string;
  /** The schema the store lives in, when one was asked for (else the server's search_path decides). */
  schema: string | undefined;
  /** The URL with its password masked, for error messages. */
  display: string;
}

export function connectionTarget(databaseUrl: string, schemaOption?: string): ConnectionTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new TypeError('DATABASE_URL is not a URL');
  }
  const fromUrl = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  if (schemaOption !== undefined && fromUrl !== undefined && schemaOption !== fromUrl) {
    throw new TypeError(`two schemas given: "${schemaOption}" (option) and "${fromUrl}" (DATABASE_URL)`);
  }
  const schema = schemaOption ?? fromUrl;
  if (schema !== undefined) {
    if (!SCHEMA_NAME.test(schema)) throw new TypeError(`schema must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
    const options = url.searchParams.get('options');
    url.searchParams.set('options', `${options ? `${options} ` : ''}-c search_path=${schema}`);
  }
  const shown = new URL(url);
  if (shown.password) shown.password = '***';
  shown.searchParams.delete('options');
  return { connectionString: url.toString(), schema, display: shown.toString() };
}

/** A connection or the pool: where one statement runs (a transaction's connection, or any). */
export type Db = Pick<pg.PoolClient, 'query'>;

const INT8 = 20;
const TIMESTAMPTZ = 1184;
const parseDate = pg.types.getTypeParser(TIMESTAMPTZ);

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} does not fit a JavaScript number`);
  return value;
}

/** Per pool, so nothing else in the process sees these parsers. */
const storeTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary' && oid === INT8) return parseInt8;
    if (format !== 'binary' && oid === TIMESTAMPTZ) return (text: string) => (parseDate(text) as Date).toISOString();
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export function createPool(target: ConnectionTarget, max: number, onError: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString: target.connectionString, max, types: storeTypes });
  // An idle connection that breaks (a server restart) is dropped by the pool; without a
  // listener its error would end the process. Queries that fail report to their callers.
  pool.on('error', onError);
  return pool;
}

/** A stable 32-bit key for an advisory lock, per purpose and schema (FNV-1a). */
export function advisoryKey(purpose: string, schema: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(`reseller-bridge:${purpose}:${schema}`)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
