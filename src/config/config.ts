// Start-up configuration: the environment and the mappings, cross-checked once. Every problem
// of both is reported together, one line each, before anything starts.
import { dirname, join } from 'node:path';
import { databasePathProblem } from './database-path.js';
import { ConfigError } from './errors.js';
import { checkEnv, type Env } from './env.js';
import { checkMappings, type Mappings, type ResellerMapping } from './mappings.js';

export type Upstream = { kind: 'simulator' } | { kind: 'url'; url: string };

export interface BridgeConfig {
  env: Env;
  mappings: Mappings;
  upstream: Upstream;
  /** Each reseller's v3 key by api_user. Secret: never log this map. */
  v3Keys: ReadonlyMap<string, string>;
  /** Keys the embedded simulator accepts, by api_user (simulator upstream only). */
  simulatorKeys: ReadonlyMap<string, string>;
  /** Where the embedded simulator keeps its state: beside the database, so both restart together. */
  simulatorStateFile: string;
}

export interface LoadOptions {
  /** Check the upstream and every reseller's v3 key (default); false for the commands that only read the store. */
  upstream?: boolean;
  /** Make BRIDGE_DB's missing folders now, so a path that cannot exist is reported with the rest (npm start). */
  createDatabaseFolder?: boolean;
}

export function loadConfig(processEnv: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): BridgeConfig {
  const checked = checkEnv(processEnv);
  const env = checked.env;
  const problems: string[] = [...checked.problems];
  const url = env ? env.SENDGRID_API_URL : processEnv.SENDGRID_API_URL || undefined;
  const upstream: Upstream = url === undefined || url === 'simulator' ? { kind: 'simulator' } : { kind: 'url', url };
  // The mappings are read even when the environment is wrong, so one run names every problem.
  const mappings = checkMappings(env?.BRIDGE_MAPPINGS ?? processEnv.BRIDGE_MAPPINGS ?? './mappings', problems, {
    simulatorSeed: upstream.kind === 'simulator',
  });
  if (env && !env.DATABASE_URL) {
    const dbProblem = databasePathProblem(env.BRIDGE_DB, options.createDatabaseFolder ?? false);
    if (dbProblem) problems.push(dbProblem);
  }
  const seed = mappings?.simulatorSeed;
  const folder = mappings?.folder ?? processEnv.BRIDGE_MAPPINGS ?? './mappings';
  // With the environment wrong, the URL and the keys are still checked from the raw variables.
  const checkUpstream = options.upstream !== false;

  if (checkUpstream && upstream.kind === 'simulator' && mappings && !seed)
    problems.push(
      url === undefined
        ? `SENDGRID_API_URL is required: ${join(folder, 'simulator.json')} (the demo world) is absent, so there is no simulator to default to`
        : `SENDGRID_API_URL "simulator" needs ${join(folder, 'simulator.json')}, which is absent`,
    );

  const simulatorKeys = new Map<string, string>();
  if (upstream.kind === 'simulator' && seed) {
    seed.resellers.forEach((r, i) =>
      simulatorKeys.set(r.api_user, i === 0 && env?.SIMULATOR_API_KEY ? env.SIMULATOR_API_KEY : r.demo_key),
    );
  }

  const v3Keys = new Map<string, string>();
  if (checkUpstream && mappings)
    for (const reseller of mappings.resellers) {
      const key = keyFor(reseller, processEnv, simulatorKeys, seed !== undefined && upstream.kind === 'simulator', problems);
      if (key) v3Keys.set(reseller.api_user, key);
    }
  if (problems.length || !env || !mappings) throw new ConfigError(problems);

  return {
    env,
    mappings,
    upstream,
    v3Keys,
    simulatorKeys,
    simulatorStateFile: join(dirname(env.BRIDGE_DB), 'simulator-state.json'),
  };
}

/** The reseller's v3 key: its variable with a real upstream (or no upstream yet), the seed's with the simulator. */
function keyFor(
  reseller: ResellerMapping,
  processEnv: NodeJS.ProcessEnv,
  simulatorKeys: ReadonlyMap<string, string>,
  embedded: boolean,
  problems: string[],
): string | undefined {
  const fromEnv = processEnv[reseller.api_key_env] || undefined;
  const variable = `${reseller.api_key_env} (the v3 key of reseller "${reseller.api_user}")`;
  if (!embedded) {
    if (!fromEnv) problems.push(`${variable} is not set: a real upstream needs every reseller's key`);
    return fromEnv;
  }
  const simulatorKey = simulatorKeys.get(reseller.api_user);
  if (!simulatorKey) {
    problems.push(`${variable}: the simulator seed has no reseller "${reseller.api_user}"`);
    return undefined;
  }
  if (fromEnv && fromEnv !== simulatorKey)
    problems.push(`${variable} differs from the key the embedded simulator accepts (SIMULATOR_API_KEY or the seed's demo key)`);
  return simulatorKey;
}
