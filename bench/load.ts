// Load generators. Open loop: requests start on a fixed schedule whatever the answers
// do, and latency counts from the scheduled start, so a stall shows up in the tail
// instead of silently lowering the rate (no coordinated omission). Closed loop: N
// workers back to back, for the most the target can do.
import { Samples } from './stats.js';

/** One request; resolves true on the expected answer, else a short description of what went wrong. */
export type Operation = () => Promise<true | string>;

/** Most requests in flight before the generator counts new ones as failed instead of piling up. */
const MAX_OUTSTANDING = 2_000;
/** How long to wait after the window for answers still in flight. */
const DRAIN_TIMEOUT_MS = 30_000;

export async function openLoop(operation: Operation, ratePerSecond: number, durationMs: number): Promise<Samples> {
  const samples = new Samples();
  const intervalMs = 1000 / ratePerSecond;
  const total = Math.floor((durationMs / 1000) * ratePerSecond);
  const start = performance.now();
  const windowEnd = start + durationMs;
  const inFlight = new Set<Promise<void>>();

  const launch = (scheduledAt: number) => {
    if (inFlight.size >= MAX_OUTSTANDING) {
      samples.record(performance.now() - scheduledAt, 'generator overloaded', false);
      return;
    }
    const done = timed(operation).then((outcome) => {
      const finishedAt = performance.now();
      samples.record(finishedAt - scheduledAt, outcome, finishedAt <= windowEnd);
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + sent * intervalMs <= now) launch(start + sent++ * intervalMs);
    const nextAt = start + sent * intervalMs;
    await sleep(Math.max(0, Math.min(nextAt - performance.now(), 5)));
  }
  await drain(inFlight);
  for (let i = 0; i < inFlight.size; i++) samples.record(DRAIN_TIMEOUT_MS, 'no answer after the window', false);
  samples.windowMs = durationMs;
  return samples;
}

export async function closedLoop(operation: Operation, concurrency: number, durationMs: number): Promise<Samples> {
  const samples = new Samples();
  const start = performance.now();
  const windowEnd = start + durationMs;
  const worker = async () => {
    while (performance.now() < windowEnd) {
      const startedAt = performance.now();
      const outcome = await timed(operation);
      const finishedAt = performance.now();
      samples.record(finishedAt - startedAt, outcome, finishedAt <= windowEnd);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  samples.windowMs = durationMs;
  return samples;
}

/** `concurrency` workers back to back until `tasks` requests have been sent (bench/task-instructions.ts: a count, not a time). */
export async function closedLoopOf(operation: Operation, concurrency: number, tasks: number): Promise<Samples> {
  const samples = new Samples();
  let sent = 0;
  const worker = async () => {
    while (sent < tasks) {
      sent++;
      const startedAt = performance.now();
      const outcome = await timed(operation);
      samples.record(performance.now() - startedAt, outcome, true);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return samples;
}

async function timed(operation: Operation): Promise<true | string> {
  try {
    return await operation();
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

async function drain(inFlight: Set<Promise<void>>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)));
  await Promise.race([Promise.all(inFlight), timeout]);
  clearTimeout(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
