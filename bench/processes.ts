// The bridge and the v3 simulator as their own processes (as in production, and so the
// bridge's memory can be measured apart from the load generator's), through the harness.
import { request } from 'undici';
import { freePort, runNode, startNode, waitUntil, type NodeProcess, type StartOptions } from '../harness/processes.js';
import { compiled } from './paths.js';
import { USAGE_PROBE_FLAGS } from './usage.js';
import { MAIN_RESELLER, SECOND_RESELLER_V3_KEY } from './world.js';

export { freePort };

/** v3 requests per second per key: far above what 2 cores can send, so the bridge's own bucket never throttles. */
export const UNTHROTTLED_RATE = 1_000_000;
const READY_TIMEOUT_MS = 60_000;

export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  readonly process: NodeProcess;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number;
  /** Resident set size now (VmRSS), in bytes. */
  rss(): number;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(mappings: string): Promise<RunningProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startListening('simulator', compiled.simulator, url, `${url}/_simulator/faults`, {
    env: { BRIDGE_MAPPINGS: mappings, SIMULATOR_PORT: String(port), LOG_LEVEL: 'warn' },
  });
}

/** A process started under a tool (callgrind: bench/task-instructions.ts), which starts it many times slower. */
export interface UnderTool {
  /** The tool's command and options, before the pinned Node. */
  wrapper?: string[];
  /** How long it may take to answer its readiness probe; default a minute. */
  readyTimeoutMs?: number;
}

export interface BridgeProcessOptions extends UnderTool {
  mappings: string;
  db: string;
  upstreamUrl: string;
  /** Node flags before the entry (memory settings, `--cpu-prof`). */
  nodeArgs?: string[];
  /** Variables added to its environment (the start script's memory settings, e.g. MALLOC_ARENA_MAX). */
  nodeEnv?: Record<string, string>;
  /** Another build's entry (`--baseline`: a copy of an earlier dist/), instead of this one's. */
  script?: string | undefined;
}

/** `npm start` as an operator runs it against a real upstream (the scheduler off: nothing here is due). */
export async function startBridgeProcess(options: BridgeProcessOptions): Promise<RunningProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startListening('bridge', options.script ?? compiled.bridge, url, `${url}/healthz`, {
    ...underTool(options),
    nodeArgs: options.nodeArgs ?? [],
    env: {
      ...options.nodeEnv,
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
      // The default log level, as operated: one access-log line per request, to a pipe.
    },
    keepOutput: 64 * 1024,
  });
}

export interface FloorProcessOptions extends UnderTool {
  world: string;
  upstreamUrl: string;
  nodeArgs?: string[];
  /** A SQLite file: the floor also keeps the durability promises through the bridge's store (bench/floor-task.ts). */
  store?: string;
  /** Served on the bridge's stack (bench/floor-on-stack.ts; needs `store`). */
  onStack?: boolean;
  nodeEnv?: Record<string, string>;
}

/** The floor forwarder (bench/floor.ts), or the floor with the promised writes on the bridge's stack (bench/floor-on-stack.ts). */
export async function startFloorProcess(options: FloorProcessOptions): Promise<RunningProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const name = options.onStack ? 'promised writes on the stack' : options.store ? 'floor with the promised writes' : 'floor';
  return startListening(name, options.onStack ? compiled.floorOnStack : compiled.floor, url, `${url}/`, {
    ...underTool(options),
    nodeArgs: options.nodeArgs ?? [],
    // Its access log goes to a pipe, kept as the bridge's is.
    ...(options.onStack ? { keepOutput: 64 * 1024 } : {}),
    env: {
      ...options.nodeEnv,
      FLOOR_PORT: String(port),
      FLOOR_UPSTREAM: options.upstreamUrl,
      FLOOR_KEY: MAIN_RESELLER.v3Key,
      FLOOR_WORLD: options.world,
      ...(options.store ? { FLOOR_STORE: options.store } : {}),
    },
  });
}

/** Runs a node entry to completion and returns its stdout (the last line is its JSON result). */
export async function runNodeToEnd(name: string, script: string, env: Record<string, string>, args: string[] = [], nodeArgs: string[] = [], nodeEnv: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  const run = await runNode(script, { name, env: { ...nodeEnv, ...env }, args, nodeArgs });
  if (run.code !== 0) throw new Error(`${name} exited with ${run.signal ?? run.code}\n${run.output.slice(-4000)}`);
  return { stdout: run.stdout, stderr: run.stderr };
}

/**
 * Starts an entry that listens on a port chosen here, with the usage probe preloaded (its CPU
 * time and memory over IPC: bench/usage.ts); ready once `probeUrl` answers 200.
 */
export async function startListening(name: string, script: string, url: string, probeUrl: string, options: StartOptions & Pick<UnderTool, 'readyTimeoutMs'>): Promise<RunningProcess> {
  const started = startNode(script, { name, ...options, ipc: true, nodeArgs: [...USAGE_PROBE_FLAGS, ...(options.nodeArgs ?? [])] });
  try {
    await waitUntil(`${name} answering ${probeUrl}`, () => answers200(probeUrl), { timeoutMs: options.readyTimeoutMs ?? READY_TIMEOUT_MS, intervalMs: 50, process: started });
  } catch (error) {
    await started.kill();
    throw error;
  }
  return {
    name,
    pid: started.pid,
    url,
    process: started,
    peakRss: () => started.peakRss(),
    rss: () => started.rss(),
    stop: async () => void (await started.stop()),
  };
}

function underTool({ wrapper, readyTimeoutMs }: UnderTool): UnderTool {
  return { ...(wrapper ? { wrapper } : {}), ...(readyTimeoutMs ? { readyTimeoutMs } : {}) };
}

async function answers200(url: string): Promise<boolean> {
  const answer = await request(url, { headersTimeout: 1_000, bodyTimeout: 1_000 });
  await answer.body.dump();
  return answer.statusCode === 200;
}
