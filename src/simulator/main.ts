// `npm run simulator`: the v3 simulator in its own process, seeded from a demo
// mappings folder. Environment: SIMULATOR_PORT (3001), SIMULATOR_API_KEY (the seed's
// first demo key), BRIDGE_MAPPINGS (./mappings), SIMULATOR_STATE (optional state file),
// LOG_LEVEL. Keys are never logged.
import { resolve } from 'node:path';
import * as z from 'zod';
import { ConfigError, describeIssues } from '../config/errors.js';
import { loadMappings } from '../config/mappings.js';
import { createLogger } from '../log.js';
import { startSimulator } from './server.js';

const envSchema = z.object({
  SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  SIMULATOR_API_KEY: z.string().min(1).optional(),
  BRIDGE_MAPPINGS: z.string().min(1).default('./mappings'),
  SIMULATOR_STATE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

function readEnv(env: NodeJS.ProcessEnv) {
  // An empty variable means "unset", as in the bridge's own configuration.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) throw new ConfigError(describeIssues('environment', parsed.error));
  return parsed.data;
}

async function main(): Promise<void> {
  const env = readEnv(process.env);
  const logger = createLogger({ level: env.LOG_LEVEL, name: 'simulator' });
  const folder = resolve(env.BRIDGE_MAPPINGS);
  const seed = loadMappings(folder).simulatorSeed;
  if (!seed) throw new ConfigError([`${folder}/simulator.json: file is missing (the simulator needs a demo world to serve)`]);

  const sim = await startSimulator({
    seed,
    port: env.SIMULATOR_PORT,
    logger,
    ...(env.SIMULATOR_API_KEY ? { apiKeyOverride: env.SIMULATOR_API_KEY } : {}),
    ...(env.SIMULATOR_STATE ? { stateFile: resolve(env.SIMULATOR_STATE) } : {}),
  });
  logger.info(
    { url: sim.url, mappings: folder, resellers: seed.resellers.length, accounts: sim.accounts().length, stateFile: env.SIMULATOR_STATE },
    'v3 simulator listening',
  );
  process.stdout.write(`v3 simulator listening on ${sim.url}\n`);

  const stop = (signal: string) => {
    logger.info({ signal }, 'v3 simulator stopping');
    sim.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`simulator: ${message}\n`);
  process.exit(1);
});
