// The environment (DESIGN.md §2), validated once at start-up. Every problem names its variable
// in plain words ("PORT must be an integer from 0 to 65535"); the values of variables that may
// hold a secret (keys, tokens, URLs with credentials) are never repeated.
import * as z from 'zod';
import { ConfigError, plainProblem } from './errors.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A whole number in [min, max], one message for every way of missing it. */
function integer(min: number, max?: number, note = '') {
  const error = `must be ${max === undefined ? `a whole number, at least ${min}` : `an integer from ${min} to ${max}`}${note}`;
  const checked = z.coerce.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? checked : checked.max(max, { error });
}

const port = () => integer(0, 65535, ' (0 takes a free port)');
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

// Built for each check, not held: the environment is read once at start-up, and the schema's
// objects (about 0.14 MiB) would otherwise stay in the heap for the process's life.
const envSchema = () => z.object({
  PORT: port().default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  SENDGRID_API_URL: z
    .union([z.literal('simulator'), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL or "simulator"' })], {
      error: 'must be an http(s) URL or "simulator"',
    })
    .optional(),
  BRIDGE_MAPPINGS: z.string().min(1).default('./mappings'),
  BRIDGE_DB: z.string().min(1).default('./data/bridge.db'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  SIMULATOR_PORT: port().default(3001),
  SIMULATOR_API_KEY: z.string().min(1).optional(),
  LOG_LEVEL: oneOf(LOG_LEVELS).default('info'),
  /** Off switch for tests and the operator CLI, which drive passes themselves. */
  BRIDGE_SCHEDULER: oneOf(['on', 'off']).default('on'),
  BRIDGE_SCHEDULER_INTERVAL_MS: integer(50).default(30_000),
  /** Up to this much random delay is added to each pass, so instances do not claim in lockstep. */
  BRIDGE_SCHEDULER_JITTER_MS: integer(0).default(2_000),
  /** How long a claimed change is ours before another pass (or instance) may take it over. */
  BRIDGE_SCHEDULER_LEASE_MS: integer(100).default(120_000),
  /**
   * How long after its last attempt a write v3 never answered may still land; it is settled by
   * reading v3 back after this (README "Uncertain writes"). Default 60 s: several times the v3
   * client's longest attempt (10 s for headers, 10 s per body stall).
   */
  BRIDGE_WRITE_GRACE_MS: integer(0, 3_600_000).default(60_000),
  /** Legacy errors answered with HTTP 200 as the original server did (`original`), or with real statuses (`http`). */
  BRIDGE_LEGACY_STATUSES: oneOf(['original', 'http']).default('original'),
  /** v3 requests per second per key (a token bucket shared by the edge and the scheduler). */
  SENDGRID_RATE_LIMIT: z.coerce.number({ error: 'must be a number above 0' }).positive({ error: 'must be a number above 0' }).optional(),
  /** How long a shutdown waits for requests and scheduler attempts in flight before cutting them. */
  BRIDGE_SHUTDOWN_TIMEOUT_MS: integer(0).default(25_000),
  /** How often the readiness checks (store, each reseller's v3 key) run in the background. */
  BRIDGE_READINESS_INTERVAL_MS: integer(1_000).default(30_000),
  /** The admin listener (metrics, operator routes): loopback only unless a token guards it. */
  ADMIN_PORT: port().default(3002),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  BRIDGE_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** A caller with no legacy call for this many days is ready for the sunset (operator page, `bridge usage`). */
  BRIDGE_SUNSET_QUIET_DAYS: integer(1).default(14),
}).superRefine((env, ctx) => {
  if (!isLoopbackHost(env.ADMIN_HOST) && env.BRIDGE_ADMIN_TOKEN === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['BRIDGE_ADMIN_TOKEN'],
      message: `is required when ADMIN_HOST (${env.ADMIN_HOST}) is not a loopback address: the admin listener would be open to the network`,
    });
});

/** Variables whose value a problem may quote (none of them can carry a secret). */
const QUOTABLE = new Set([
  'PORT', 'HOST', 'SIMULATOR_PORT', 'ADMIN_PORT', 'ADMIN_HOST', 'LOG_LEVEL', 'BRIDGE_SCHEDULER', 'BRIDGE_SCHEDULER_INTERVAL_MS',
  'BRIDGE_SCHEDULER_JITTER_MS', 'BRIDGE_SCHEDULER_LEASE_MS', 'BRIDGE_LEGACY_STATUSES', 'SENDGRID_RATE_LIMIT',
  'BRIDGE_SHUTDOWN_TIMEOUT_MS', 'BRIDGE_READINESS_INTERVAL_MS', 'BRIDGE_SUNSET_QUIET_DAYS',
]);

/** True for the addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export type Env = z.infer<ReturnType<typeof envSchema>>;

/** The environment, or every problem in it (one line each, naming the variable). */
export function checkEnv(env: NodeJS.ProcessEnv = process.env): { env: Env; problems: [] } | { env: undefined; problems: string[] } {
  // An empty variable means "unset": shells and compose files often export blanks.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema().safeParse(present);
  if (result.success) return { env: result.data, problems: [] };
  return { env: undefined, problems: result.error.issues.map((issue) => envProblem(issue, present)) };
}

/** `LOG_LEVEL must be one of fatal, …; got "verbose"`. */
export function envProblem(issue: z.core.$ZodIssue, present: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? 'environment');
  const value = present[name];
  const got = value !== undefined && QUOTABLE.has(name) ? `; got ${JSON.stringify(value)}` : '';
  return `${name} ${plainProblem(issue, value)}${got}`;
}

export function parseEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const checked = checkEnv(env);
  if (checked.env === undefined) throw new ConfigError(checked.problems);
  return checked.env;
}
