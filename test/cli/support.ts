// Runs the operator CLI for a test, in-process (runCli with captured streams) or as the
// compiled process (`node dist/src/cli/main.js`, node_modules/.bin first on PATH), against
// a temp BRIDGE_DB and the demo mappings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { runCli } from '../../src/cli/program.js';
import { silentLogger } from '../../src/log.js';
import { startBridge, type Bridge } from '../../src/server.js';
import { entries, runNode, startNpm } from '../../harness/processes.js';
import { demoMappings } from '../helpers/bridge.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}


/** A temp folder with the demo world's environment (no port of the machine is taken). */
export function tempWorld(): { dir: string; env: Record<string, string> & { BRIDGE_DB: string }; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-cli-'));
  return {
    dir,
    env: { BRIDGE_DB: join(dir, 'bridge.db'), BRIDGE_MAPPINGS: demoMappings, SIMULATOR_PORT: '0', BRIDGE_SCHEDULER: 'off' },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The bridge's parts on the world's database and simulator state, as `npm start` would build them. */
export function openBridge(env: Record<string, string>, now?: () => Date): Promise<Bridge> {
  return startBridge(loadConfig(env), { logger: silentLogger, listen: false, ...(now ? { now } : {}) });
}

export async function runInProcess(argv: string[], env: Record<string, string>, input = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    stdin: Readable.from([input]),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

export async function runCompiled(argv: string[], env: Record<string, string>, input = ''): Promise<CliRun> {
  const { code, stdout, stderr } = await runNode(entries.cli, { name: 'bridge CLI', args: argv, env, stdin: input });
  return { code, stdout, stderr };
}

/** `npm run -s bridge -- <argv>`, as an operator's script runs it (prebridge included). */
export async function runNpmBridge(argv: string[], env: Record<string, string>): Promise<CliRun> {
  const npm = startNpm(['run', '-s', 'bridge', '--', ...argv], { env });
  const { code } = await npm.exited;
  return { code, stdout: npm.stdout(), stderr: npm.stderr() };
}
