// The simulator and the bridge as their own processes (compiled dist/, the pinned Node 24 first
// on PATH), so the bridge can be killed while the simulator keeps its state and counters.
import { spawn, type ChildProcess } from 'node:child_process';
import { delimiter, resolve } from 'node:path';
import { projectRoot } from '../helpers/bridge.js';

const PATH = `${resolve(projectRoot, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`;

export interface Child {
  process: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

export function spawnNode(entry: string, env: Record<string, string>): Child {
  const child = spawn('node', [resolve(projectRoot, entry)], {
    cwd: projectRoot,
    env: { PATH, HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { process: child, exited, output: () => output };
}

/** Resolves the first match of `pattern` in the child's output; fails if it exits first or takes too long. */
export async function waitForOutput(child: Child, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(child.output());
    if (match) return match;
    if (child.process.exitCode !== null || Date.now() > deadline)
      throw new Error(`no ${pattern} from the child (exit ${child.process.exitCode}):\n${child.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function kill(child: Child, signal: NodeJS.Signals): Promise<number | null> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return child.process.exitCode;
  child.process.kill(signal);
  return child.exited;
}

export async function startSimulatorProcess(env: { BRIDGE_MAPPINGS: string; SIMULATOR_STATE: string }): Promise<{ child: Child; url: string }> {
  const child = spawnNode('dist/src/simulator/main.js', { SIMULATOR_PORT: '0', LOG_LEVEL: 'warn', ...env });
  const [, url] = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { child, url: url! };
}

/** Admin calls of a simulator in its own process (no key, never faulted). */
export function simulatorAdmin(url: string) {
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/_simulator/${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    if (!res.ok) throw new Error(`${method} /_simulator/${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : ((await res.json()) as any);
  };
  return {
    reset: () => admin('POST', 'reset'),
    faults: () => admin('GET', 'faults'),
    setFaults: (patch: object) => admin('PUT', 'faults', patch),
    clearFaults: () => admin('DELETE', 'faults'),
    writes: (id: string): Promise<{ offerings: number; state: number }> => admin('GET', `writes/${encodeURIComponent(id)}`),
    account: (id: string): Promise<{ offerings: { name: string; quantity?: number }[] }> =>
      admin('GET', `accounts/${encodeURIComponent(id)}`),
  };
}
