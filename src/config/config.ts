// Start-up configuration: the environment and the mappings, cross-checked once.
import { dirname, join } from 'node:path';
import { ConfigError } from './errors.js';
import { parseEnv, type Env } from './env.js';
import { loadMappings, type Mappings, type ResellerMapping } from './mappings.js';

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

export function loadConfig(processEnv: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const env = parseEnv(processEnv);
  const mappings = loadMappings(env.BRIDGE_MAPPINGS);
  const seed = mappings.simulatorSeed;
  const problems: string[] = [];

  let upstream: Upstream;
  if (env.SENDGRID_API_URL === undefined || env.SENDGRID_API_URL === 'simulator') {
    upstream = { kind: 'simulator' };
    if (!seed)
      problems.push(
        env.SENDGRID_API_URL === undefined
          ? `environment: SENDGRID_API_URL: required, since ${join(mappings.folder, 'simulator.json')} (the demo world) is absent`
          : `environment: SENDGRID_API_URL: "simulator" needs ${join(mappings.folder, 'simulator.json')}, which is absent`,
      );
  } else {
    upstream = { kind: 'url', url: env.SENDGRID_API_URL };
  }

  const simulatorKeys = new Map<string, string>();
  if (upstream.kind === 'simulator' && seed) {
    seed.resellers.forEach((r, i) =>
      simulatorKeys.set(r.api_user, i === 0 && env.SIMULATOR_API_KEY ? env.SIMULATOR_API_KEY : r.demo_key),
    );
  }

  const v3Keys = new Map<string, string>();
  for (const reseller of mappings.resellers) {
    const key = keyFor(reseller, processEnv, simulatorKeys, upstream, problems);
    if (key) v3Keys.set(reseller.api_user, key);
  }
  if (problems.length) throw new ConfigError(problems);

  return {
    env,
    mappings,
    upstream,
    v3Keys,
    simulatorKeys,
    simulatorStateFile: join(dirname(env.BRIDGE_DB), 'simulator-state.json'),
  };
}

function keyFor(
  reseller: ResellerMapping,
  processEnv: NodeJS.ProcessEnv,
  simulatorKeys: ReadonlyMap<string, string>,
  upstream: Upstream,
  problems: string[],
): string | undefined {
  const fromEnv = processEnv[reseller.api_key_env] || undefined;
  const where = `environment: ${reseller.api_key_env} (v3 key of reseller "${reseller.api_user}")`;
  if (upstream.kind === 'url') {
    if (!fromEnv) problems.push(`${where}: required with a real upstream`);
    return fromEnv;
  }
  if (simulatorKeys.size === 0) return undefined; // no demo seed: already reported above
  const simulatorKey = simulatorKeys.get(reseller.api_user);
  if (!simulatorKey) {
    problems.push(`${where}: the simulator seed has no reseller "${reseller.api_user}"`);
    return undefined;
  }
  if (fromEnv && fromEnv !== simulatorKey)
    problems.push(`${where}: differs from the key the embedded simulator accepts (SIMULATOR_API_KEY or the seed's demo key)`);
  return simulatorKey;
}
