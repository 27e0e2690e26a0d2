// Graceful shutdown of the bridge process. SIGTERM or SIGINT (and, under `npm start`, the death
// of npm itself) close the bridge: readiness fails at once, the listener stops taking connections,
// requests and scheduler attempts in flight finish, then the process exits 0. Work still running
// when the bound runs out is cut (exit 1): a cut request was never answered, and a cut scheduler
// attempt is taken over when its lease runs out, as after a crash.
import type { Logger } from './log.js';

export interface Closable {
  /** Stops taking work, waits for the work in flight, releases everything. */
  close(): Promise<void>;
  /** Cuts whatever close() is still waiting for (open connections). */
  abort(): void;
}

export interface ShutdownOptions {
  logger: Logger;
  /** How long close() may take before the rest is cut (BRIDGE_SHUTDOWN_TIMEOUT_MS). */
  boundMs: number;
  exit(code: number): void;
}

export type ShutdownTrigger = (why: { signal: NodeJS.Signals } | { reason: string }) => void;

/** One shutdown, however many times it is asked for: a second signal changes nothing. */
export function gracefulShutdown(target: Closable, options: ShutdownOptions): ShutdownTrigger {
  const { logger, boundMs, exit } = options;
  let started = false;
  return (why) => {
    if (started) return void logger.info(why, 'already shutting down');
    started = true;
    logger.info({ ...why, boundMs }, 'shutting down');
    const bound = setTimeout(() => {
      logger.warn({ boundMs }, 'shutdown bound reached: cutting the work still in flight');
      target.abort();
      exit(1);
    }, boundMs);
    target.close().then(
      () => {
        clearTimeout(bound);
        logger.info('stopped');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(bound);
        logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
}

export function shutDownOnSignals(trigger: ShutdownTrigger, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
  for (const signal of signals) process.on(signal, () => trigger({ signal }));
}

/**
 * Shuts down when the parent process goes away (the process is re-parented). `npm start` execs
 * node in place of its shell, so npm forwards SIGTERM and SIGINT to us; but npm killed outright
 * (SIGKILL, a crash) forwards nothing, and the bridge would keep its ports as an orphan.
 */
export function shutDownWhenParentExits(trigger: ShutdownTrigger, intervalMs = 1_000): void {
  const parent = process.ppid;
  if (parent <= 1) return; // already adopted by init (or PID 1 in a container): nothing to watch
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    trigger({ reason: `parent process ${parent} exited` });
  }, intervalMs);
  timer.unref();
}
