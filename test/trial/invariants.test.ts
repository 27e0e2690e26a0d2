// Each invariant of the crash trial fails on the history it exists to catch, and holds on a
// clean one: the trial can only be trusted if its checks can fail.
import { describe, expect, it } from 'vitest';
import { checkInvariants, type AuditRow, type Observed } from './invariants.js';

const SILVER = ['org.ei.silver.v1:1', 'org.mc.basic.v1:1'];
const GOLD = ['org.ei.gold.v1:1', 'org.mc.basic.v1:1'];
const BASIC = ['org.ei.basic.v1:1', 'org.mc.basic.v1:1'];
const ACCOUNT = 'sg-user4';

const audit = (id: number, at: number, fields: Partial<AuditRow>): AuditRow => ({ id, at, actor: 'legacy', action: 'immediate_upgrade', username: 'user4', outcome: 'applied', ...fields });

/** user4 on Silver, a downgrade to Basic scheduled at 100, an immediate upgrade to Gold sent at 200 and answered at 300. */
function clean(): Observed {
  return {
    sent: [
      { n: 0, requestId: 'r0', kind: 'scheduled', task: 'scheduled_downgrade', username: 'user4', targetPackage: 'Basic Package', targetOffering: 'org.ei.basic.v1', sentAt: 90, endedAt: 110, answer: 'success' },
      { n: 1, requestId: 'r1', kind: 'immediate', task: 'immediate_upgrade', username: 'user4', targetPackage: 'Gold Package', targetOffering: 'org.ei.gold.v1', sentAt: 200, endedAt: 300, answer: 'success' },
    ],
    puts: [{ accountId: ACCOUNT, at: 250, offerings: GOLD }],
    changes: [{ id: 7, username: 'user4', targetPackage: 'Basic Package', status: 'superseded', createdAt: 100 }],
    audit: [
      audit(1, 100, { action: 'scheduled_downgrade', outcome: 'scheduled', changeId: 7, before: SILVER }),
      audit(2, 290, { action: 'immediate_upgrade', outcome: 'superseded', changeId: 7 }),
      audit(3, 290, { before: SILVER, after: GOLD }),
    ],
    customers: [{ username: 'user4', accountId: ACCOUNT, seed: SILVER, final: GOLD }],
    unsettled: [],
    intents: [{ id: 1, requestId: 'r1', status: 'applied' }],
    packageOfferings: new Set(['org.ei.silver.v1', 'org.ei.gold.v1', 'org.ei.basic.v1']),
  };
}

const invariantsOf = (observed: Observed) => [...new Set(checkInvariants(observed).map((v) => v.invariant))].sort();

describe('the crash trial invariants', () => {
  it('hold on a clean history', () => {
    expect(checkInvariants(clean())).toEqual([]);
  });

  it.each<[string, (o: Observed) => void, string[]]>([
    ['an answered success with no audit record', (o) => (o.audit = o.audit.filter((a) => a.id !== 3)), ['lost', 'mismatch', 'unrecorded']],
    ['a scheduled change left failed', (o) => (o.changes[0]!.status = 'failed'), ['lost']],
    ['a scheduled change cancelled without a cancellation', (o) => (o.changes[0]!.status = 'cancelled'), ['lost']],
    [
      'a scheduled change applied twice',
      (o) => {
        o.changes[0]!.status = 'applied';
        o.audit.push(audit(4, 400, { actor: 'scheduler', action: 'apply', outcome: 'applied', changeId: 7, before: GOLD, after: GOLD }));
        o.audit.push(audit(5, 500, { actor: 'scheduler', action: 'apply', outcome: 'noop', changeId: 7, before: GOLD, after: GOLD }));
      },
      ['twice'],
    ],
    [
      // Issue 9, case 3: the upgrade's PUT landed, nothing recorded it, the older downgrade ran after it.
      'an immediate change reverted by an older scheduled one',
      (o) => {
        o.sent[1]!.answer = 'none';
        o.changes[0]!.status = 'applied';
        o.audit = [o.audit[0]!, audit(4, 400, { actor: 'scheduler', action: 'apply', changeId: 7, before: GOLD, after: BASIC })];
        o.customers[0]!.final = BASIC;
      },
      ['reverted', 'unrecorded'],
    ],
    ['a change left applying', (o) => (o.changes[0]!.status = 'applying'), ['lost', 'stuck']],
    ['an intent left uncertain', (o) => (o.unsettled = ['user4 intent 3 uncertain']), ['stuck']],
    // Issue 9, case 2: an abandoned attempt landed after the newer change and overwrote it.
    ['v3 differs from the last audit record', (o) => (o.customers[0]!.final = SILVER), ['mismatch']],
    // Issue 9, case 1: the write landed, the client was told it is safe to retry.
    [
      "'nothing was changed' for a write that landed",
      (o) => Object.assign(o.sent[1]!, { answer: 'error', status: 503, body: '{"message":"error","errors":["SendGrid v3 is unavailable; nothing was changed, the request is safe to retry"]}' }),
      ['truthful'],
    ],
    ['a success whose write was abandoned', (o) => (o.intents[0]!.status = 'abandoned'), ['lost']],
    ['a PUT that landed and was never recorded', (o) => o.puts.push({ accountId: ACCOUNT, at: 260, offerings: BASIC }), ['unrecorded']],
  ])('%s breaks them', (_, corrupt, broken) => {
    const observed = clean();
    corrupt(observed);
    expect(invariantsOf(observed)).toEqual(broken.sort());
  });
});
