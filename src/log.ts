// Structured JSON logs (pino). Secrets never reach a log line: request logging
// records paths without query strings, and redactSecrets below catches the
// field names that could carry one if a caller slips.
import { pino, type Logger, type DestinationStream } from 'pino';
import { isoInstant } from './rules/instant.js';

export type { Logger };

/** Field names whose values are secrets wherever a log record holds them. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['api_key', 'apiKey', 'password', 'token', 'authorization']);
export const CENSOR = '[redacted]';
/** How deep a record is searched: `req.headers.authorization` is three levels. */
const SECRET_DEPTH = 3;

/**
 * The record with the value of every secret field (SECRET_FIELDS, up to three levels deep)
 * replaced by "[redacted]". Only what holds a secret is copied; the caller's objects are never
 * changed, and a record without one is returned as it is. This replaces pino's `redact` option,
 * whose wildcard paths re-parse every path for every value of every line (README "Where the time
 * goes").
 */
export function redactSecrets<T>(record: T): T {
  return redacted(record, SECRET_DEPTH) as T;
}

function redacted(value: unknown, depth: number): unknown {
  if (depth === 0 || typeof value !== 'object' || value === null) return value;
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue;
    const child = source[key];
    const replacement = SECRET_FIELDS.has(key) ? CENSOR : redacted(child, depth - 1);
    if (replacement === child) continue;
    copy ??= cloneOf(source);
    Object.defineProperty(copy, key, { value: replacement, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? value;
}

/** A copy that is still what it was (an Error keeps its class, message and stack; an array stays one). */
function cloneOf(source: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(source)) return [...source] as unknown as Record<string, unknown>;
  const copy = Object.create(Object.getPrototypeOf(source) as object | null, Object.getOwnPropertyDescriptors(source)) as Record<string, unknown>;
  // V8's `stack` reads the trace of the object it was captured on: the copy keeps it as a value.
  if (source instanceof Error) Object.defineProperty(copy, 'stack', { value: source.stack, writable: true, configurable: true });
  return copy;
}

export function createLogger(options: { level?: string; name?: string } = {}, destination?: DestinationStream): Logger {
  const logger = pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      // Each record's fields, before pino serialises them (a child's bindings: below).
      formatters: { log: redactSecrets },
      base: { pid: process.pid },
      // pino's isoTime, with the faster formatter.
      timestamp: () => `,"time":"${isoInstant(Date.now())}"`,
    },
    destination,
  );
  // pino serialises a child's bindings once, without the formatter: they are censored on the way
  // in. Children are made from their parent (Object.create), so they all inherit this `child`.
  const childOf = logger.child;
  logger.child = function child(this: Logger, bindings, childOptions) {
    return childOf.call(this, redactSecrets(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

/** For tests and library use: a logger that writes nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });
