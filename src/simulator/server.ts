// The embedded v3 simulator: a separate loopback HTTP server, so the bridge's
// real client path (undici, retries, timeouts) is always exercised.
//
// Request pipeline for the v3 surface: record → down? → latency → injected fault
// → operation match (404) → bearer auth (401) → JSON body (400) → operation →
// optional late answer. Admin routes (/_simulator/) skip all of it.
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatorSeed } from '../config/mappings-schema.js';
import { silentLogger, type Logger } from '../log.js';
import { ADMIN_PREFIX, handleAdmin } from './admin.js';
import { authenticate, buildKeyRing } from './auth.js';
import { noSuchEndpointBody, serverErrorBodies, specError, unauthorizedBody } from './errors.js';
import { FaultController } from './faults.js';
import { parseJsonBody, readBody, send, splitTarget } from './http.js';
import { matchOperation } from './operations.js';
import { readStateFile, writeStateFile } from './persistence.js';
import { headersWithoutAuthorization, queryObject, RequestLog, type RecordedRequest } from './request-log.js';
import { operationsWithBody, runOperation, type OperationDeps, type Reply } from './routes.js';
import { AccountStore, seedAccounts, type SimulatedAccount, type WriteCounts } from './state.js';
import type { OfferingType } from './validation.js';

export type { FaultController, FaultPatch, FaultSettings } from './faults.js';
export type { RecordedRequest } from './request-log.js';
export type { SimulatedAccount, WriteCounts } from './state.js';
export type { OperationId } from './operations.js';

export interface SimulatorOptions {
  seed: SimulatorSeed;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback by default. */
  host?: string;
  /** Replaces the first seeded reseller's key (`SIMULATOR_API_KEY`). */
  apiKeyOverride?: string;
  /** Accounts are read from this file at start when it exists, and rewritten after every change. */
  stateFile?: string;
  logger?: Logger;
  /** Clock for `created_at` and rate-limit reset times. */
  now?: () => Date;
  /** Source of the `errorRate` draws (tests make it deterministic). */
  random?: () => number;
  /** Most recent v3 requests kept in `requests` (default 10,000). */
  requestLogLimit?: number;
}

export interface Simulator {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly faults: FaultController;
  /** v3 requests received, oldest first (Authorization removed). */
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
  /** Applied writes per account: offerings PUTs and state PUTs. */
  writes(accountId: string): WriteCounts;
  /** Full state of any reseller's account, or undefined. */
  account(accountId: string): SimulatedAccount | undefined;
  accounts(): SimulatedAccount[];
  /** Accounts back to the seed; faults, write counts, requests and SSO tokens cleared. */
  reset(): void;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const { seed } = options;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const host = options.host ?? '127.0.0.1';
  const keys = buildKeyRing(seed, options.apiKeyOverride);
  const log = new RequestLog(options.requestLogLimit ?? 10_000);
  const stateFile = options.stateFile;

  const stored = stateFile ? readStateFile(stateFile) : undefined;
  const store = new AccountStore(stored ?? seedAccounts(seed), stateFile ? (accounts) => writeStateFile(stateFile, accounts) : undefined);
  if (stateFile && !stored) writeStateFile(stateFile, store.all());

  const ssoTokens = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    ms <= 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, ms);
          timers.add(timer);
        });

  const server = createServer({ keepAliveTimeout: 5_000 });
  let port = 0;
  let url = '';
  let closed = false;
  const faults = new FaultController(
    {
      onDownChange(mode) {
        if (closed) return;
        if (mode === 'refuse' && server.listening) {
          server.close();
          server.closeIdleConnections();
        } else if (mode !== 'refuse' && !server.listening) {
          server.listen(port, host);
        }
      },
    },
    options.random,
    now,
  );

  const deps: OperationDeps = {
    store,
    catalog: seed.catalog,
    catalogIndex: new Map(seed.catalog.map((c) => [c.offering.name, c.offering.type as OfferingType])),
    now,
    issueSso(accountId) {
      const token = randomBytes(16).toString('hex');
      ssoTokens.set(token, accountId);
      return `${url}${ADMIN_PREFIX}sso/${token}`;
    },
  };

  const reset = () => {
    store.replaceAll(seedAccounts(seed));
    faults.clear();
    log.clear();
    ssoTokens.clear();
  };

  async function handleV3(req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const matched = matchOperation(method, pathname);
    const read = await readBody(req);
    const body = read.ok ? parseJsonBody(read.text) : ({ kind: 'invalid', text: '' } as const);
    const entry = log.add({
      method,
      path: pathname,
      query: queryObject(query),
      headers: headersWithoutAuthorization(req.headers),
      body: body.kind === 'json' ? body.value : body.kind === 'invalid' ? body.text : undefined,
      ...(matched ? { operation: matched.operation } : {}),
      at: now().toISOString(),
    });

    // A down simulator answers nothing: the client sees a reset connection.
    if (faults.isDown()) return void req.socket.destroy();
    await sleep(faults.delayFor(matched?.operation));
    const injected = faults.injectedAnswer(matched?.operation);
    if (injected) return reply(res, injected, entry);
    if (!matched) return reply(res, { status: 404, body: structuredClone(noSuchEndpointBody) }, entry);

    const reseller = authenticate(keys, req.headers.authorization);
    if (!reseller) return reply(res, { status: 401, body: structuredClone(unauthorizedBody) }, entry);
    entry.reseller = reseller;

    const hasBody = operationsWithBody.has(matched.operation);
    if (hasBody && body.kind === 'invalid')
      return reply(res, { status: 400, body: { errors: [specError('request body must be valid JSON', '')] } }, entry);

    const answer = runOperation(
      matched.operation,
      {
        reseller,
        ...(matched.accountId !== undefined ? { accountId: matched.accountId } : {}),
        query,
        body: hasBody && body.kind === 'json' ? body.value : undefined,
        headers: req.headers,
      },
      deps,
    );
    if (answer.status < 300) {
      const late = faults.takeLateWrite(matched.operation);
      if (late !== undefined) await sleep(late);
    }
    reply(res, answer, entry);
  }

  function reply(res: ServerResponse, answer: Reply, entry: RecordedRequest): void {
    logger.debug({ method: entry.method, path: entry.path, operation: entry.operation, status: answer.status }, 'v3 request');
    send(res, answer);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const { pathname, query } = splitTarget(req.url);
    const handled = pathname.startsWith(ADMIN_PREFIX)
      ? handleAdmin(req, pathname, {
          store,
          faults,
          log,
          reset,
          stateFile: stateFile ? resolve(stateFile) : null,
          redeemSso(token) {
            const accountId = ssoTokens.get(token);
            ssoTokens.delete(token);
            return accountId;
          },
        }).then((answer) => send(res, answer))
      : handleV3(req, res, pathname, query);
    handled.catch((error: unknown) => {
      logger.error({ err: error }, 'simulator failed to answer');
      send(res, { status: 500, body: structuredClone(serverErrorBodies[500]) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'simulator listener failed'));
  port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    faults,
    get requests() {
      return log.all;
    },
    clearRequests: () => log.clear(),
    writes: (accountId) => store.writes(accountId),
    account: (accountId) => store.get(accountId),
    accounts: () => store.all(),
    reset,
    async close() {
      closed = true;
      faults.dispose();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
