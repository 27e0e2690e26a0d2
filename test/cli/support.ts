// Runs the operator CLI for a test, in-process (runCli with captured streams) or as the
// compiled process (`node dist/src/cli/main.js`, node_modules/.bin first on PATH), against
// a temp BRIDGE_DB and the demo mappings.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { runCli } from '../../src/cli/program.js';
import { silentLogger } from '../../src/log.js';
import { startBridge, type Bridge } from '../../src/server.js';
import { entries, runNode } from '../../harness/processes.js';
import { demoMappings, projectRoot } from '../helpers/bridge.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const PATH = `${resolve(projectRoot, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`;
const entry = resolve(projectRoot, entries.cli);

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

/** Builds dist/ when the CLI's compiled entry is missing or older than its sources. */
export function ensureBuilt(): void {
  const sources = readdirSync(resolve(projectRoot, 'src/cli'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => statSync(resolve(projectRoot, 'src/cli', f)).mtimeMs);
  if (existsSync(entry) && statSync(entry).mtimeMs >= Math.max(...sources)) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: projectRoot, env: { ...process.env, PATH }, stdio: 'pipe' });
  } catch {
    // tsc still emits when other parts of the tree have type errors; the entry must exist below.
  }
  if (!existsSync(entry)) throw new Error(`${entry} was not built: run npm run build`);
}
