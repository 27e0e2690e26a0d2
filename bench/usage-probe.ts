// Preloaded (`node --import`) into a process the benchmark measures. Over the IPC channel the
// harness opens it answers `usage` with the process's own CPU time and memory (so CPU per task is
// the process's `process.cpuUsage()` delta, not an estimate from outside), and `profile-start` /
// `profile-stop` with a V8 CPU profile of just that window (the profiler `--cpu-prof` uses).
// Without an IPC channel it does nothing; the channel never keeps the process alive.
import { writeFileSync } from 'node:fs';
import type { Session } from 'node:inspector/promises';
import type { ProbeAnswer, ProbeRequest } from './usage.js';

if (process.send && process.channel) {
  let session: Session | undefined;
  const answer = (message: ProbeAnswer) => process.send!(message);
  const handle = async (request: ProbeRequest): Promise<ProbeAnswer> => {
    switch (request.type) {
      case 'usage': {
        const cpu = process.cpuUsage();
        const memory = process.memoryUsage();
        return { type: 'usage', cpuMicros: cpu.user + cpu.system, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, rss: memory.rss };
      }
      case 'profile-start':
        // Loaded only when asked: the probe must not add to the memory it helps measure.
        session = new (await import('node:inspector/promises')).Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: request.intervalMicros });
        await session.post('Profiler.start');
        return { type: 'profile-start' };
      case 'profile-stop': {
        if (!session) throw new Error('no profile started');
        const { profile } = await session.post('Profiler.stop');
        session.disconnect();
        session = undefined;
        writeFileSync(request.path, JSON.stringify(profile));
        return { type: 'profile-stop' };
      }
    }
  };
  process.on('message', (message: ProbeRequest) => {
    handle(message).then(answer, (error: unknown) => answer({ type: 'error', message: String(error) }));
  });
  process.channel.unref();
}
