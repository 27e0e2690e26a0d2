// Issue 9's reproducers 1 and 2, end to end (supertest → bridge → embedded simulator), scaled
// down with the config knobs: a write whose outcome is unknown is never answered "nothing was
// changed", and no other write of the customer is computed until it is settled.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { TestBridge } from '../helpers/bridge.js';
import { AUTH, DEMO, useTestBridge } from '../helpers/bridge.js';

/** v3 attempts give up on an answer after this (undici's timers are coarse: up to about a second more). */
const HEADERS_TIMEOUT_MS = 250;
/** How late reproducer 2's PUTs land: after both attempts of the call gave up. */
const PUT_LATENCY_MS = 3_000;
/** Longer than a PUT can take to land after the bridge gave up on it. */
const GRACE_MS = PUT_LATENCY_MS + 1_000;
const USER4 = DEMO.accounts.user4;
const TOKEN = 'aaaabbbbccccddddeeeeffff11112222';
const BUSINESS = '88pzdbz1hmkdoel4';

const current = useTestBridge(
  { BRIDGE_LEGACY_STATUSES: 'http', BRIDGE_WRITE_GRACE_MS: String(GRACE_MS) },
  { upstream: { headersTimeoutMs: HEADERS_TIMEOUT_MS, bodyTimeoutMs: HEADERS_TIMEOUT_MS, maxAttempts: 2, backoffBaseMs: 20, backoffCapMs: 40 } },
);
const sim = () => current().simulator!;
const offeringsOf = (id: string) => sim().account(id)!.offerings.map((o) => `${o.name}:${o.quantity ?? 1}`).sort();
const post = (form: string) => request(current().url).post('/apiv2/reseller.account.json').type('form').send(`${AUTH}&${form}`);
const directoryChange = (query: string) =>
  request(current().url).get(`/v1/partners/accounts/${BUSINESS}/change_package?${query}`).set('Authorization', `Token token="${TOKEN}"`);

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function customerOf(bridge: TestBridge, ref: { username: string } | { businessUid: string }) {
  const customer = await bridge.store.findCustomer('username' in ref ? { reseller: DEMO.apiUser, username: ref.username } : ref);
  return customer!;
}

/** The customer's write intent (there is one per write), once its settle time has passed. */
async function waitForSettleTime(bridge: TestBridge, customerId: number): Promise<void> {
  const [intent] = (await bridge.store.listIntents({ customerId })).slice(-1);
  expect(intent).toBeDefined();
  await waitUntil(() => Date.now() >= Date.parse(intent!.settleAfter), 'the write can be settled');
}

/** The offerings the customer's last audit record with offerings says it is on. */
async function lastRecordedOfferings(bridge: TestBridge, customerId: number) {
  const recorded = (await bridge.store.listAudit({ customerId })).filter((a) => a.offeringsAfter);
  return recorded.at(-1)!.offeringsAfter!.map((o) => `${o.name}:${o.quantity ?? 1}`).sort();
}

describe('reproducer 1: a write that happened, then refusals', () => {
  const UPGRADE = 'task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0';

  /** A pending downgrade of user4, then the PUT of an immediate upgrade applied but answered late, then 503s. */
  async function upgradeAppliedThenRefused(alsoReads: boolean) {
    const b = current();
    await post('task=scheduled_downgrade&user=user4&package=Basic Package').expect(200);
    sim().faults.answerLate(PUT_LATENCY_MS, 1, 'UpdateAccountOffering');
    const answer = post(UPGRADE).then((res) => res);
    await waitUntil(() => sim().writes(USER4).offerings >= 1, 'the simulator applied the PUT');
    // The next answers are 503s: the PUT's retries (and, with `alsoReads`, the read-back too).
    sim().faults.failNext(5, 503, alsoReads ? undefined : 'UpdateAccountOffering');
    const res = await answer;
    sim().faults.clear();
    expect(res.text).not.toMatch(/nothing was changed|safe to retry/);
    expect(offeringsOf(USER4)).toContain('org.ei.gold.v1:1');
    return { b, res, user4: await customerOf(b, { username: 'user4' }) };
  }

  it('apiv2: the read-back finds the change, which is recorded as applied and supersedes the pending downgrade', async () => {
    const { b, res, user4 } = await upgradeAppliedThenRefused(false);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"message":"success"}');
    const audit = await b.store.listAudit({ customerId: user4.id });
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual([
      'scheduled_downgrade:scheduled',
      'immediate_upgrade:superseded',
      'immediate_upgrade:applied',
    ]);
    expect(await b.store.listPending(DEMO.apiUser, { username: 'user4' })).toEqual([]);
    expect(user4.ips).toEqual(['255.255.255.0']);
    expect((await b.store.listIntents({ customerId: user4.id })).map((i) => i.status)).toEqual(['applied']);

    // Its first attempt went unanswered: until it can no longer land, the next write waits.
    const next = 'task=immediate_downgrade&user=user4&package=Silver Package';
    const held = await post(next);
    expect(held.status).toBe(409);
    expect(held.text).toMatch(/earlier change of this user may have been applied/);
    const [intent] = await b.store.listIntents({ customerId: user4.id });
    await waitUntil(() => Date.now() >= Date.parse(intent!.settleAfter), 'the first attempt can no longer land');
    expect((await post(next)).status).toBe(200);
  });

  it('apiv2: unconfirmed, it is answered "may have been applied"; after the grace period a retry answers success', async () => {
    const { b, res, user4 } = await upgradeAppliedThenRefused(true);
    expect(res.status).toBe(409);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.text).toMatch(/may have been applied and is being confirmed/);
    expect(res.text).toMatch(/An identical retry is safe/);
    // Before the grace period: nothing else is computed for user4, not even a new schedule.
    const early = await post(UPGRADE);
    expect(early.status).toBe(409);
    expect(early.text).toMatch(/being confirmed/);
    expect((await post('task=scheduled_close&user=user4')).status).toBe(409);
    expect((await b.store.listPending(DEMO.apiUser, { username: 'user4' })).map((c) => c.type)).toEqual(['downgrade']);

    await waitForSettleTime(b, user4.id);
    const putsBefore = sim().writes(USER4).offerings;
    const retry = await post(UPGRADE);
    expect(retry.status).toBe(200);
    expect(sim().writes(USER4).offerings).toBe(putsBefore); // settled by reading back: no second PUT

    const audit = (await b.store.listAudit({ customerId: user4.id })).map((a) => `${a.action}:${a.outcome}`);
    expect(audit).toEqual([
      'scheduled_downgrade:scheduled',
      'immediate_upgrade:uncertain',
      'immediate_upgrade:superseded',
      'immediate_upgrade:applied', // the settlement: confirmed by read-back
      'immediate_upgrade:noop', // the identical retry
    ]);
    const confirmed = (await b.store.listAudit({ customerId: user4.id })).find((a) => a.outcome === 'applied')!;
    expect(confirmed.detail).toMatch(/confirmed by read-back/);
    expect(await b.store.listPending(DEMO.apiUser, { username: 'user4' })).toEqual([]);
    expect((await customerOf(b, { username: 'user4' })).ips).toEqual(['255.255.255.0']);
    expect(await lastRecordedOfferings(b, user4.id)).toEqual(offeringsOf(USER4));
  });

  it('directory: unconfirmed, the answer says so; the business is settled as changed after the grace period', async () => {
    const b = current();
    const business = await customerOf(b, { businessUid: BUSINESS });
    sim().faults.answerLate(PUT_LATENCY_MS, 1, 'UpdateAccountOffering');
    const answer = directoryChange('package_name=platinum20&edit_tags=vip').then((res) => res);
    await waitUntil(() => sim().writes(DEMO.accounts.business).offerings >= 1, 'the simulator applied the PUT');
    sim().faults.failNext(5, 503);
    const res = await answer;
    sim().faults.clear();
    expect(res.status).toBe(409);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.text).toMatch(/may have been applied and is being confirmed/);
    expect(res.text).not.toMatch(/nothing was changed/);
    expect((await directoryChange('package_name=platinum20').then((r) => r)).status).toBe(409);

    await waitForSettleTime(b, business.id);
    expect(await b.core.settleDueIntents()).toEqual({ settled: 1, failed: 0 });
    const audit = await b.store.listAudit({ customerId: business.id });
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual(['change_package:uncertain', 'change_package:applied']);
    expect(audit.at(-1)!.detail).toMatch(/confirmed by read-back/);
    expect((await customerOf(b, { businessUid: BUSINESS })).tags).toEqual(['vip']);
    expect((await directoryChange('package_name=platinum20&edit_tags=vip')).status).toBe(200);
    expect(await lastRecordedOfferings(b, business.id)).toEqual(offeringsOf(DEMO.accounts.business));
  });
});

describe('reproducer 2: abandoned slow attempts landing after a newer change', () => {
  it('the newer change is not computed until the first write is settled; v3 ends as the audit says', async () => {
    const b = current();
    const user4 = await customerOf(b, { username: 'user4' });
    // Every PUT lands well after the bridge stopped waiting for it (its attempts time out).
    sim().faults.latency(PUT_LATENCY_MS, 'UpdateAccountOffering');
    const first = await post('task=immediate_downgrade&user=user4&package=Basic Package');
    expect(first.status).toBe(409);
    expect(first.text).toMatch(/may have been applied/);
    const sent = sim().requests.filter((r) => r.method === 'PUT').length;
    expect(sent).toBe(2);

    // The newer change, while those attempts are still on their way: refused, nothing computed or sent.
    const newer = 'task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0';
    const refused = await post(newer);
    expect(refused.status).toBe(409);
    expect(refused.text).toMatch(/earlier change of this user may have been applied/);
    expect(sim().requests.filter((r) => r.method === 'PUT').length).toBe(sent);

    // The abandoned attempts land; then the grace period ends and the newer change goes through.
    await waitUntil(() => sim().writes(USER4).offerings >= sent, 'every abandoned attempt landed');
    expect(offeringsOf(USER4)).toContain('org.ei.basic.v1:1');
    sim().faults.clear();
    await waitForSettleTime(b, user4.id);
    const accepted = await post(newer);
    expect(accepted.status).toBe(200);

    expect(offeringsOf(USER4)).toContain('org.ei.gold.v1:1');
    expect(sim().account(USER4)!.offerings.some((o) => o.type === 'package' && o.name === 'org.ei.gold.v1')).toBe(true);
    expect(await lastRecordedOfferings(b, user4.id)).toEqual(offeringsOf(USER4));
    const audit = (await b.store.listAudit({ customerId: user4.id })).map((a) => `${a.action}:${a.outcome}`);
    expect(audit).toEqual(['immediate_downgrade:uncertain', 'immediate_downgrade:applied', 'immediate_upgrade:applied']);
    expect((await customerOf(b, { username: 'user4' })).ips).toEqual(['255.255.255.0']);
  });
});

describe('a write whose record failed after v3 applied it', () => {
  it('is found open by the next write, which waits one grace period, then settles it as applied', async () => {
    const b = current();
    const user4 = await customerOf(b, { username: 'user4' });
    // The record transaction fails once (a disk error) after v3 answered the PUT.
    const record = b.store.recordImmediateChange.bind(b.store);
    let failures = 1;
    b.store.recordImmediateChange = async (...args) => {
      if (failures-- > 0) throw new Error('disk I/O error');
      return record(...args);
    };
    const upgrade = 'task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0';
    const broken = await post(upgrade);
    expect(broken.status).toBe(500);
    expect(broken.text).not.toMatch(/nothing was changed/);
    expect(offeringsOf(USER4)).toContain('org.ei.gold.v1:1');
    expect((await b.store.listIntents({ customerId: user4.id })).map((i) => i.status)).toEqual(['open']);

    // The retry finds the intent open under the customer's lock: its writer is gone, it settles after one grace period.
    const early = await post(upgrade);
    expect(early.status).toBe(409);
    const [intent] = await b.store.listIntents({ customerId: user4.id });
    expect(intent).toMatchObject({ status: 'uncertain' });
    expect(Date.parse(intent!.settleAfter) - Date.now()).toBeLessThanOrEqual(GRACE_MS);
    await waitForSettleTime(b, user4.id);
    expect((await post(upgrade)).status).toBe(200);
    expect((await b.store.listAudit({ customerId: user4.id })).map((a) => `${a.action}:${a.outcome}`)).toEqual([
      'immediate_upgrade:uncertain',
      'immediate_upgrade:applied',
      'immediate_upgrade:noop',
    ]);
    expect(sim().writes(USER4).offerings).toBe(1);
  });
});
