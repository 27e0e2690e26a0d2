// `npm start`: the bridge process, with the embedded simulator when the upstream is `simulator`.
import { ConfigError } from './config/errors.js';
import { releaseStartupMemory } from './startup-memory.js';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 21)) {
  process.stderr.write(
    `reseller-bridge needs Node 24.21 or newer; this is Node ${process.versions.node}.\n` +
      'Run it with `npm start` after `npm ci`: the project pins Node 24 through its `node` dependency.\n',
  );
  process.exit(1);
}

const { loadConfig } = await import('./config/config.js');
const { startBridge } = await import('./server.js');
const { createLogger } = await import('./log.js');
const { gracefulShutdown, shutDownOnSignals, shutDownWhenParentExits } = await import('./shutdown.js');

// Log lines are written off the event loop; flushed synchronously before the process exits.
// pino is CommonJS: its module object is the default export (the bundle, split into chunks,
// gives a dynamically imported CommonJS module no named exports; harness/bundle.mjs).
const { default: pino } = await import('pino');
const destination = pino.destination({ dest: 1, sync: false });
process.once('exit', () => destination.flushSync());
/**
 * SIGTERM, SIGINT, or (under an npm script) npm going away: one graceful shutdown, then exit.
 * Heard from the start: a signal that arrives while the bridge is still starting is kept, and the
 * shutdown runs as soon as there is a bridge to close (never a half-started process killed outright);
 * a second signal before then exits at once.
 */
type ShutdownRequest = Parameters<import('./shutdown.js').ShutdownTrigger>[0];
let requested: ShutdownRequest | undefined;
let shutdown: import('./shutdown.js').ShutdownTrigger = (why) => {
  if (requested && 'signal' in why) process.exit(1); // a second signal while starting: the operator insists
  requested ??= why;
};
shutDownOnSignals((why) => shutdown(why));
if (process.env.npm_lifecycle_event) shutDownWhenParentExits((why) => shutdown(why));
function stopGracefully(bridge: import('./shutdown.js').Closable, logger: import('./log.js').Logger, boundMs: number): void {
  shutdown = gracefulShutdown(bridge, { logger, boundMs, exit: (code) => process.exit(code) });
  if (requested) shutdown(requested);
}

// The configuration first: the logger's level is one of its variables, and its problems are
// plain lines on stderr (exit 2), not log records.
let logger: import('./log.js').Logger | undefined;
try {
  const config = loadConfig(process.env, { createDatabaseFolder: true });
  logger = createLogger({ name: 'reseller-bridge', level: config.env.LOG_LEVEL }, destination);
  const bridge = await startBridge(config, { logger, beforeListening: releaseStartupMemory });
  stopGracefully(bridge, logger, config.env.BRIDGE_SHUTDOWN_TIMEOUT_MS);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  (logger ?? createLogger({ name: 'reseller-bridge', level: 'fatal' }, destination)).fatal({ err: error }, 'start-up failed');
  process.exit(1);
}
