// Issue 9's reproducer 1, end to end: a write that happened, then refusals, is never answered
// "nothing was changed" (README "Uncertain writes").
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../../harness/processes.js';
import {
  BUSINESS,
  DEMO,
  PUT_LATENCY_MS,
  USER4,
  customerOf,
  lastRecordedOfferings,
  useUncertainWritesBridge,
  waitForSettleTime,
} from './uncertain-writes-support.js';

const { current, sim, offeringsOf, post, directoryChange } = useUncertainWritesBridge();

describe('reproducer 1: a write that happened, then refusals', () => {
  const UPGRADE = 'task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0';

  /** A pending downgrade of user4, then the PUT of an immediate upgrade applied but answered late, then 503s. */
  async function upgradeAppliedThenRefused(alsoReads: boolean) {
    const b = current();
    await post('task=scheduled_downgrade&user=user4&package=Basic Package').expect(200);
    sim().faults.answerLate(PUT_LATENCY_MS, 1, 'UpdateAccountOffering');
    const answer = post(UPGRADE).then((res) => res);
    await waitUntil('the simulator applied the PUT', () => sim().writes(USER4).offerings >= 1);
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
    await waitUntil('the first attempt can no longer land', () => Date.now() >= Date.parse(intent!.settleAfter));
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
    await waitUntil('the simulator applied the PUT', () => sim().writes(DEMO.accounts.business).offerings >= 1);
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
