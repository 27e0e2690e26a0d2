// Which v3 the CLI's scheduler pass talks to. With a real upstream: that URL. With the
// demo's simulator, the world lives in one state file beside the database, and a
// simulator keeps it in memory and rewrites the whole file after each change. A second
// simulator on the same file would lose updates both ways (the running one neither
// sees our writes nor keeps them at its next write), so:
//   - when a simulator on SIMULATOR_PORT keeps its world in our state file (it says so
//     at /_simulator/info), that simulator is the upstream and every change goes
//     through it;
//   - when our database is in use but no such simulator answers, the pass is refused
//     rather than run on a second copy of the world;
//   - otherwise the CLI embeds its own on a free port (SIMULATOR_PORT=0): nothing else
//     holds the state file then.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BridgeConfig } from '../config/config.js';
import type { BridgeOptions } from '../server.js';
import { CliError } from './io.js';

export interface CliUpstream {
  config: BridgeConfig;
  options: Pick<BridgeOptions, 'upstream'>;
  /** For the operator: where the pass's v3 calls went. */
  description: string;
}

export async function chooseUpstream(config: BridgeConfig): Promise<CliUpstream> {
  if (config.upstream.kind === 'url') return { config, options: {}, description: config.upstream.url };

  const { SIMULATOR_PORT: port, BRIDGE_DB, DATABASE_URL } = config.env;
  // SQLite keeps its `-wal` file while a connection is open; PostgreSQL shows no such sign.
  const databaseInUse = !DATABASE_URL && BRIDGE_DB !== ':memory:' && existsSync(`${BRIDGE_DB}-wal`);
  const running = port !== 0 ? await servesStateFile(port, config.simulatorStateFile) : undefined;
  if (running) {
    // Same keys as the embedded case (v3Keys holds the simulator's); no local rate limit, as embedded.
    const rate = config.env.SENDGRID_RATE_LIMIT;
    return {
      config: { ...config, upstream: { kind: 'url', url: running } },
      options: rate === undefined ? { upstream: { ratePerSecond: Number.POSITIVE_INFINITY } } : {},
      description: `running simulator ${running} (state ${config.simulatorStateFile})`,
    };
  }
  if (databaseInUse)
    throw new CliError(
      `${BRIDGE_DB} is in use (a bridge is running?), but no simulator on SIMULATOR_PORT=${port} serves ${config.simulatorStateFile}: ` +
        'run with the SIMULATOR_PORT of the running bridge, or stop it first (a second simulator on the same state file would lose changes). ' +
        `If no bridge is running, a crash left ${BRIDGE_DB}-wal behind: start and stop the bridge once.`,
    );
  return {
    config: { ...config, env: { ...config.env, SIMULATOR_PORT: 0 } },
    options: {},
    description: `embedded simulator (state ${config.simulatorStateFile})`,
  };
}

/** The URL of a simulator on `port` that keeps its world in `stateFile`, else undefined. */
async function servesStateFile(port: number, stateFile: string): Promise<string | undefined> {
  const url = `http://127.0.0.1:${port}`;
  try {
    const answer = await fetch(`${url}/_simulator/info`, { signal: AbortSignal.timeout(2_000) });
    if (!answer.ok) return undefined;
    const body = (await answer.json()) as { state_file?: unknown };
    return body.state_file === resolve(stateFile) ? url : undefined;
  } catch {
    return undefined; // nothing listening, or not a simulator
  }
}
