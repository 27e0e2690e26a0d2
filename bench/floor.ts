// The floor of a legacy immediate task: the least any bridge must do for one. It receives the
// legacy POST (node:http), sends the same three v3 calls through undici as the bridge does (GET
// state and GET offerings in parallel, then the PUT), and answers the fixed legacy success. No
// authentication, rules, store, logging or validation beyond what forwarding needs.
// Environment: FLOOR_PORT, FLOOR_UPSTREAM (v3 origin), FLOOR_KEY (v3 key), FLOOR_WORLD (JSON file:
// username -> account id, legacy package name -> package offering).
//
// With FLOOR_STORE (a SQLite file) it also keeps the bridge's durability promises, through the
// bridge's own store and nothing else of the bridge: under the customer's lock, the write intent
// committed before the PUT and the change's record committed before the answer. That arm prices
// the promises: what no bridge that keeps them can save.
import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
// The same modules as the bridge's for node:http and undici's Pool, so the floor holds no memory
// the bridge has learnt to leave out (src/node-http.ts, src/v3/undici-pool.ts).
import { createServer } from '../src/node-http.js';
import { floorV3 } from './floor-v3.js';

interface FloorWorld {
  accounts: Record<string, string>;
  packages: Record<string, string>;
}

const world = JSON.parse(readFileSync(process.env.FLOOR_WORLD!, 'utf8')) as FloorWorld;
const accounts = new Map(Object.entries(world.accounts));
const FLOOR_RESELLER = 'floor';
const store = process.env.FLOOR_STORE ? await openStore(process.env.FLOOR_STORE) : undefined;
const packages = new Map(Object.entries(world.packages));
const v3 = floorV3(process.env.FLOOR_UPSTREAM!, process.env.FLOOR_KEY!);
const SUCCESS = '{"message":"success"}';

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return new URLSearchParams(text);
}

async function change(form: URLSearchParams): Promise<void> {
  const username = form.get('user') ?? '';
  const accountId = accounts.get(username);
  const offering = packages.get(form.get('package') ?? '');
  if (!accountId || !offering) throw new Error('unknown user or package');
  if (!store) return void (await forward(accountId, offering));
  const customer = await store.findCustomer({ reseller: FLOOR_RESELLER, username });
  if (!customer) throw new Error('unknown user');
  await store.withCustomerLock(customer.id, () => forward(accountId, offering, customer.id), { lazy: true });
}

/** GET state and offerings, PUT the new package with the add-ons kept; with a store, the PUT goes under an intent and the outcome is recorded. */
async function forward(accountId: string, offering: string, customerId?: number): Promise<void> {
  const { before, after } = await v3.read(accountId, offering);
  const intent =
    store && customerId !== undefined
      ? await store.openIntent({
          customerId,
          source: 'immediate',
          actor: 'legacy',
          action: 'immediate_upgrade',
          requestId: null,
          changeId: null,
          customerUpdate: {},
          offeringsBefore: before,
          targetOfferings: after,
          settleAfter: new Date(Date.now() + 80_000).toISOString(),
          owner: 'floor',
        })
      : undefined;
  await v3.put(accountId, after);
  if (store && intent && customerId !== undefined)
    await store.recordImmediateChange(
      customerId,
      {},
      { actor: 'legacy', action: 'immediate_upgrade', customerId, outcome: 'applied', offeringsBefore: before, offeringsAfter: after, detail: offering },
      { id: intent.id, settleAfter: new Date().toISOString() },
    );
}

/** The bridge's SQLite store, its customers imported from the world (the bridge's start-up does the same from customers.json). */
async function openStore(path: string) {
  const { SqliteStore } = await import('../src/store/sqlite.js');
  const opened = SqliteStore.open(path);
  await opened.importCustomers([...accounts].map(([username, accountId]) => ({ reseller: FLOOR_RESELLER, username, accountId })));
  return opened;
}

const server = createServer((request, response) => {
  if (request.method === 'GET') return void response.end('ok'); // readiness
  readForm(request)
    .then(change)
    .then(
      () => response.writeHead(200, { 'content-type': 'application/json' }).end(SUCCESS),
      (error: unknown) => response.writeHead(502, { 'content-type': 'text/plain' }).end(String(error)),
    );
});
server.keepAliveTimeout = 5_000;
server.listen(Number(process.env.FLOOR_PORT), '127.0.0.1', () => process.stdout.write('floor listening\n'));
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void v3.close().then(() => process.exit(0));
});
