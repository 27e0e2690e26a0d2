// Composition root: builds the bridge from its configuration, outermost pieces last.
// Tests, the operator CLI and `npm start` all assemble the bridge through here.
import { existsSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { startAdminListener, type AdminListener } from './admin/listener.js';
import { adminRoutes, type AdminDeps } from './admin/routes.js';
import type { BridgeConfig } from './config/config.js';
import type { ResellerMapping } from './config/mappings.js';
import { resolveBillingDays } from './core/billing-days.js';
import { BrownoutGate } from './core/brownout-gate.js';
import { UsageLedger } from './core/usage-ledger.js';
import { AccountExecutor } from './core/executor.js';
import { ChangeScheduler } from './core/scheduling.js';
import { createApp } from './edge/app.js';
import { LegacyAuthenticator } from './edge/auth.js';
import { answerClientError } from './edge/client-error.js';
import type { Logger } from './log.js';
import { defaultSchedulerOptions, Scheduler, type SchedulerOptions } from './scheduler/scheduler.js';
import { startSimulator, type Simulator } from './simulator/server.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';
import type { V3Api } from './v3/api.js';
import { createV3Upstream, type V3UpstreamOptions } from './v3/client.js';

export interface BridgeOptions {
  logger: Logger;
  /** The bridge's clock (scheduling dates, the scheduler); v3 timeouts always use real time. */
  now?: () => Date;
  /** Listen at all (the operator CLI only needs the parts). */
  listen?: boolean;
  scheduler?: Partial<SchedulerOptions>;
  upstream?: Partial<V3UpstreamOptions>;
}

export interface Bridge {
  config: BridgeConfig;
  url: string;
  server: Server | undefined;
  /** The admin listener (ADMIN_HOST:ADMIN_PORT), when the bridge listens. */
  admin: AdminListener | undefined;
  store: Store;
  simulator: Simulator | undefined;
  scheduler: Scheduler;
  executor: AccountExecutor;
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

export async function startBridge(config: BridgeConfig, options: BridgeOptions): Promise<Bridge> {
  const { env, mappings } = config;
  const { logger } = options;
  const now = options.now ?? (() => new Date());

  const freshDatabase = !env.DATABASE_URL && env.BRIDGE_DB !== ':memory:' && !existsSync(env.BRIDGE_DB);
  const store = await openStore({ sqlitePath: env.BRIDGE_DB, databaseUrl: env.DATABASE_URL });
  const closers: (() => Promise<void>)[] = [() => store.close()];
  // Run together before the closers: each stops taking work and waits for its work in flight.
  const drainers: (() => Promise<void>)[] = [];
  try {
    let simulator: Simulator | undefined;
    let baseUrl: string;
    if (config.upstream.kind === 'simulator') {
      // The simulator's state lives beside the database: a new database starts a new world.
      if (freshDatabase) rmSync(config.simulatorStateFile, { force: true });
      simulator = await startSimulator({
        seed: mappings.simulatorSeed!,
        host: '127.0.0.1',
        port: env.SIMULATOR_PORT,
        ...(env.SIMULATOR_API_KEY ? { apiKeyOverride: env.SIMULATOR_API_KEY } : {}),
        stateFile: env.BRIDGE_DB === ':memory:' ? undefined : config.simulatorStateFile,
        logger: logger.child({ component: 'simulator' }),
      });
      closers.unshift(() => simulator!.close());
      baseUrl = simulator.url;
      logger.info({ url: simulator.url }, 'embedded v3 simulator listening');
    } else {
      baseUrl = config.upstream.url;
    }

    // The embedded simulator has no rate limit to respect; a real upstream gets the default or SENDGRID_RATE_LIMIT.
    const rate = env.SENDGRID_RATE_LIMIT ?? (config.upstream.kind === 'simulator' ? Infinity : undefined);
    const upstream = createV3Upstream({
      baseUrl,
      ...(rate !== undefined ? { ratePerSecond: rate } : {}),
      ...(rate !== undefined && Number.isFinite(rate) ? { burst: Math.max(1, Math.ceil(rate * 2)) } : {}),
      ...options.upstream,
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

    const executor = new AccountExecutor({ store, mappings, v3For, now: () => Date.now(), logger });
    const changes = new ChangeScheduler({
      store,
      mappings,
      executor,
      v3For,
      now,
      billingDayOf: async (customer, reseller) => {
        await resolveBillingDays({ store, mappings, v3For, logger }, { reseller });
        return (await store.findCustomer({ id: customer.id }))?.billingDay ?? undefined;
      },
    });
    const scheduler = new Scheduler(
      { store, executor, mappings, logger: logger.child({ component: 'scheduler' }) },
      {
        ...defaultSchedulerOptions(`${hostname()}:${process.pid}`),
        intervalMs: env.BRIDGE_SCHEDULER_INTERVAL_MS,
        leaseMs: env.BRIDGE_SCHEDULER_LEASE_MS,
        jitterMs: env.BRIDGE_SCHEDULER_JITTER_MS,
        now,
        ...options.scheduler,
      },
    );

    // Written and refreshed only by a bridge that serves requests (not the operator CLI's parts).
    const ledger = new UsageLedger({
      store,
      knownCallers: new Set([...mappings.resellers.map((r) => r.api_user), ...mappings.directories.map((d) => d.id)]),
      now,
      logger: logger.child({ component: 'ledger' }),
    });
    const brownouts = new BrownoutGate({ store, signals: mappings.deprecation, now, logger: logger.child({ component: 'brownouts' }) });
    if (options.listen !== false) {
      await Promise.all([ledger.start(), brownouts.start()]);
      // After the requests in flight are answered (drainers), before the store closes.
      closers.unshift(
        () => ledger.close(),
        () => brownouts.close(),
      );
    }

    const authenticator = new LegacyAuthenticator(mappings.resellers, config.v3Keys);
    const app = createApp({ config, store, executor, changes, authenticator, logger, now, simulator });

    let server: Server | undefined;
    let url = '';
    if (options.listen !== false) {
      ({ server, url } = await listenMain(app, env.PORT, env.HOST));
      drainers.push(drainServer(server));
      logger.info({ url, upstream: config.upstream.kind === 'simulator' ? 'simulator' : baseUrl, store: store.kind }, 'bridge listening');
    }
    const admin = options.listen !== false ? await listenAdmin(config, { config, store }, logger) : undefined;
    if (admin) closers.unshift(() => admin.close());
    if (env.BRIDGE_SCHEDULER === 'on' && options.listen !== false) scheduler.start();
    drainers.push(() => scheduler.stop());

    return {
      config,
      url,
      server,
      admin,
      store,
      simulator,
      scheduler,
      executor,
      ledger,
      brownouts,
      v3For,
      close: async () => {
        await Promise.all(drainers.splice(0).map((drain) => drain().catch(() => undefined)));
        await closeAll(closers);
      },
      abort: () => {
        server?.closeAllConnections();
        admin?.server.closeAllConnections();
      },
    };
  } catch (error) {
    await closeAll([...drainers, ...closers]);
    throw error;
  }
}

async function listenMain(app: RequestListener, port: number, host: string): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
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

async function listenAdmin(config: BridgeConfig, deps: AdminDeps, logger: Logger): Promise<AdminListener> {
  const { ADMIN_HOST, ADMIN_PORT, BRIDGE_ADMIN_TOKEN } = config.env;
  const admin = await startAdminListener({
    host: ADMIN_HOST,
    port: ADMIN_PORT,
    token: BRIDGE_ADMIN_TOKEN,
    logger: logger.child({ component: 'admin' }),
    routes: adminRoutes(deps),
  });
  logger.info({ url: admin.url, auth: BRIDGE_ADMIN_TOKEN !== undefined ? 'bearer' : 'none' }, 'admin listening');
  return admin;
}

async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers.splice(0)) await close().catch(() => undefined);
}
