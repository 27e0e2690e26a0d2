// Issue 9's reproducer 2, end to end: abandoned slow attempts never overwrite a newer change, and a
// write applied but never recorded is settled by the next one (README "Uncertain writes").
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../../harness/processes.js';
import {
  GRACE_MS,
  PUT_LATENCY_MS,
  USER4,
  customerOf,
  lastRecordedOfferings,
  useUncertainWritesBridge,
  waitForSettleTime,
} from './uncertain-writes-support.js';

const { current, sim, offeringsOf, post } = useUncertainWritesBridge();

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
    await waitUntil('every abandoned attempt landed', () => sim().writes(USER4).offerings >= sent);
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
