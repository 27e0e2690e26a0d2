// The bridge and the v3 simulator as their own processes (as in production, and so the
// bridge's memory can be measured apart from the load generator's).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'undici';
import { peakRssOf } from './memory.js';
import { compiled } from './paths.js';
import { MAIN_RESELLER, SECOND_RESELLER_V3_KEY } from './world.js';

/** v3 requests per second per key: far above what 2 cores can send, so the bridge's own bucket never throttles. */
export const UNTHROTTLED_RATE = 1_000_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export async function startSimulatorProcess(mappings: string): Promise<RunningProcess> {
  const port = await freePort();
  const child = spawnNode('simulator', compiled.simulator, {
    BRIDGE_MAPPINGS: mappings,
    SIMULATOR_PORT: String(port),
    LOG_LEVEL: 'warn',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(child, `${url}/_simulator/faults`);
  return handle('simulator', child, url);
}

export interface BridgeProcessOptions {
  mappings: string;
  db: string;
  upstreamUrl: string;
}

/** `npm start` as an operator runs it against a real upstream (the scheduler off: nothing here is due). */
export async function startBridgeProcess(options: BridgeProcessOptions): Promise<RunningProcess> {
  const port = await freePort();
  const child = spawnNode('bridge', compiled.bridge, {
    SENDGRID_API_URL: options.upstreamUrl,
    SENDGRID_API_KEY: MAIN_RESELLER.v3Key,
    SECOND_RESELLER_API_KEY: SECOND_RESELLER_V3_KEY,
    SENDGRID_RATE_LIMIT: String(UNTHROTTLED_RATE),
    BRIDGE_MAPPINGS: options.mappings,
    BRIDGE_DB: options.db,
    BRIDGE_SCHEDULER: 'off',
    HOST: '127.0.0.1',
    PORT: String(port),
    ADMIN_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(child, `${url}/healthz`);
  return handle('bridge', child, url);
}

/** Runs a node entry to completion and returns its stdout (the last line is its JSON result). */
export function runNodeToEnd(name: string, script: string, env: Record<string, string>, args: string[] = []): Promise<{ stdout: string; stderr: string }> {
  const child = spawnNode(name, script, env, args);
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const stderr = outputTail(child);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${name} exited with ${signal ?? code}\n${stderr}`));
    });
  });
}

const tails = new WeakMap<ChildProcess, string[]>();
const running = new Set<ChildProcess>();
// A crashed benchmark must not leave its children behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function spawnNode(name: string, script: string, env: Record<string, string>, args: string[] = []): ChildProcess {
  // Only what the child needs, plus PATH: no stray configuration from the caller's shell.
  const child = spawn(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  // Keep the last lines of output to explain a failure; never let a full pipe stall the child.
  const tail: string[] = [];
  tails.set(child, tail);
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString());
    if (tail.length > 20) tail.shift();
  };
  child.stderr!.on('data', keep);
  child.stdout!.on('data', keep);
  return child;
}

function outputTail(child: ChildProcess): string {
  return (tails.get(child) ?? []).join('').slice(-4000);
}

async function waitUntilReady(child: ChildProcess, probeUrl: string): Promise<void> {
  const giveUpAt = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < giveUpAt) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`process exited during start-up (${child.signalCode ?? child.exitCode}):\n${outputTail(child)}`);
    try {
      const answer = await request(probeUrl, { headersTimeout: 1_000, bodyTimeout: 1_000 });
      await answer.body.dump();
      if (answer.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`not ready after ${READY_TIMEOUT_MS} ms: ${probeUrl}\n${outputTail(child)}`);
}

function handle(name: string, child: ChildProcess, url: string): RunningProcess {
  const pid = child.pid!;
  return {
    name,
    pid,
    url,
    peakRss: () => peakRssOf(pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
