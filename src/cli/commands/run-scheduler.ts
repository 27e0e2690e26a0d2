// `run-scheduler --now <instant>`: one scheduler pass at a chosen instant, through the
// same parts `npm start` runs (store, core use cases, upstream), so the changes it applies are
// what the bridge sees next.
import { startBridge } from '../../server.js';
import { cliConfig, cliLogger, requireExistingStore } from '../context.js';
import { writeJson, type CliIo } from '../io.js';
import { chooseUpstream } from '../upstream.js';

export interface RunSchedulerOptions {
  now: Date;
  json?: boolean;
}

export async function runSchedulerCommand(io: CliIo, options: RunSchedulerOptions): Promise<void> {
  const configured = cliConfig(io);
  requireExistingStore(configured);
  const logger = cliLogger(io, configured);
  const upstream = await chooseUpstream(configured);
  const now = options.now;
  // Due at the simulated instant; leases on the wall clock, so a pass killed midway leaves
  // leases a running bridge takes over on time, not at the simulated instant.
  const scheduler = { leaseClock: () => new Date() };
  const bridge = await startBridge(upstream.config, { logger, listen: false, now: () => now, scheduler, ...upstream.options });
  let result;
  try {
    result = await bridge.scheduler.runPass(now);
  } finally {
    await bridge.close();
  }
  if (options.json) return writeJson(io, { at: now.toISOString(), upstream: upstream.description, ...result });
  io.stdout.write(
    `Scheduler pass at ${now.toISOString()} against ${upstream.description}\n` +
      `claimed ${result.claimed}, applied ${result.applied}, retried ${result.retried}, failed ${result.failed}, skipped ${result.skipped}\n`,
  );
  if (result.failed || result.retried) io.stdout.write('See `pending` for the reasons (LAST ERROR).\n');
}
