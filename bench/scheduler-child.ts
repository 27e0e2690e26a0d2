// The bridge's scheduler in a process of its own, for benchmark 3: starts the bridge
// from the environment (as `npm start` would, without listening), runs one pass over
// the due changes, and prints its result line (scheduler-result.ts).
// Argument: JSON of scheduler options to override (batchSize, concurrency). With
// BENCH_CPU_PROFILE set, the pass (and only the pass) runs under the V8 CPU profiler and the
// profile is written to that path.
import { writeFileSync, writeSync } from 'node:fs';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/log.js';
import type { SchedulerOptions } from '../src/scheduler/due-change-runner.js';
import { startBridge } from '../src/server.js';
import { procStatusField } from '../harness/processes.js';
import { RESULT_PREFIX, type SchedulerChildResult } from './scheduler-result.js';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Partial<Pick<SchedulerOptions, 'batchSize' | 'concurrency'>>;
// Logs as `npm start` writes them (src/main.ts): the default level, off the event loop.
const destination = pino.destination({ dest: 1, sync: false });
process.once('exit', () => destination.flushSync());
const bridge = await startBridge(loadConfig(process.env), {
  logger: createLogger({ name: 'reseller-bridge' }, destination),
  listen: false,
  scheduler: overrides,
});
try {
  const rssBeforePass = procStatusField(process.pid, 'VmRSS');
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const pass = await profiledIfAsked(() => bridge.scheduler.runPass(new Date()));
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  const appliedInStore = (await bridge.store.listChanges({ statuses: ['applied'] })).length;
  const result: SchedulerChildResult = { seconds, cpuMicros: cpu.user + cpu.system, pass, appliedInStore, rssBeforePass, peakRss: procStatusField(process.pid, 'VmHWM') };
  // After the buffered log lines, never in the middle of one.
  destination.flushSync();
  writeSync(1, `${RESULT_PREFIX}${JSON.stringify(result)}\n`);
} finally {
  await bridge.close();
}

async function profiledIfAsked<T>(work: () => Promise<T>): Promise<T> {
  const path = process.env.BENCH_CPU_PROFILE;
  if (!path) return work();
  const session = new (await import('node:inspector/promises')).Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    writeFileSync(path, JSON.stringify(profile));
  }
}
