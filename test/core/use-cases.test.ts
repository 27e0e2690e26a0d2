// The core use cases called as the edge and the scheduler call them: the request's deadline
// reaches every v3 call they make, and a dry run reads but writes nothing.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isV3Error, type PlannedV3Call } from '../../src/core/index.js';
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
async function start(options: { downAtStartUp?: boolean } = {}) {
  sim = await startTestSimulator();
  if (options.downAtStartUp) sim.faults.down('refuse');
  bridge = await startTestBridge(
    { SENDGRID_API_URL: sim.url, SENDGRID_API_KEY: DEMO_KEY, SECOND_RESELLER_API_KEY: SECOND_RESELLER_KEY },
    { now: () => TODAY, upstream: { maxAttempts: 1 } },
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
  it('an immediate change whose customer another process wrote while it read v3 is computed again from what v3 holds then: no add-on is lost', async () => {
    const { bridge, sim, reseller } = await start();
    const accountId = DEMO.accounts.user4;
    const offeringsPath = `/v3/partners/accounts/${accountId}/offerings`;
    const expertServices = { name: 'org.ei.expert_services.v1', type: 'addon' as const, quantity: 1 };
    // The operator CLI, say: another connection to the bridge's file.
    const other = SqliteStore.open(join(bridge.dir, 'bridge.db'));
    const customer = (await other.findCustomer({ reseller: reseller.api_user, username: 'user4' }))!;
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
    // Once the bridge has read the offerings (and waits for the state), the other process takes the
    // customer's lock and adds an add-on upstream.
    await vi.waitFor(() => expect(sim.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual(expect.arrayContaining([offeringsPath, `/v3/partners/accounts/${accountId}/state`])));
    await other.withCustomerLock(customer.id, async () => {
      const current = sim.account(accountId)!.offerings;
      const put = await fetch(`${sim.url}${offeringsPath}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ offerings: [...current, expertServices] }),
      });
      expect(put.status).toBe(200);
    });
    await other.close();

    expect((await change).kind).toBe('applied');
    expect(sim.account(accountId)!.offerings).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'org.ei.gold.v1', type: 'package' }), expect.objectContaining(expertServices)]),
    );
    // Its first look was stale: it read the offerings again, under the lock.
    expect(sim.requests.filter((r) => r.method === 'GET' && r.path === offeringsPath)).toHaveLength(2);
    expect((await bridge.store.listAudit({ customerId: customer.id })).map((a) => [a.action, a.outcome])).toEqual([['immediate_upgrade', 'applied']]);
  });
});
