// What the floors of a legacy immediate task do for it, whichever server receives it
// (bench/floor.ts: node:http; bench/floor-on-stack.ts: the bridge's stack): the same three v3
// calls as the bridge (GET state and GET offerings in parallel, then the PUT) and, with a store,
// the bridge's durability promises through the bridge's own store and nothing else of the bridge:
// under the customer's lock, the write intent committed before the PUT and the change's record
// committed before the answer.
// Environment: FLOOR_UPSTREAM (v3 origin), FLOOR_KEY (v3 key), FLOOR_WORLD (JSON file: username ->
// account id, legacy package name -> package offering), FLOOR_STORE (a SQLite file: keep the promises).
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { releaseStartupMemory } from '../src/startup-memory.js';
import { floorV3 } from './floor-v3.js';

interface FloorWorld {
  accounts: Record<string, string>;
  packages: Record<string, string>;
}

export const SUCCESS = '{"message":"success"}';
const FLOOR_RESELLER = 'floor';

export interface FloorTask {
  /** Changes `user`'s package to `package` (the legacy form's fields); rejects on anything unknown. */
  change(user: string, packageName: string): Promise<void>;
  close(): Promise<void>;
}

/** The whole body as text: the floors parse nothing beyond the form. */
export async function readBody(request: AsyncIterable<Buffer | string>): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

export async function floorTaskFromEnv(): Promise<FloorTask> {
  const world = JSON.parse(readFileSync(process.env.FLOOR_WORLD!, 'utf8')) as FloorWorld;
  const accounts = new Map(Object.entries(world.accounts));
  const packages = new Map(Object.entries(world.packages));
  const store = process.env.FLOOR_STORE ? await openStore(process.env.FLOOR_STORE, accounts) : undefined;
  const v3 = floorV3(process.env.FLOOR_UPSTREAM!, process.env.FLOOR_KEY!);

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

  return {
    async change(username, packageName) {
      const accountId = accounts.get(username);
      const offering = packages.get(packageName);
      if (!accountId || !offering) throw new Error('unknown user or package');
      if (!store) return void (await forward(accountId, offering));
      const customer = await store.findCustomer({ reseller: FLOOR_RESELLER, username });
      if (!customer) throw new Error('unknown user');
      await store.withCustomerLock(customer.id, () => forward(accountId, offering, customer.id), { lazy: true });
    },
    close: () => v3.close(),
  };
}

/** The bridge's SQLite store, its customers imported from the world (the bridge's start-up does the same from customers.json). */
async function openStore(path: string, accounts: Map<string, string>) {
  const { SqliteStore } = await import('../src/store/sqlite.js');
  const opened = SqliteStore.open(path);
  await opened.importCustomers([...accounts].map(([username, accountId]) => ({ reseller: FLOOR_RESELLER, username, accountId })));
  return opened;
}

/**
 * Listens on FLOOR_PORT, says so on stdout (`<label> listening`), and on SIGTERM closes and exits.
 * First, start-up's memory goes back as the bridge's does (with `npm start`'s --expose-gc), so the
 * floors' idle and peak RSS are measured after the same collection.
 */
export function serveFloor(server: Server, task: FloorTask, label: string): void {
  releaseStartupMemory();
  server.keepAliveTimeout = 5_000;
  server.listen(Number(process.env.FLOOR_PORT), '127.0.0.1', () => process.stdout.write(`${label} listening\n`));
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void task.close().then(() => process.exit(0));
  });
}
