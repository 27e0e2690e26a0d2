// The environment (DESIGN.md §2), validated once at start-up.
import { z } from 'zod';
import { ConfigError, describeIssues } from './errors.js';

const port = z.coerce.number().int().min(0).max(65535);

const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  SENDGRID_API_URL: z
    .union([z.literal('simulator'), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL or "simulator"' })])
    .optional(),
  BRIDGE_MAPPINGS: z.string().min(1).default('./mappings'),
  BRIDGE_DB: z.string().min(1).default('./data/bridge.db'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  SIMULATOR_PORT: port.default(3001),
  SIMULATOR_API_KEY: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Off switch for tests and the operator CLI, which drive passes themselves. */
  BRIDGE_SCHEDULER: z.enum(['on', 'off']).default('on'),
  BRIDGE_SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(50).default(30_000),
  /** How long a claimed change is ours before another pass (or instance) may take it over. */
  /** Up to this much random delay is added to each pass, so instances do not claim in lockstep. */
  BRIDGE_SCHEDULER_JITTER_MS: z.coerce.number().int().min(0).default(2_000),
  BRIDGE_SCHEDULER_LEASE_MS: z.coerce.number().int().min(100).default(120_000),
  /**
   * How long after its last attempt a write v3 never answered may still land; it is settled by
   * reading v3 back after this (README "Uncertain writes"). Default 60 s: several times the v3
   * client's longest attempt (10 s for headers, 10 s per body stall).
   */
  BRIDGE_WRITE_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** Legacy errors answered with HTTP 200 as the original server did (`original`), or with real statuses (`http`). */
  BRIDGE_LEGACY_STATUSES: z.enum(['original', 'http']).default('original'),
  /** v3 requests per second per key (a token bucket shared by the edge and the scheduler). */
  SENDGRID_RATE_LIMIT: z.coerce.number().positive().optional(),
  /** How long a shutdown waits for requests and scheduler attempts in flight before cutting them. */
  BRIDGE_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
  /** How often the readiness checks (store, each reseller's v3 key) run in the background. */
  BRIDGE_READINESS_INTERVAL_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** The admin listener (metrics, operator routes): loopback only unless a token guards it. */
  ADMIN_PORT: port.default(3002),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  BRIDGE_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** A caller with no legacy call for this many days is ready for the sunset (operator page, `bridge usage`). */
  BRIDGE_SUNSET_QUIET_DAYS: z.coerce.number().int().min(1).default(14),
}).superRefine((env, ctx) => {
  if (!isLoopbackHost(env.ADMIN_HOST) && env.BRIDGE_ADMIN_TOKEN === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['BRIDGE_ADMIN_TOKEN'],
      message: `required when ADMIN_HOST (${env.ADMIN_HOST}) is not a loopback address: the admin listener would be open to the network`,
    });
});

/** True for the addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export type Env = z.infer<typeof envSchema>;

export function parseEnv(env: NodeJS.ProcessEnv = process.env): Env {
  // An empty variable means "unset": shells and compose files often export blanks.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) throw new ConfigError(describeIssues('environment', result.error));
  return result.data;
}
