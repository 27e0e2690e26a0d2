// The scheduler against the embedded simulator, its clock injected: what it claims, how it
// treats transient and permanent failures, races with immediate tasks, leases, and stop().
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/store/store.js';
import { defaultSchedulerOptions, DueChangeRunner, type SchedulerOptions } from '../../src/scheduler/due-change-runner.js';
import { call } from '../simulator/support.js';
import {
  DEMO,
  auditOutcomes,
  customerId,
  expectOnlyValidV3Requests,
  expectSuccess,
  historyOf,
  legacy,
  listPending,
  listedChangeOf,
  offeringsOf,
  startClockedBridge,
  TestClock,
  waitUntil,
  type ClockedBridge,
} from './support.js';

const TODAY = '2026-02-10T12:00:00Z';
/** user4's next billing day after TODAY (it bills on the 30th); user5's is 2026-03-07. */
const USER4_DUE = new Date('2026-02-28T00:00:00Z');
const BOTH_DUE = new Date('2026-03-07T00:00:00Z');
const HOUR = 3_600_000;
const later = (date: Date, ms: number) => new Date(date.getTime() + ms);

let bridge: ClockedBridge | undefined;
afterEach(async () => {
  if (bridge) expectOnlyValidV3Requests(bridge);
  await bridge?.stop();
  bridge = undefined;
});

/** One v3 attempt per call, so a pass against a broken upstream ends quickly. */
async function start(scheduler: Partial<SchedulerOptions> = {}): Promise<ClockedBridge> {
  bridge = await startClockedBridge(TODAY, { upstream: { maxAttempts: 1 }, scheduler });
  return bridge;
}

const sim = () => bridge!.simulator!;
const scheduleDowngrades = async (b: ClockedBridge) => {
  await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
  await expectSuccess(b, 'task=scheduled_downgrade&user=user5&package=Silver Package');
};

describe('claiming', () => {
  it('leaves a change that is not yet due alone', async () => {
    const b = await start();
    await scheduleDowngrades(b);
    expect(await b.scheduler.runPass(later(USER4_DUE, -1))).toMatchObject({ claimed: 0 });
    expect(await b.scheduler.runPass(USER4_DUE)).toMatchObject({ claimed: 1, applied: 1 });
    expect((await listedChangeOf(b, 'user5')).status).toBe('pending');
    expect(sim().writes(DEMO.accounts.user5).offerings).toBe(0);
  });
});

describe('an upstream that fails for a whole pass', () => {
  it.each([
    ['down (connections reset)', () => sim().faults.down('reset')],
    ['answering 503', () => sim().faults.errorRate(1, 503)],
    ['rate limiting', () => sim().faults.rateLimit({ retryAfterSeconds: 2 * 3600 })],
  ])('%s: changes stay pending with the attempt recorded, then apply once it is back', async (_name, breakUpstream) => {
    const b = await start();
    await scheduleDowngrades(b);
    breakUpstream();

    expect(await b.scheduler.runPass(BOTH_DUE)).toEqual({ claimed: 2, applied: 0, retried: 2, failed: 0, skipped: 0 });
    const firstRetry = new Map<string, number>();
    for (const user of ['user4', 'user5']) {
      const change = await listedChangeOf(b, user);
      expect(change).toMatchObject({ status: 'pending', attempts: 1, leaseOwner: null });
      expect(change.lastError).toBeTruthy();
      expect(Date.parse(change.retryAt!)).toBeGreaterThan(BOTH_DUE.getTime());
      firstRetry.set(user, Date.parse(change.retryAt!));
    }
    expect(await listPending(b)).toHaveLength(2); // still listed for the reseller
    // Not before its retry time.
    expect((await b.scheduler.runPass(later(BOTH_DUE, 1000))).claimed).toBe(0);

    // Still failing a while later: another attempt, backing off further, never `failed`.
    const second = new Date(Math.max(...firstRetry.values()));
    expect(await b.scheduler.runPass(second)).toMatchObject({ claimed: 2, retried: 2, failed: 0 });
    for (const user of ['user4', 'user5']) {
      const change = await listedChangeOf(b, user);
      expect(change).toMatchObject({ status: 'pending', attempts: 2 });
      expect(Date.parse(change.retryAt!)).toBeGreaterThan(second.getTime());
    }

    sim().faults.clear();
    expect(await b.scheduler.runPass(later(BOTH_DUE, 24 * HOUR))).toMatchObject({ claimed: 2, applied: 2 });
    expect(offeringsOf(b, DEMO.accounts.user4)).toEqual(['org.ei.basic.v1:1', 'org.mc.basic.v1:1']);
    expect(offeringsOf(b, DEMO.accounts.user5)).toEqual(['org.ei.addon.dedicated_ip.v1:1', 'org.ei.expert_services.v1:1', 'org.ei.silver.v1:1']);
    for (const user of ['user4', 'user5']) {
      const [change] = await historyOf(b, user);
      expect(change).toMatchObject({ status: 'applied', attempts: 3 });
      // Every attempt is in the audit log.
      expect(await auditOutcomes(b, change!.id)).toEqual(['legacy:scheduled', 'scheduler:retry', 'scheduler:retry', 'scheduler:applied']);
    }
  });

  it('honours a Retry-After longer than its own backoff', async () => {
    const b = await start();
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    sim().faults.rateLimit({ retryAfterSeconds: 6 * 3600 });
    await b.scheduler.runPass(USER4_DUE);
    const change = await listedChangeOf(b, 'user4');
    expect(Date.parse(change.retryAt!)).toBeGreaterThanOrEqual(USER4_DUE.getTime() + 6 * HOUR);
    sim().faults.clear();
    expect((await b.scheduler.runPass(later(USER4_DUE, 6 * HOUR - 1000))).claimed).toBe(0);
  });
});

describe('permanent failures', () => {
  it('an account deleted upstream fails the change at once, with the reason, and it stays listed', async () => {
    const b = await start();
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    expect((await call(sim(), 'DELETE', `/v3/partners/accounts/${DEMO.accounts.user4}`)).status).toBe(204);

    expect(await b.scheduler.runPass(USER4_DUE)).toEqual({ claimed: 1, applied: 0, retried: 0, failed: 1, skipped: 0 });
    const change = await listedChangeOf(b, 'user4');
    expect(change).toMatchObject({ status: 'failed', attempts: 1, retryAt: null });
    expect(change.lastError).toMatch(/^v3 refused: .*404/);
    expect(await listPending(b)).toEqual([expect.objectContaining({ username: 'user4', date: '2026-02-28' })]);
    expect(await auditOutcomes(b, change.id)).toEqual(['legacy:scheduled', 'scheduler:failed']);
    // Never claimed again; an operator (or the reseller) acts on it.
    expect((await b.scheduler.runPass(later(USER4_DUE, 30 * 24 * HOUR))).claimed).toBe(0);
    const deleted = await legacy(b, 'reseller.pending.json', 'task=delete&user=user4');
    expect(deleted.text).toBe('{"message":"success"}');
  });

  it('a deactivated account fails the change with the reason', async () => {
    const b = await start();
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    expect((await call(sim(), 'PUT', `/v3/partners/accounts/${DEMO.accounts.user4}/state`, { json: { state: 'deactivated' } })).status).toBe(204);
    expect(await b.scheduler.runPass(USER4_DUE)).toMatchObject({ failed: 1 });
    expect((await listedChangeOf(b, 'user4')).lastError).toBe('Account is deactivated, not activated');
    expect(sim().writes(DEMO.accounts.user4).offerings).toBe(0);
  });

  const demoImport = (b: ClockedBridge) =>
    b.config.mappings.customers.map((c) => ({ reseller: c.reseller, username: c.username, businessUid: c.business_uid, accountId: c.account_id }));

  it.each([
    [
      'moved to another account id',
      (b: ClockedBridge) => demoImport(b).map((c) => (c.username === 'user4' ? { ...c, accountId: 'sg777700000000000000000000000000aa' } : c)),
      /^account id changed from sg4d2e6f8a0b1c3d5e7f9a1b3c5d7e9f04 to sg77/,
    ],
    ['removed from the mappings', (b: ClockedBridge) => demoImport(b).filter((c) => c.username !== 'user4'), /^customer is no longer in the mappings$/],
  ])('a customer %s fails the change with the reason, writing nothing', async (_name, mappingsNow, reason) => {
    const b = await start();
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    await b.store.importCustomers(mappingsNow(b));
    expect(await b.scheduler.runPass(USER4_DUE)).toMatchObject({ failed: 1 });
    const [change] = await historyOf(b, 'user4');
    expect(change!.status).toBe('failed');
    expect(change!.lastError).toMatch(reason);
    expect(sim().requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });
});

describe('an immediate task racing the scheduler on one customer', () => {
  // The scheduled downgrade was asked for first; the immediate upgrade is the later request and wins.
  it.each(['scheduler', 'immediate task'] as const)('%s first: the later request’s package wins, no add-on lost', async (first) => {
    const b = await start();
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    sim().faults.latency(80);
    sim().clearRequests();
    const immediate = () => legacy(b, 'reseller.account.json', 'task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0');
    const seenUpstream = () => waitUntil(() => sim().requests.length > 0, 'the first request reached v3');

    let pass: Awaited<ReturnType<ClockedBridge['scheduler']['runPass']>>;
    if (first === 'scheduler') {
      const running = b.scheduler.runPass(USER4_DUE);
      await seenUpstream();
      const res = await immediate();
      pass = await running;
      expect(res.text).toBe('{"message":"success"}');
      expect(pass).toMatchObject({ claimed: 1, applied: 1 });
    } else {
      const res = immediate().then((answer) => answer); // sent now, awaited later
      await seenUpstream();
      pass = await b.scheduler.runPass(USER4_DUE);
      expect((await res).text).toBe('{"message":"success"}');
      // Claimed before the immediate task finished; found superseded under the lock.
      expect(pass).toMatchObject({ claimed: 1, applied: 0, skipped: 1 });
    }
    expect(offeringsOf(b, DEMO.accounts.user4)).toEqual(['org.ei.addon.dedicated_ip.v1:1', 'org.ei.gold.v1:1', 'org.mc.basic.v1:1']);
    expect(await listPending(b)).toEqual([]);
    const [change] = await historyOf(b, 'user4');
    expect(change!.status).toBe(first === 'scheduler' ? 'applied' : 'superseded');
    expect(sim().writes(DEMO.accounts.user4).offerings).toBe(first === 'scheduler' ? 2 : 1);
  });
});

describe('leases', () => {
  it('an attempt whose lease ran out while it waited for the customer’s lock writes nothing; a later claim applies it', async () => {
    // Leases run on a clock of their own here, so "the lease ran out" is a step of the test.
    const leaseClock = new TestClock(new Date('2026-12-01T00:00:00Z'));
    const b = await start({ leaseMs: 100, leaseClock: leaseClock.now });
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    const user4 = await customerId(b, 'user4');
    sim().clearRequests();
    let release!: () => void;
    const held = b.store.withCustomerLock(user4, () => new Promise<void>((r) => (release = r)));

    const pass = b.scheduler.runPass(USER4_DUE);
    await waitUntil(async () => (await listedChangeOf(b, 'user4')).status === 'applying', 'the change is claimed');
    leaseClock.set('2026-12-01T00:00:00.250Z'); // past the 100 ms lease
    release();
    await held;
    // Skipped, then claimed again in the pass's next batch (its lease ran out on the lease clock) and applied.
    expect(await pass).toMatchObject({ claimed: 2, applied: 1, skipped: 1 });
    // The attempt that lost its lease sent nothing, not even a read: v3 saw one attempt's calls.
    const calls = sim().requests.map((r) => `${r.method} ${r.path.split('/').pop()}`).sort();
    expect(calls).toEqual(['GET offerings', 'GET state', 'PUT offerings']);

    const [change] = await historyOf(b, 'user4');
    expect(change).toMatchObject({ status: 'applied', attempts: 2 }); // the lost attempt is counted
    expect(await auditOutcomes(b, change!.id)).toEqual([
      'legacy:scheduled',
      'scheduler:lease_lost',
      'scheduler:lease_expired',
      'scheduler:applied',
    ]);
    expect(sim().writes(DEMO.accounts.user4).offerings).toBe(1);
  });

  it('a lease taken over during the PUT: applied once, and both attempts are in the audit log', async () => {
    const b = await start({ leaseMs: 250 });
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    const other = new DueChangeRunner(
      { core: b.core, logger: silentLogger },
      { ...defaultSchedulerOptions('other-instance'), now: b.clock.now },
    );
    sim().faults.latency(600, 'UpdateAccountOffering'); // outlasts the lease

    const first = b.scheduler.runPass(USER4_DUE);
    await waitUntil(() => sim().requests.some((r) => r.method === 'PUT'), 'the first attempt sent its PUT');
    const second = await other.runPass(later(USER4_DUE, 1000)); // lease expired: taken over
    expect(await first).toMatchObject({ claimed: 1, skipped: 1 });
    expect(second).toMatchObject({ claimed: 1, applied: 1 });

    expect(sim().writes(DEMO.accounts.user4).offerings).toBe(1);
    expect(offeringsOf(b, DEMO.accounts.user4)).toEqual(['org.ei.basic.v1:1', 'org.mc.basic.v1:1']);
    const [change] = await historyOf(b, 'user4');
    expect(change).toMatchObject({ status: 'applied', leaseOwner: null });
    // The first attempt's PUT landed but its finish was fenced off: recorded, not as the applied one.
    expect(await auditOutcomes(b, change!.id)).toEqual([
      'legacy:scheduled',
      'scheduler:lease_expired',
      'scheduler:lease_lost',
      'scheduler:noop',
    ]);
  });
});

describe('an attempt that breaks off', () => {
  it('a store failure leaves that change to its lease; the rest of the batch still runs', async () => {
    const b = await start();
    await scheduleDowngrades(b);
    const user4 = await customerId(b, 'user4');
    // The store refuses the first finish of user4's change (a disk or lock error) after its PUT landed.
    let refusals = 1;
    const flakyStore: Store = Object.create(b.store);
    flakyStore.finishChange = async (...args) => {
      if (args[4].customerId === user4 && refusals-- > 0) throw new Error('disk I/O error');
      return b.store.finishChange(...args);
    };
    const flaky = new DueChangeRunner(
      {
        core: createCore({ store: flakyStore, mappings: b.config.mappings, v3For: b.v3For, now: b.clock.now, logger: silentLogger }),
        logger: silentLogger,
      },
      { ...defaultSchedulerOptions('flaky'), leaseMs: 1_000, now: b.clock.now },
    );

    expect(await flaky.runPass(BOTH_DUE)).toMatchObject({ claimed: 2, applied: 1, skipped: 1 });
    expect((await listedChangeOf(b, 'user4')).status).toBe('applying');
    expect((await flaky.runPass(later(BOTH_DUE, 500))).claimed).toBe(0); // its lease still holds
    expect(await flaky.runPass(later(BOTH_DUE, 2_000))).toMatchObject({ claimed: 1, applied: 1 });

    const [change] = await historyOf(b, 'user4');
    expect(change).toMatchObject({ status: 'applied', attempts: 2 });
    // The broken-off attempt is recorded when the change is claimed again; the landed PUT is
    // found in place: one write, one transition to applied.
    expect(await auditOutcomes(b, change!.id)).toEqual(['legacy:scheduled', 'scheduler:lease_expired', 'scheduler:noop']);
    expect(sim().writes(DEMO.accounts.user4).offerings).toBe(1);
    expect(offeringsOf(b, DEMO.accounts.user5)).toContain('org.ei.silver.v1:1');
  });
});

describe('stop()', () => {
  it('waits for the change being applied, then claims nothing more', async () => {
    const b = await start({ intervalMs: 20, jitterMs: 0 });
    await scheduleDowngrades(b);
    b.clock.set('2026-02-28T06:00:00Z'); // user4 due, user5 not yet
    sim().faults.latency(400, 'UpdateAccountOffering');
    b.scheduler.start();
    await waitUntil(() => sim().requests.some((r) => r.method === 'PUT'), 'the PUT reached v3');

    await b.scheduler.stop();
    const [user4] = await historyOf(b, 'user4');
    expect(user4).toMatchObject({ status: 'applied', leaseOwner: null });
    expect(offeringsOf(b, DEMO.accounts.user4)).toEqual(['org.ei.basic.v1:1', 'org.mc.basic.v1:1']);

    b.clock.set('2026-03-08T00:00:00Z'); // user5 due now, but the scheduler is stopped
    expect(b.scheduler.idle).toBe(true); // no pass running and none armed: nothing will claim it
    expect((await listedChangeOf(b, 'user5')).status).toBe('pending');
    expect(sim().writes(DEMO.accounts.user5).offerings).toBe(0);
  });

  it('starts no new attempt from a claimed batch once stopping; the rest is taken over later', async () => {
    const b = await start({ intervalMs: 20, jitterMs: 0, concurrency: 1, leaseMs: 1_000 });
    await scheduleDowngrades(b);
    b.clock.set('2026-03-08T00:00:00Z'); // both due: one batch of two, applied one at a time
    sim().faults.latency(400, 'UpdateAccountOffering');
    b.scheduler.start();
    await waitUntil(() => sim().requests.some((r) => r.method === 'PUT'), 'the first PUT reached v3');
    await b.scheduler.stop();

    const writes = sim().writes(DEMO.accounts.user4).offerings + sim().writes(DEMO.accounts.user5).offerings;
    expect(writes).toBe(1);
    const statuses = [(await historyOf(b, 'user4'))[0]!.status, (await historyOf(b, 'user5'))[0]!.status].sort();
    expect(statuses).toEqual(['applied', 'applying']);

    sim().faults.clear();
    const next = new DueChangeRunner(
      { core: b.core, logger: silentLogger },
      { ...defaultSchedulerOptions('next-instance'), now: b.clock.now },
    );
    expect(await next.runPass(new Date('2026-03-08T00:00:00.500Z'))).toMatchObject({ claimed: 0 }); // lease still held
    expect(await next.runPass(new Date('2026-03-08T00:00:02Z'))).toMatchObject({ claimed: 1, applied: 1 });
  });
});
