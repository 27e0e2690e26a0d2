// The benchmark's side of bench/usage-probe.ts: asks a measured process for its CPU time and
// memory, or for a CPU profile of a window, over IPC.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { NodeProcess } from '../harness/processes.js';
import { projectRoot } from './paths.js';

export interface ProcessUsage {
  type: 'usage';
  /** User + system CPU time of the whole process since it started, µs. */
  cpuMicros: number;
  heapUsed: number;
  heapTotal: number;
  rss: number;
}

export type ProbeRequest = { type: 'usage' } | { type: 'profile-start'; intervalMicros: number } | { type: 'profile-stop'; path: string };
export type ProbeAnswer = ProcessUsage | { type: 'profile-start' } | { type: 'profile-stop' } | { type: 'error'; message: string };

/** The Node flags that preload the probe (the process must be started with `ipc: true`). */
export const USAGE_PROBE_FLAGS = ['--import', pathToFileURL(join(projectRoot, 'dist/bench/usage-probe.js')).href];

const ANSWER_TIMEOUT_MS = 30_000;

function ask<T extends ProbeAnswer>(measured: NodeProcess, request: ProbeRequest): Promise<T> {
  const child = measured.child;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(`${measured.name}: no ${request.type} answer (started without the probe or IPC?)`))), ANSWER_TIMEOUT_MS);
    const onMessage = (message: ProbeAnswer) => {
      if (message.type === 'error') finish(() => reject(new Error(`${measured.name}: ${message.message}`)));
      else if (message.type === request.type) finish(() => resolve(message as T));
    };
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      settle();
    };
    child.on('message', onMessage);
    child.send(request);
  });
}

export const usageOf = (measured: NodeProcess) => ask<ProcessUsage>(measured, { type: 'usage' });

/** Runs `work` with the process's CPU profiler on; writes the profile (a .cpuprofile) to `path`. */
export async function profiled<T>(measured: NodeProcess, path: string, work: () => Promise<T>): Promise<T> {
  await ask(measured, { type: 'profile-start', intervalMicros: 200 });
  try {
    return await work();
  } finally {
    await ask(measured, { type: 'profile-stop', path });
  }
}

/** CPU time a process spends over the spans it is measured in, for the tasks it served. */
export class CpuMeter {
  private micros = 0;
  private tasks = 0;

  constructor(private readonly measured: NodeProcess) {}

  /** Measures `work`, which reports how many tasks it had the process serve. */
  async around<T>(work: () => Promise<T>, tasksOf: (result: T) => number): Promise<T> {
    const before = await usageOf(this.measured);
    const result = await work();
    const after = await usageOf(this.measured);
    this.micros += after.cpuMicros - before.cpuMicros;
    this.tasks += tasksOf(result);
    return result;
  }

  /** µs of CPU per task served, NaN before any task. */
  get perTask(): number {
    return this.tasks === 0 ? Number.NaN : this.micros / this.tasks;
  }
}
