// Where SQLite and PostgreSQL spell the same thing differently. Statements (statements.ts) are
// written once as functions of a Dialect; each is rendered for both at load time. Parameters
// are written `:name` in every statement; PostgreSQL's rendering turns them into `$n`.
//
// Parameter values follow one convention for both drivers: lists are JS arrays (SQLite's driver
// sends them as JSON text for json_each, PostgreSQL's as arrays), JSON documents are JSON text,
// booleans are booleans (SQLite's driver sends 1/0), instants are ISO strings.

export type DialectName = 'sqlite' | 'postgres';

export interface Dialect {
  readonly name: DialectName;
  /** A JSON text parameter bound for a JSON column. */
  json(param: string): string;
  /** `expr` is one of the list parameter's values. */
  inList(expr: string, param: string, type: 'text' | 'integer'): string;
  /** `expr` is none of the list parameter's values. */
  notInList(expr: string, param: string, type: 'text' | 'integer'): string;
  /** The elements of a JSON array parameter as rows `alias(value, key)`, `key` in array order. */
  jsonRows(param: string, alias: string): string;
  /** `from` (a table and its alias) joined with the text elements of its JSON array column `column`, as rows `alias(value)`. */
  joinElements(from: string, column: string, alias: string): string;
  /** A field of a JSON element read by `->>` as an integer column. */
  integer(expr: string): string;
  readonly true: string;
  readonly false: string;
  /** Appended to a read inside a write: locks the rows read until the transaction ends. */
  readonly lockForUpdate: string;
  /** The customer row's lock, which orders every write about that customer (see statements.ts). */
  readonly lockCustomer: string;
  /** Pins the index a hot statement must use (SQLite fails to prepare rather than scan). */
  indexedBy(index: string): string;
}

export const sqlite: Dialect = {
  name: 'sqlite',
  json: (param) => `:${param}`,
  inList: (expr, param) => `${expr} IN (SELECT value FROM json_each(:${param}))`,
  notInList: (expr, param) => `${expr} NOT IN (SELECT value FROM json_each(:${param}))`,
  jsonRows: (param, alias) => `json_each(:${param}) AS ${alias}`,
  joinElements: (from, column, alias) => `${from}, json_each(${column}) AS ${alias}`,
  integer: (expr) => expr,
  true: '1',
  false: '0',
  // One writer at a time: BEGIN IMMEDIATE already holds the database's write lock.
  lockForUpdate: '',
  lockCustomer: '',
  indexedBy: (index) => ` INDEXED BY ${index}`,
};

export const postgres: Dialect = {
  name: 'postgres',
  json: (param) => `:${param}::jsonb`,
  inList: (expr, param, type) => `${expr} = ANY (:${param}::${type}[])`,
  notInList: (expr, param, type) => `${expr} <> ALL (:${param}::${type}[])`,
  jsonRows: (param, alias) => `jsonb_array_elements(:${param}::jsonb) WITH ORDINALITY AS ${alias} (value, key)`,
  joinElements: (from, column, alias) => `${from} CROSS JOIN LATERAL jsonb_array_elements_text(${column}) AS ${alias} (value)`,
  integer: (expr) => `(${expr})::integer`,
  true: 'true',
  false: 'false',
  lockForUpdate: ' FOR UPDATE',
  // NO KEY: a lock that does not block inserts referencing the customer (audit, changes).
  lockCustomer: ' FOR NO KEY UPDATE',
  indexedBy: () => '',
};

export const DIALECTS: Record<DialectName, Dialect> = { sqlite, postgres };

/** A statement as one driver sends it: its text and the names of its parameters in `$n` order (PostgreSQL). */
export interface Rendered {
  sql: string;
  params: readonly string[];
}

// A quoted literal (skipped, so `'HH24:MI'` is no parameter), or a `:name` not part of a `::cast`.
const PARAMETER = /'(?:[^']|'')*'|(?<!:):([A-Za-z_][A-Za-z0-9_]*)/g;

/** Names the parameters of `sql`; for PostgreSQL, numbers them (`$1`, one number per name). */
export function render(dialect: DialectName, sql: string): Rendered {
  const params: string[] = [];
  const text = sql.replace(PARAMETER, (match, name: string | undefined) => {
    if (name === undefined) return match;
    let index = params.indexOf(name);
    if (index < 0) index = params.push(name) - 1;
    return dialect === 'postgres' ? `$${index + 1}` : match;
  });
  return { sql: text, params };
}

/**
 * For SQLite's driver: a statement's `:name` parameters as anonymous `?`s, and the name each
 * takes its value from (a name used twice is bound twice). node:sqlite binds positional values
 * about three times faster than an object of named ones, which it matches by name on every run
 * (3-4 µs against 7-11 µs for the audit insert's nine parameters, on the shared machine), and the
 * store runs about twenty statements per scheduled change.
 */
export function positional(sql: string): { sql: string; names: string[] } {
  const names: string[] = [];
  const text = sql.replace(PARAMETER, (match, name: string | undefined) => {
    if (name === undefined) return match;
    names.push(name);
    return '?';
  });
  return { sql: text, names };
}
