// The protocol between store operations and drivers. An operation is a transaction script: a
// generator that yields one Step per statement and receives its result. The SQLite driver steps
// it synchronously between BEGIN IMMEDIATE and COMMIT (nothing else in the process can run in
// between, which a SQLite transaction on a shared connection needs); the PostgreSQL driver
// awaits each statement on the transaction's connection. A statement that fails is thrown into
// the script at its `yield`, so a script may clean up (the migration runner rolls back).
import type { DialectName, Rendered } from './dialect.js';
import type { CustomerLockHold } from './store.js';

/** A value as a statement's parameter (see dialect.ts for the conventions). */
export type Param = string | number | boolean | null | readonly (string | number)[];
export type Params = Record<string, Param>;
/** A row as a driver returns it: column name → value, in the driver's own encoding (see codec.ts). */
export type Row = Record<string, unknown>;

export interface Statement {
  /** For errors and plans. */
  readonly name: string;
  /** null: the dialect needs no such step (the driver answers it with no rows). */
  readonly text: Readonly<Record<DialectName, Rendered | null>>;
  /** Rows come back as arrays of column values (cheaper for long lists). */
  readonly arrays: boolean;
}

export type Step =
  | { kind: 'query'; statement: Statement; params: Params; want: 'rows' | 'count' }
  /** Unparameterised SQL text, possibly several statements (migrations, transaction control). */
  | { kind: 'exec'; sql: string };

export type StepResult = Row[] | number | undefined;
export type Script<T> = Generator<Step, T, StepResult>;

export function* all<R = Row>(statement: Statement, params: Params = {}): Script<R[]> {
  return (yield { kind: 'query', statement, params, want: 'rows' }) as R[];
}

export function* one<R = Row>(statement: Statement, params: Params = {}): Script<R | undefined> {
  const rows = yield* all<R>(statement, params);
  return rows[0];
}

/** The number of rows the statement changed. */
export function* run(statement: Statement, params: Params = {}): Script<number> {
  return (yield { kind: 'query', statement, params, want: 'count' }) as number;
}

export function* exec(sql: string): Script<void> {
  yield { kind: 'exec', sql };
}

/** A statement's parameters in the order of its rendering, each one required. */
export function bind(statement: Statement, rendered: Rendered, params: Params): Param[] {
  return rendered.params.map((name) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`statement ${statement.name}: parameter :${name} is missing`);
    return value;
  });
}

export interface WriteOptions {
  /**
   * The last write of the customer hold it runs in (withCustomerLock): a driver whose lock is a
   * row (SQLite) releases it in the same transaction. Nothing may be written in the hold after it.
   */
  endsHold?: boolean;
}

/**
 * What a store needs from a database. Scripts given to `write` run in one transaction; those
 * given to `read` run without one (each statement sees the latest commit). Both take a function
 * that makes the script, so a driver may run it afresh when the database was busy.
 */
export interface Driver {
  readonly kind: DialectName;
  /** PostgreSQL: the advisory lock key that serialises imports across instances (SQLite has no use for it). */
  readonly importLockKey: number;
  write<T>(script: () => Script<T>, options?: WriteOptions): Promise<T>;
  read<T>(script: () => Script<T>): Promise<T>;
  /** Serialises work on one customer: see Store.withCustomerLock. */
  withCustomerLock<T>(customerId: number, fn: () => Promise<T>, options?: CustomerLockHold): Promise<T>;
  close(): Promise<void>;
}

/**
 * Runs a script to its end synchronously, `execute` answering each step: between two steps
 * nothing else in the process runs (what a SQLite transaction on a shared connection needs).
 */
export function stepSync<T>(script: Script<T>, execute: (step: Step) => StepResult): T {
  let next = script.next();
  while (!next.done) {
    let result: StepResult;
    try {
      result = execute(next.value);
    } catch (error) {
      next = script.throw(error);
      continue;
    }
    next = script.next(result);
  }
  return next.value;
}

/** Runs a script to its end, awaiting each step's answer (PostgreSQL: a round trip per statement). */
export async function stepAsync<T>(script: Script<T>, execute: (step: Step) => Promise<StepResult>): Promise<T> {
  for (let next = script.next(); ; ) {
    if (next.done) return next.value;
    const answer = await execute(next.value).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    next = 'error' in answer ? script.throw(answer.error) : script.next(answer.result);
  }
}
