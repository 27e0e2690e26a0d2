// The core use cases called as the edge and the scheduler call them: the request's deadline
// reaches every v3 call they make, and a dry run reads but writes nothing.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isV3Error, type PlannedV3Call } from '../../src/core/index.js';
import { createLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { DEMO, startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { DEMO_KEY, SECOND_RESELLER_KEY, startTestSimulator, type Simulator } from '../helpers/simulator.js';
import { validateV3Request } from '../helpers/v3-contract.js';

const TODAY = new Date('2026-02-10T12:00:00Z');
let sim: Simulator | undefined;
let bridge: TestBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  await sim?.close();
  bridge = sim = undefined;
});

/** A bridge on its own simulator, so the test can keep v3 away at start-up or slow it down. */
async function start(options: { downAtStartUp?: boolean; logLines?: string[] } = {}) {
  sim = await startTestSimulator();
  if (options.downAtStartUp) sim.faults.down('refuse');
  const lines = options.logLines;
  const logger = lines
    ? createLogger({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => done(void lines.push(...String(chunk).split('\n').filter(Boolean))) }))
    : undefined;
  bridge = await startTestBridge(
    { SENDGRID_API_URL: sim.url, SENDGRID_API_KEY: DEMO_KEY, SECOND_RESELLER_API_KEY: SECOND_RESELLER_KEY },
    { now: () => TODAY, upstream: { maxAttempts: 1 }, ...(logger ? { logger } : {}) },
  );
  sim.faults.up();
  sim.clearRequests();
  return { bridge, sim, reseller: bridge.config.mappings.resellerByUser.get(DEMO.apiUser)! };
}

const writesOf = (s: Simulator) => s.requests.filter((r) => r.method !== 'GET');

describe('deadlines', () => {
  it("a scheduled change's billing-day lookup runs within the request's deadline, not a default of its own", async () => {
    const { bridge, sim, reseller } = await start({ downAtStartUp: true }); // billing days unresolved
    sim.faults.latency(1_500, 'ListAccount');
    const failure = await bridge.core
      .scheduleChange({
        reseller,
        target: { username: 'user4' },
        request: { kind: 'downgrade', packageName: 'Basic Package', ips: [], ipGroups: [] },
        action: 'scheduled_downgrade',
        deadline: Date.now() + 400,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isV3Error(failure) && failure.kind, String(failure)).toBe('deadline');
    expect(isV3Error(failure) && failure.details.operation).toBe('ListAccount');
    expect(await bridge.store.listChanges({ statuses: ['pending'] })).toEqual([]);
  });
});

describe('dry runs', () => {
  const offeringsPath = `/v3/partners/accounts/${DEMO.accounts.user4}/offerings`;

  it('an immediate change reads v3, writes nothing, and returns the PUT it would send', async () => {
    const { bridge, sim, reseller } = await start();
    const auditBefore = await bridge.store.listAudit();
    const outcome = await bridge.core.applyImmediateChange({
      reseller,
      target: { username: 'user4' },
      request: { kind: 'upgrade', packageName: 'Gold Package', ips: ['255.255.255.0'], ipGroups: [] },
      actor: 'legacy',
      action: 'immediate_upgrade',
      deadline: Date.now() + 5_000,
      dryRun: true,
    });
    const planned: PlannedV3Call = {
      method: 'PUT',
      path: offeringsPath,
      body: {
        offerings: [
          { name: 'org.ei.gold.v1', type: 'package', quantity: 1 },
          { name: 'org.mc.basic.v1', type: 'addon', quantity: 1 },
          { name: 'org.ei.addon.dedicated_ip.v1', type: 'addon', quantity: 1 },
        ],
      },
    };
    expect(outcome).toMatchObject({ kind: 'applied', dryRun: true, v3Calls: [planned] });
    // The planned PUT is one the official v3 spec accepts.
    expect(validateV3Request(planned.method, planned.path, planned.body)).toEqual([]);
    expect(sim.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
    expect(sim.writes(DEMO.accounts.user4).offerings).toBe(0);
    expect(await bridge.store.listAudit()).toEqual(auditBefore);
    expect((await bridge.store.findCustomer({ reseller: DEMO.apiUser, username: 'user4' }))!.ips).toEqual([]);
  });

  it('a rejected change is rejected the same way in a dry run', async () => {
    const { bridge, reseller } = await start();
    const outcome = await bridge.core.applyImmediateChange({
      reseller,
      target: { username: 'user4' },
      request: { kind: 'downgrade', packageName: 'Gold Package', ips: [], ipGroups: [] },
      actor: 'legacy',
      action: 'immediate_downgrade',
      deadline: Date.now() + 5_000,
      dryRun: true,
    });
    expect(outcome).toEqual({ kind: 'rejected', errors: ['Gold Package is not a downgrade from Silver Package'] });
  });

  it('scheduling, cancelling and the directory details store nothing in a dry run', async () => {
    const { bridge, sim, reseller } = await start();
    const schedule = (dryRun: boolean) =>
      bridge.core.scheduleChange({
        reseller,
        target: { username: 'user4' },
        request: { kind: 'downgrade', packageName: 'Basic Package', ips: [], ipGroups: [] },
        action: 'scheduled_downgrade',
        deadline: Date.now() + 5_000,
        dryRun,
      });
    expect(await schedule(true)).toMatchObject({ kind: 'scheduled', stored: undefined, effectiveAt: '2026-02-28T00:00:00.000Z', v3Calls: [] });
    expect(await bridge.store.listChanges({ statuses: ['pending'] })).toEqual([]);

    expect(await schedule(false)).toMatchObject({ kind: 'scheduled', stored: 'created' });
    const cancel = (dryRun: boolean) =>
      bridge.core.cancelPendingChange({ reseller, username: 'user4', deadline: Date.now() + 5_000, dryRun });
    expect(await cancel(true)).toMatchObject({ kind: 'cancelled', dryRun: true, change: { targetPackage: 'Basic Package' } });
    expect(await bridge.store.listChanges({ statuses: ['pending'] })).toHaveLength(1);
    expect(await cancel(false)).toMatchObject({ kind: 'cancelled', dryRun: false });
    expect(await cancel(true)).toEqual({ kind: 'rejected', errors: ['No pending change for user user4'] });

    const business = (await bridge.core.findDirectoryBusiness(bridge.config.mappings.directories[0]!, '88pzdbz1hmkdoel4'))!;
    const auditBefore = await bridge.store.listAudit();
    await bridge.core.updateDirectoryDetails({ reseller, customer: business, update: { tags: ['vip'] }, deadline: Date.now() + 5_000, dryRun: true });
    expect(await bridge.store.listAudit()).toEqual(auditBefore);
    expect((await bridge.store.findCustomer({ id: business.id }))!.tags).toEqual([]);
    expect(writesOf(sim)).toEqual([]);
  });
});


describe("the customer's lock across processes (SQLite)", () => {
  const accountId = DEMO.accounts.user4;
  const offeringsPath = `/v3/partners/accounts/${accountId}/offerings`;
  const expertServices = { name: 'org.ei.expert_services.v1', type: 'addon' as const, quantity: 1 };

  /**
   * Once the bridge has read user4's offerings (and waits for the state, which the test slowed
   * down), another process (the operator CLI, say: another connection to the bridge's file) takes
   * the customer's lock and adds an add-on upstream: what the bridge read is stale by then.
   */
  async function anotherProcessAddsAnAddon(b: TestBridge, s: Simulator, customerId: number): Promise<void> {
    const other = SqliteStore.open(join(b.dir, 'bridge.db'));
    try {
      await vi.waitFor(() => expect(s.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual(expect.arrayContaining([offeringsPath, `/v3/partners/accounts/${accountId}/state`])));
      await other.withCustomerLock(customerId, async () => {
        const current = s.account(accountId)!.offerings;
        const put = await fetch(`${s.url}${offeringsPath}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ offerings: [...current, expertServices] }),
        });
        expect(put.status).toBe(200);
      });
    } finally {
      await other.close();
    }
  }

  it('an immediate change whose customer another process wrote while it read v3 is computed again from what v3 holds then: no add-on is lost', async () => {
    const { bridge, sim, reseller } = await start();
    const customer = (await bridge.store.findCustomer({ reseller: reseller.api_user, username: 'user4' }))!;
    // The state answers late: the offerings the bridge read are already stale when its GETs are both in.
    sim.faults.latency(300, 'GetAccountState');

    const change = bridge.core.applyImmediateChange({
      reseller,
      target: { username: 'user4' },
      request: { kind: 'upgrade', packageName: 'Gold Package', ips: ['255.255.255.0'], ipGroups: [] },
      actor: 'legacy',
      action: 'immediate_upgrade',
      deadline: Date.now() + 10_000,
    });
    await anotherProcessAddsAnAddon(bridge, sim, customer.id);

    expect((await change).kind).toBe('applied');
    expect(sim.account(accountId)!.offerings).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'org.ei.gold.v1', type: 'package' }), expect.objectContaining(expertServices)]),
    );
    // Its first look was stale: it read the offerings again, under the lock.
    expect(sim.requests.filter((r) => r.method === 'GET' && r.path === offeringsPath)).toHaveLength(2);
    expect((await bridge.store.listAudit({ customerId: customer.id })).map((a) => [a.action, a.outcome])).toEqual([['immediate_upgrade', 'applied']]);
  });

  it('a due change whose customer another process wrote while it read v3 is attempted again under the lock, with no failure of its own logged', async () => {
    const logLines: string[] = [];
    const { bridge, sim, reseller } = await start({ logLines });
    const scheduled = await bridge.core.scheduleChange({
      reseller,
      target: { username: 'user4' },
      request: { kind: 'downgrade', packageName: 'Basic Package', ips: [], ipGroups: [] },
      action: 'scheduled_downgrade',
      deadline: Date.now() + 5_000,
    });
    expect(scheduled).toMatchObject({ kind: 'scheduled', stored: 'created' });
    const due = new Date('2026-02-28T00:00:01Z');
    const [claimed] = await bridge.core.claimDueChanges({ dueAt: due, leaseFrom: new Date(), owner: 'test', leaseMs: 60_000, limit: 10 });
    sim.clearRequests();
    sim.faults.latency(300, 'GetAccountState');

    // The attempt's lock is lazy: it has only read the lock row when the other process takes it.
    const attempt = bridge.core.applyDueChange({ claimed: claimed!, clock: () => due, budgetMs: 10_000, retryDelayMs: () => 1_000, maxUnexpectedAttempts: 3 });
    await anotherProcessAddsAnAddon(bridge, sim, claimed!.customerId);

    expect((await attempt).result).toBe('applied');
    expect(sim.account(accountId)!.offerings).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'org.ei.basic.v1', type: 'package' }), expect.objectContaining(expertServices)]),
    );
    // Its first look was stale: it read the offerings again, under the lock taken first.
    expect(sim.requests.filter((r) => r.method === 'GET' && r.path === offeringsPath)).toHaveLength(2);
    expect((await bridge.store.listAudit({ changeId: claimed!.id })).map((a) => `${a.actor}:${a.outcome}`)).toEqual(['legacy:scheduled', 'scheduler:applied']);
    const logged = logLines.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(logged.filter((line) => line.level >= 40).map((line) => line.msg)).toEqual([]);
  });
});
