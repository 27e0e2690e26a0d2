// The scheduler and write intents: a due change waits (deferred, no attempt counted) while an
// earlier write of its customer is unsettled; its own unanswered write is retried only once it
// can be settled; passes settle what is settleable; a dry run writes no intent.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../harness/processes.js';
import { AUTH } from '../helpers/bridge.js';
import { DEMO, auditOutcomes, customerId, expectSuccess, listedChangeOf, offeringsOf, startClockedBridge, type ClockedBridge } from './support.js';

const TODAY = '2026-02-10T12:00:00Z';
const USER4_DUE = new Date('2026-02-28T00:00:00Z');
const GRACE_MS = 1_500;
const HEADERS_TIMEOUT_MS = 250;

let bridge: ClockedBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

async function start(): Promise<ClockedBridge> {
  bridge = await startClockedBridge(
    TODAY,
    { upstream: { maxAttempts: 1, headersTimeoutMs: HEADERS_TIMEOUT_MS, bodyTimeoutMs: HEADERS_TIMEOUT_MS } },
    { BRIDGE_WRITE_GRACE_MS: String(GRACE_MS) },
  );
  return bridge;
}
const sim = () => bridge!.simulator!;

/** Once v3 has applied user4's PUT (its answer held back), the read-back that follows is refused. */
async function appliedThenReadBackRefused(): Promise<void> {
  await waitUntil('v3 applied the PUT', () => sim().writes(DEMO.accounts.user4).offerings > 0, { intervalMs: 2 });
  sim().faults.failNext(1, 503, 'ListAccountOffering');
}

/** user4 has a scheduled downgrade, then an immediate upgrade that v3 applied but whose answer and read-back were lost: uncertain. */
async function scheduledThenUncertainUpgrade(b: ClockedBridge): Promise<void> {
  await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
  sim().faults.answerLate(HEADERS_TIMEOUT_MS * 8, 1, 'UpdateAccountOffering');
  const pending = request(b.url)
    .post('/apiv2/reseller.account.json')
    .type('form')
    .send(`${AUTH}&task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0`)
    .then((res) => res);
  await appliedThenReadBackRefused();
  const first = await pending;
  sim().faults.clear();
  expect(first.text).toMatch(/may have been applied/);
}

async function untilSettleable(b: ClockedBridge, customer: number): Promise<void> {
  const [intent] = await b.store.listIntents({ customerId: customer, unsettled: true });
  expect(intent).toBeDefined();
  await waitUntil('the intent is settleable', () => Date.now() >= Date.parse(intent!.settleAfter));
}

describe('a due change and an unsettled write of its customer', () => {
  it('is deferred to the settle time without counting an attempt, then finds the landed immediate change and is superseded', async () => {
    const b = await start();
    const user4 = await customerId(b, 'user4');
    await scheduledThenUncertainUpgrade(b);

    // The pass: the downgrade is due, but the upgrade is not settled yet.
    expect(await b.scheduler.runPass(USER4_DUE)).toMatchObject({ claimed: 1, retried: 1, applied: 0 });
    const deferred = await listedChangeOf(b, 'user4');
    expect(deferred).toMatchObject({ status: 'pending', attempts: 0 });
    expect(Date.parse(deferred.retryAt!)).toBeGreaterThan(USER4_DUE.getTime());
    expect(offeringsOf(b, DEMO.accounts.user4)).toContain('org.ei.gold.v1:1');

    // After the grace period a pass settles the upgrade first: the downgrade is superseded, never applied.
    await untilSettleable(b, user4);
    expect(await b.scheduler.runPass(new Date(deferred.retryAt!))).toMatchObject({ claimed: 0 });
    expect(offeringsOf(b, DEMO.accounts.user4)).toContain('org.ei.gold.v1:1');
    const [change] = (await b.store.listChanges({ statuses: ['superseded'] })).filter((c) => c.customerId === user4);
    expect(await auditOutcomes(b, change!.id)).toEqual(['legacy:scheduled', 'scheduler:deferred', 'legacy:superseded']);
    expect((await b.store.listIntents({ customerId: user4 })).map((i) => i.status)).toEqual(['applied']);
  });

  it('an earlier write settled by the attempt itself (settleable only after the pass began): its change superseded, nothing sent', async () => {
    const b = await start();
    const user4 = await customerId(b, 'user4');
    await scheduledThenUncertainUpgrade(b);
    const putsBefore = sim().writes(DEMO.accounts.user4).offerings;

    // The change claimed before the upgrade became settleable (the pass's own settling found
    // nothing to settle), and attempted once it is: its gate settles the upgrade, which
    // supersedes the very change being attempted.
    const [claimed] = await b.core.claimDueChanges({ dueAt: USER4_DUE, leaseFrom: new Date(), owner: 'test', leaseMs: 60_000, limit: 10 });
    expect(claimed).toMatchObject({ customerId: user4, status: 'applying' });
    await untilSettleable(b, user4);
    const outcome = await b.core.applyDueChange({ claimed: claimed!, clock: () => USER4_DUE, budgetMs: 5_000, retryDelayMs: () => 1_000, maxUnexpectedAttempts: 3 });

    expect(outcome.result).toBe('skipped');
    expect(sim().writes(DEMO.accounts.user4).offerings).toBe(putsBefore);
    expect(offeringsOf(b, DEMO.accounts.user4)).toContain('org.ei.gold.v1:1');
    expect(await b.store.getChange(claimed!.id)).toMatchObject({ status: 'superseded' });
    expect((await b.store.listIntents({ customerId: user4 })).map((i) => i.status)).toEqual(['applied']);
  });

  it('its own write unanswered: retried no sooner than the write can be settled, then finds it in place', async () => {
    const b = await start();
    const user4 = await customerId(b, 'user4');
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    // The PUT lands but is answered too late, and the read-back right after fails: uncertain.
    sim().faults.answerLate(HEADERS_TIMEOUT_MS * 8, 1, 'UpdateAccountOffering');
    const pass = b.scheduler.runPass(USER4_DUE);
    await appliedThenReadBackRefused();
    expect(await pass).toMatchObject({ claimed: 1, retried: 1 });
    sim().faults.clear();
    const change = await listedChangeOf(b, 'user4');
    expect(change).toMatchObject({ status: 'pending', attempts: 1 });
    const [intent] = await b.store.listIntents({ customerId: user4 });
    expect(intent).toMatchObject({ status: 'uncertain', source: 'scheduled', changeId: change.id });
    // Its retry is not before the write can be settled (on the pass's clock).
    expect(Date.parse(change.retryAt!) - USER4_DUE.getTime()).toBeGreaterThanOrEqual(GRACE_MS - 1_000);

    await untilSettleable(b, user4);
    expect(await b.scheduler.runPass(new Date(Date.parse(change.retryAt!) + 3_600_000))).toMatchObject({ claimed: 1, applied: 1 });
    expect(sim().writes(DEMO.accounts.user4).offerings).toBe(1); // the retry found the write in place
    expect(await auditOutcomes(b, change.id)).toEqual(['legacy:scheduled', 'scheduler:uncertain', 'scheduler:retry', 'scheduler:landed', 'scheduler:noop']);
    expect(offeringsOf(b, DEMO.accounts.user4)).toEqual(['org.ei.basic.v1:1', 'org.mc.basic.v1:1']);
  });
});

/** The customers whose lock row is held now, read from the bridge's file as another process would. */
function lockedCustomers(b: ClockedBridge): number[] {
  const db = new DatabaseSync(join(b.dir, 'bridge.db'), { readOnly: true });
  try {
    const rows = db.prepare('SELECT customer_id FROM customer_locks WHERE expires_at > ? ORDER BY customer_id').all(new Date().toISOString());
    return rows.map((row) => Number(row.customer_id));
  } finally {
    db.close();
  }
}

describe("an attempt that adopts its change's earlier intent", () => {
  it('sends its PUT under the customer lock, taken before the PUT although no store write comes first', async () => {
    const b = await start();
    const user4 = await customerId(b, 'user4');
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    const [claimed] = await b.core.claimDueChanges({ dueAt: USER4_DUE, leaseFrom: new Date(), owner: 'test', leaseMs: 60_000, limit: 10 });
    // An earlier attempt of this change opened its intent and stopped before its PUT (a crash, say).
    const before = sim().account(DEMO.accounts.user4)!.offerings;
    const earlier = await b.store.openIntent({
      customerId: user4,
      source: 'scheduled',
      actor: 'scheduler',
      action: 'apply_downgrade',
      requestId: null,
      changeId: claimed!.id,
      customerUpdate: {},
      offeringsBefore: before,
      targetOfferings: before,
      settleAfter: new Date(Date.now() + 60_000).toISOString(),
      owner: 'pid 1',
    });
    sim().faults.latency(300, 'UpdateAccountOffering');
    const attempt = b.core.applyDueChange({ claimed: claimed!, clock: () => USER4_DUE, budgetMs: 5_000, retryDelayMs: () => 1_000, maxUnexpectedAttempts: 3 });
    await waitUntil('the PUT is on its way', () => sim().requests.some((r) => r.operation === 'UpdateAccountOffering'), { intervalMs: 2 });
    expect(lockedCustomers(b)).toEqual([user4]);

    expect(await attempt).toMatchObject({ result: 'applied' });
    expect((await b.store.listIntents({ customerId: user4 })).map((i) => [i.id, i.status])).toEqual([[earlier.id, 'applied']]);
    expect(offeringsOf(b, DEMO.accounts.user4)).toEqual(['org.ei.basic.v1:1', 'org.mc.basic.v1:1']);
    expect(lockedCustomers(b)).toEqual([]);
  });
});

describe('a dry run', () => {
  it('writes no intent', async () => {
    const b = await start();
    const res = await request(b.url)
      .post('/apiv2/reseller.account.json')
      .set('X-Bridge-Dry-Run', '1')
      .type('form')
      .send(`${AUTH}&task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0`);
    expect(res.status).toBe(200);
    expect(await b.store.listIntents()).toEqual([]);
    expect(sim().writes(DEMO.accounts.user4).offerings).toBe(0);
  });
});
