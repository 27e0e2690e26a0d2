// Composition root: builds the bridge from its configuration, innermost parts first —
// store → simulator (demo) → v3 upstream → core use cases → scheduler → edge — each by
// one named step below. Tests, the operator CLI and `npm start` all assemble it here.
import { existsSync, rmSync } from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import { createServer } from './node-http.js';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { startAdminListener, type AdminListener } from './admin/listener.js';
import { adminRoutes, type AdminDeps } from './admin/routes.js';
import type { BridgeConfig } from './config/config.js';
import { ConfigError } from './config/errors.js';
import type { ResellerMapping } from './config/mappings.js';
import { resolveBillingDays } from './core/billing-days.js';
import { BrownoutGate } from './core/brownout-gate.js';
import { createCore, type Core } from './core/index.js';
import { UsageLedger } from './core/usage-ledger.js';
import { accessLog } from './edge/access-log.js';
import type { Apiv2Stage } from './edge/apiv2/router.js';
import { createApp } from './edge/app.js';
import { LegacyAuthenticator } from './edge/auth.js';
import { answerClientError } from './edge/client-error.js';
import type { DirectoryStage } from './edge/directory/router.js';
import type { ObserveRequest } from './edge/request-summary.js';
import type { Logger } from './log.js';
import { readinessChecks } from './health/checks.js';
import { Readiness } from './health/readiness.js';
import { BridgeMetrics } from './metrics/metrics.js';
import { defaultSchedulerOptions, DueChangeRunner, type SchedulerOptions } from './scheduler/due-change-runner.js';
// The embedded simulator is loaded only when it is the upstream (a real SENDGRID_API_URL never needs its code).
import type { Simulator } from './simulator/server.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';
import type { V3Api } from './v3/api.js';
import { createV3Upstream, V3_UPSTREAM_DEFAULTS, type V3UpstreamOptions } from './v3/client.js';

export interface BridgeOptions {
  logger: Logger;
  /** The bridge's clock (scheduling dates, the scheduler); v3 timeouts always use real time. */
  now?: () => Date;
  /** Listen at all (the operator CLI only needs the parts). */
  listen?: boolean;
  scheduler?: Partial<SchedulerOptions>;
  upstream?: Partial<V3UpstreamOptions>;
  /** Also told of every answered request, after the access log (tests read summaries this way). */
  observeRequest?: ObserveRequest;
  /** Edge stages run between authentication and the task (brownouts are decided earlier, by the gate). */
  edgeStages?: { apiv2?: readonly Apiv2Stage[]; directory?: readonly DirectoryStage[] };
  /** Run once start-up's work is done, just before the listeners open (`npm start` gives start-up's memory back there). */
  beforeListening?: () => void;
}

export interface Bridge {
  config: BridgeConfig;
  url: string;
  server: Server | undefined;
  /** The admin listener (ADMIN_HOST:ADMIN_PORT), when the bridge listens. */
  admin: AdminListener | undefined;
  metrics: BridgeMetrics;
  /** /readyz's checks, run at start and then in the background. */
  readiness: Readiness;
  store: Store;
  simulator: Simulator | undefined;
  /** Applies due scheduled changes (in the background when BRIDGE_SCHEDULER is on). */
  scheduler: DueChangeRunner;
  core: Core;
  /** The caller ledger's writer: every legacy request, batched into the store. */
  ledger: UsageLedger;
  /** Brownout decisions from the store's windows (refreshed at least every second). */
  brownouts: BrownoutGate;
  v3For(reseller: ResellerMapping): V3Api;
  /** Stops taking work, lets requests and scheduler attempts in flight finish, releases everything. */
  close(): Promise<void>;
  /** Cuts the connections a close() in progress still waits for. */
  abort(): void;
}

/** What has been started so far, closed in reverse order if a later step fails (and by close()). */
type Closers = (() => Promise<void>)[];
/** Run together before the closers: each stops taking work and waits for its work in flight. */
type Drainers = (() => Promise<void>)[];

export async function startBridge(config: BridgeConfig, options: BridgeOptions): Promise<Bridge> {
  const { logger } = options;
  const now = options.now ?? (() => new Date());
  const freshDatabase = isFreshDatabase(config);
  const schedulerConcurrency = options.scheduler?.concurrency ?? defaultSchedulerOptions('').concurrency;
  // Every port conflict at once, before anything is opened or started (each listen still names its own, should a port be taken meanwhile).
  if (options.listen !== false) await checkPorts(config);
  const store = await openConfiguredStore(config, schedulerConcurrency, logger);
  const closers: Closers = [() => store.close()];
  const drainers: Drainers = [];
  const metrics = new BridgeMetrics({ store, now, logger });
  try {
    const simulator = await startDemoSimulator(config, freshDatabase, logger, closers);
    const announceSimulator = () => simulator && logger.info({ url: simulator.url }, 'embedded v3 simulator listening');
    const { v3For, ratePerSecond, baseUrl } = connectUpstream(config, simulator, withMetrics(options.upstream, metrics), closers);
    await importCustomers(config, store, v3For, logger);
    const core = createCore({
      store,
      mappings: config.mappings,
      v3For,
      now,
      logger,
      writeGraceMs: config.env.BRIDGE_WRITE_GRACE_MS,
      owner: `${hostname()}:${process.pid}`,
    });
    const scheduler = createScheduler(config, { core, logger, now, ratePerSecond, metrics }, options.scheduler);
    const readiness = startReadiness(config, { store, v3For, logger, upstream: simulator ? 'the embedded simulator' : baseUrl }, closers);
    const { ledger, brownouts } = await startCallerLedger(config, { store, now, logger }, options.listen !== false, closers);
    const observers: ObserveRequest[] = [
      accessLog(logger),
      (summary) => metrics.observeRequest(summary),
      (summary) => ledger.observe(summary),
      ...(options.observeRequest ? [options.observeRequest] : []),
    ];
    const app = createApp({
      config,
      core,
      storeKind: store.kind,
      authenticator: new LegacyAuthenticator(config.mappings.resellers, config.v3Keys),
      logger,
      readiness,
      brownouts: (query) => brownouts.decide(query),
      observeRequest: (summary) => {
        for (const observe of observers) observe(summary);
      },
      ...(options.edgeStages?.apiv2 ? { apiv2Stages: options.edgeStages.apiv2 } : {}),
      ...(options.edgeStages?.directory ? { directoryStages: options.edgeStages.directory } : {}),
    });
    let server: Server | undefined;
    let admin: AdminListener | undefined;
    let url = '';
    if (options.listen !== false) {
      options.beforeListening?.();
      readiness.start();
      ({ server, url } = await listenMain(app, config.env.PORT, config.env.HOST));
      drainers.push(drainServer(server));
      admin = await listenAdmin(config, { config, store, now, metrics }, logger, closers);
      // Only now that every port is ours: a conflict on PORT or ADMIN_PORT is never preceded by a "listening" line.
      announceSimulator();
      if (config.env.BRIDGE_SCHEDULER === 'on') scheduler.start();
      // Writes a dead process left unsettled are settled at start-up (and by every scheduler pass).
      const settling = core.settleDueIntents({ recover: true }).catch((error: unknown) => logger.warn({ err: error }, 'settling write intents at start-up failed'));
      drainers.push(() => settling.then(() => undefined));
      logger.info(startupSummary(config, { url, admin: admin.url, simulator: simulator?.url, upstream: simulator ? 'simulator' : baseUrl, store: store.kind }), 'bridge listening');
    }
    drainers.push(() => scheduler.stop());
    const close = async () => {
      readiness.drain();
      await Promise.all(drainers.splice(0).map((drain) => drain().catch(() => undefined)));
      await closeAll(closers);
    };
    const abort = () => {
      server?.closeAllConnections();
      admin?.server.closeAllConnections();
    };
    return { config, url, server, admin, metrics, readiness, store, simulator, scheduler, core, ledger, brownouts, v3For, close, abort };
  } catch (error) {
    await closeAll([...drainers, ...closers]);
    throw error;
  }
}

/** A SQLite file that does not exist yet: the demo simulator's world starts afresh with it. */
function isFreshDatabase({ env }: BridgeConfig): boolean {
  return !env.DATABASE_URL && env.BRIDGE_DB !== ':memory:' && !existsSync(env.BRIDGE_DB);
}

async function startDemoSimulator(
  config: BridgeConfig,
  freshDatabase: boolean,
  logger: Logger,
  closers: Closers,
): Promise<Simulator | undefined> {
  if (config.upstream.kind !== 'simulator') return undefined;
  const { env } = config;
  // The simulator's state lives beside the database: a new database starts a new world.
  if (freshDatabase) rmSync(config.simulatorStateFile, { force: true });
  const { startSimulator } = await import('./simulator/server.js');
  const simulator = await onPort('SIMULATOR_PORT', env.SIMULATOR_PORT, '127.0.0.1', () => startSimulator({
    seed: config.mappings.simulatorSeed!,
    host: '127.0.0.1',
    port: env.SIMULATOR_PORT,
    ...(env.SIMULATOR_API_KEY ? { apiKeyOverride: env.SIMULATOR_API_KEY } : {}),
    stateFile: env.BRIDGE_DB === ':memory:' ? undefined : config.simulatorStateFile,
    logger: logger.child({ component: 'simulator' }),
  }));
  closers.unshift(() => simulator.close());
  return simulator;
}

/** One upstream (pool and token buckets) shared by the edge and the scheduler; one client per reseller key. */
function connectUpstream(
  config: BridgeConfig,
  simulator: Simulator | undefined,
  overrides: Partial<V3UpstreamOptions> | undefined,
  closers: Closers,
) {
  const baseUrl = simulator ? simulator.url : config.upstream.kind === 'url' ? config.upstream.url : '';
  // The embedded simulator has no rate limit to respect; a real upstream gets the default or SENDGRID_RATE_LIMIT.
  const rate = config.env.SENDGRID_RATE_LIMIT ?? (config.upstream.kind === 'simulator' ? Infinity : undefined);
  const upstream = createV3Upstream({
    baseUrl,
    ...(rate !== undefined ? { ratePerSecond: rate } : {}),
    ...(rate !== undefined && Number.isFinite(rate) ? { burst: Math.max(1, Math.ceil(rate * 2)) } : {}),
    ...overrides,
  });
  closers.unshift(() => upstream.close());
  const clients = new Map<string, V3Api>();
  const v3For = (reseller: ResellerMapping): V3Api => {
    let client = clients.get(reseller.api_user);
    if (!client) {
      client = upstream.forKey(config.v3Keys.get(reseller.api_user) ?? '');
      clients.set(reseller.api_user, client);
    }
    return client;
  };
  const ratePerSecond = overrides?.ratePerSecond ?? rate ?? V3_UPSTREAM_DEFAULTS.ratePerSecond;
  return { v3For, ratePerSecond, baseUrl };
}

/** The mappings' customers into the store, then the billing days their mappings do not give. */
async function importCustomers(
  config: BridgeConfig,
  store: Store,
  v3For: (reseller: ResellerMapping) => V3Api,
  logger: Logger,
): Promise<void> {
  const { mappings } = config;
  await store.importCustomers(
    mappings.customers.map((c) => ({
      reseller: c.reseller,
      username: c.username,
      businessUid: c.business_uid,
      accountId: c.account_id,
      billingDay: c.billing_day,
    })),
  );
  await resolveBillingDays({ store, mappings, v3For, logger }).catch((error: unknown) =>
    logger.warn({ err: error }, 'billing days not resolved at start-up; they will be on first use'),
  );
}

/** The ledger writer and the brownout gate: written and refreshed only by a bridge that serves requests (not the CLI's parts). */
async function startCallerLedger(
  { mappings }: BridgeConfig,
  parts: { store: Store; now: () => Date; logger: Logger },
  serving: boolean,
  closers: Closers,
): Promise<{ ledger: UsageLedger; brownouts: BrownoutGate }> {
  const { store, now, logger } = parts;
  const ledger = new UsageLedger({
    store,
    knownCallers: new Set([...mappings.resellers.map((r) => r.api_user), ...mappings.directories.map((d) => d.id)]),
    now,
    logger: logger.child({ component: 'ledger' }),
  });
  const brownouts = new BrownoutGate({ store, signals: mappings.deprecation, now, logger: logger.child({ component: 'brownouts' }) });
  if (serving) {
    await Promise.all([ledger.start(), brownouts.start()]);
    // After the requests in flight are answered (drainers), before the store closes.
    closers.unshift(
      () => ledger.close(),
      () => brownouts.close(),
    );
  }
  return { ledger, brownouts };
}

/** The readiness checks (the store, each reseller's key), started with the listener. */
function startReadiness(
  { env, mappings }: BridgeConfig,
  parts: { store: Store; v3For: (reseller: ResellerMapping) => V3Api; logger: Logger; upstream: string },
  closers: Closers,
): Readiness {
  const readiness = new Readiness(readinessChecks({ store: parts.store, resellers: mappings.resellers, v3For: parts.v3For, upstream: parts.upstream }), {
    intervalMs: env.BRIDGE_READINESS_INTERVAL_MS,
    logger: parts.logger.child({ component: 'readiness' }),
  });
  closers.unshift(async () => readiness.stop());
  return readiness;
}

function createScheduler(
  { env }: BridgeConfig,
  parts: { core: Core; logger: Logger; now: () => Date; ratePerSecond: number; metrics: BridgeMetrics },
  overrides: Partial<SchedulerOptions> | undefined,
): DueChangeRunner {
  return new DueChangeRunner(
    { core: parts.core, logger: parts.logger.child({ component: 'scheduler' }), onAttempt: (result) => parts.metrics.observeSchedulerAttempt(result) },
    {
      ...defaultSchedulerOptions(`${hostname()}:${process.pid}`),
      intervalMs: env.BRIDGE_SCHEDULER_INTERVAL_MS,
      leaseMs: env.BRIDGE_SCHEDULER_LEASE_MS,
      jitterMs: env.BRIDGE_SCHEDULER_JITTER_MS,
      v3RatePerSecond: parts.ratePerSecond,
      now: parts.now,
      ...overrides,
    },
  );
}

/** Every v3 attempt timed into the metrics, beside any observer the caller gave. */
function withMetrics(overrides: Partial<V3UpstreamOptions> | undefined, metrics: BridgeMetrics): Partial<V3UpstreamOptions> {
  return {
    ...overrides,
    onAttempt: (report) => {
      metrics.observeV3Attempt(report);
      overrides?.onAttempt?.(report);
    },
  };
}

async function listenMain(app: RequestListener, port: number, host: string): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  server.on('clientError', answerClientError);
  await onPort('PORT', port, host, () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    }),
  );
  const address = server.address() as AddressInfo;
  return { server, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}` };
}

/** Stops accepting connections; resolves once the requests in flight are answered. */
function drainServer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
}

async function listenAdmin(config: BridgeConfig, deps: AdminDeps, logger: Logger, closers: Closers): Promise<AdminListener> {
  const { ADMIN_HOST, ADMIN_PORT, BRIDGE_ADMIN_TOKEN } = config.env;
  const admin = await onPort('ADMIN_PORT', ADMIN_PORT, ADMIN_HOST, () =>
    startAdminListener({
      host: ADMIN_HOST,
      port: ADMIN_PORT,
      token: BRIDGE_ADMIN_TOKEN,
      logger: logger.child({ component: 'admin' }),
      routes: adminRoutes(deps),
    }),
  );
  closers.unshift(() => admin.close());
  logger.info({ url: admin.url, auth: BRIDGE_ADMIN_TOKEN !== undefined ? 'bearer' : 'none' }, 'admin listening');
  return admin;
}

/** The SQLite file BRIDGE_DB names, or DATABASE_URL's database; a file SQLite cannot use is a configuration problem naming BRIDGE_DB. */
async function openConfiguredStore({ env }: BridgeConfig, schedulerConcurrency: number, logger: Logger): Promise<Store> {
  // The bridge's own connection then checkpoints the WAL itself, as SQLite does by default.
  const onCheckpointError = (error: unknown) => logger.warn({ err: error }, "SQLite WAL checkpoints off the event loop stopped; the store's connection checkpoints for itself from now on");
  try {
    return await openStore({ sqlitePath: env.BRIDGE_DB, databaseUrl: env.DATABASE_URL, schedulerConcurrency, onCheckpointError });
  } catch (error) {
    if (env.DATABASE_URL) throw error;
    throw new ConfigError([`BRIDGE_DB ${env.BRIDGE_DB} cannot be used as the SQLite store (${(error as Error).message})`]);
  }
}

/** Binds and releases each fixed port the bridge will listen on; throws one ConfigError listing every one that cannot be bound. */
async function checkPorts({ env, upstream }: BridgeConfig): Promise<void> {
  const ports: [PortVariable, number, string][] = [
    ['PORT', env.PORT, env.HOST],
    ['ADMIN_PORT', env.ADMIN_PORT, env.ADMIN_HOST],
    ...(upstream.kind === 'simulator' ? [['SIMULATOR_PORT', env.SIMULATOR_PORT, '127.0.0.1'] as [PortVariable, number, string]] : []),
  ];
  const problems = await Promise.all(
    ports
      .filter(([, port]) => port !== 0)
      .map(([variable, port, host]) =>
        onPort(variable, port, host, () => bindOnce(port, host)).then(
          () => undefined,
          (error: unknown) => {
            if (error instanceof ConfigError) return error.problems;
            throw error;
          },
        ),
      ),
  );
  const found = problems.flat().filter((p): p is string => p !== undefined);
  if (found.length) throw new ConfigError(found);
}

function bindOnce(port: number, host: string): Promise<void> {
  const probe = createNetServer();
  return new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

type PortVariable = 'PORT' | 'ADMIN_PORT' | 'SIMULATOR_PORT';

const HOST_VARIABLE: Record<string, string> = { PORT: 'HOST', ADMIN_PORT: 'ADMIN_HOST', SIMULATOR_PORT: 'the simulator host' };

/** Binds a listener; a port in use, forbidden or on an address this host lacks is a problem naming the variable. */
async function onPort<T>(variable: PortVariable, port: number, host: string, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const at = `${variable} ${port} (on ${host})`;
    if (code === 'EADDRINUSE') throw new ConfigError([`${at} is already in use by another process: stop it, or set ${variable} to a free port`]);
    if (code === 'EACCES') throw new ConfigError([`${at} may not be bound by this user (ports below 1024 need privileges): set ${variable} to 1024 or above`]);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      throw new ConfigError([`${HOST_VARIABLE[variable]} ${host} is not an address of this machine (${code}), so ${variable} cannot be bound`]);
    throw error;
  }
}

/** The one start-up line: what runs against what, and where it listens. */
function startupSummary(
  { mappings, env }: BridgeConfig,
  parts: { url: string; admin: string; simulator: string | undefined; upstream: string; store: string },
): Record<string, unknown> {
  return {
    url: parts.url,
    upstream: parts.upstream === 'simulator' ? `embedded simulator ${parts.simulator}` : parts.upstream,
    store: parts.store === 'sqlite' ? `sqlite ${env.BRIDGE_DB}` : 'postgresql (DATABASE_URL)',
    mappings: mappings.folder,
    resellers: mappings.resellers.length,
    customers: mappings.customers.length,
    directories: mappings.directories.length,
    scheduler: env.BRIDGE_SCHEDULER,
    listeners: { legacy: parts.url, admin: parts.admin, ...(parts.simulator ? { simulator: parts.simulator } : {}) },
  };
}

async function closeAll(closers: Closers): Promise<void> {
  for (const close of closers.splice(0)) await close().catch(() => undefined);
}
