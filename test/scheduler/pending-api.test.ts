// Scheduled tasks through the legacy API, end to end: legacy form → bridge → store, and a
// scheduler pass → embedded simulator. Each test gets its own bridge and a clock it sets.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { demoMappings } from '../helpers/bridge.js';
import { apiExamples, compactJson, compactXml, readContract } from '../edge/legacy/contracts.js';
import {
  DEMO,
  auditOutcomes,
  expectOnlyValidV3Requests,
  expectSuccess,
  historyOf,
  legacy,
  listPending,
  listedChangeOf,
  offeringWrites,
  offeringsOf,
  startClockedBridge,
  type ClockedBridge,
} from './support.js';

const docs = apiExamples(readContract('seeds/003_7b30537831e4d720.txt'));
const XML_DECLARATION = '<?xml version="1.0" encoding="ISO-8859-1"?>';

let bridge: ClockedBridge | undefined;
// Real statuses, so each refusal is told apart by its status (the original mode is tested in test/edge).
const start = async (today: string, env: Record<string, string> = {}) =>
  (bridge = await startClockedBridge(today, {}, { BRIDGE_LEGACY_STATUSES: 'http', ...env }));
afterEach(async () => {
  if (bridge) expectOnlyValidV3Requests(bridge);
  await bridge?.stop();
  bridge = undefined;
});

const DOWNGRADE_USER4 = 'task=scheduled_downgrade&user=user4&package=Basic Package';

describe('scheduling a change', () => {
  it('answers success, writes nothing upstream, and lists it for user4’s next billing day', async () => {
    const b = await start('2026-02-10T12:00:00Z'); // user4 was created on a 30th: February has none
    await expectSuccess(b, DOWNGRADE_USER4);
    expect(offeringWrites(b)).toBe(0);
    const res = await legacy(b, 'reseller.pending.json', 'task=list');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text).toBe(
      '[{"username":"user4","type":"Account Downgrade","current":"Main Reseller - Silver Package",' +
        '"update":"Main Reseller - Basic Package","ip_groups":[],"ips":[],"date":"2026-02-28"}]',
    );
    const change = await listedChangeOf(b, 'user4');
    expect(change).toMatchObject({ status: 'pending', effectiveAt: '2026-02-28T00:00:00.000Z', attempts: 0, accountId: DEMO.accounts.user4 });
    expect(await auditOutcomes(b, change.id)).toEqual(['legacy:scheduled']);
  });

  it('lists the documented example byte for byte, in JSON and in XML', async () => {
    const b = await start('2010-09-15T08:00:00Z'); // user4 bills on the 30th, user5 on the 7th
    await expectSuccess(b, 'task=scheduled_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0&ip[]=255.255.254.0');
    await expectSuccess(b, 'task=scheduled_downgrade&user=user5&package=Basic Package&ip_group[]=Reseller Group');
    const example = docs.get('users')!;

    const json = await legacy(b, 'reseller.pending.json', 'task=list');
    expect(json.text).toBe(compactJson(example.json[0]!));

    const xml = await legacy(b, 'reseller.pending.xml', 'task=list');
    expect(xml.headers['content-type']).toBe('text/xml; charset=ISO-8859-1');
    expect(xml.text).toBe(`${XML_DECLARATION}\n${compactXml(example.xml[0]!)}`);
    expect(offeringWrites(b)).toBe(0);
  });

  it('delete cancels it, kept in history as cancelled; a second delete is a 400', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    await expectSuccess(b, DOWNGRADE_USER4);
    const deleted = await legacy(b, 'reseller.pending.json', 'task=delete&user=user4');
    expect(deleted.text).toBe(compactJson(docs.get('delete')!.json[0]!));
    expect(await listPending(b)).toEqual([]);
    expect((await historyOf(b, 'user4')).map((c) => c.status)).toEqual(['cancelled']);

    const again = await legacy(b, 'reseller.pending.json', 'task=delete&user=user4');
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ message: 'error', errors: ['No pending change for user user4'] });
    // Nothing is left for the scheduler.
    expect((await b.scheduler.runPass(new Date('2026-03-01T00:00:00Z'))).claimed).toBe(0);
    expect(offeringWrites(b)).toBe(0);
  });

  it('is applied by the first scheduler pass on its date, not a millisecond before', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    await expectSuccess(b, DOWNGRADE_USER4);
    expect(await b.scheduler.runPass(new Date('2026-02-27T23:59:59.999Z'))).toMatchObject({ claimed: 0 });
    expect(offeringWrites(b)).toBe(0);

    expect(await b.scheduler.runPass(new Date('2026-02-28T00:00:00Z'))).toEqual({ claimed: 1, applied: 1, retried: 0, failed: 0, skipped: 0 });
    expect(offeringsOf(b, DEMO.accounts.user4)).toEqual(['org.ei.basic.v1:1', 'org.mc.basic.v1:1']);
    expect(b.simulator!.writes(DEMO.accounts.user4).offerings).toBe(1);
    expect(await listPending(b)).toEqual([]);
    const [change] = await historyOf(b, 'user4');
    expect(change).toMatchObject({ status: 'applied', attempts: 1, leaseOwner: null });
    expect(await auditOutcomes(b, change!.id)).toEqual(['legacy:scheduled', 'scheduler:applied']);
    // Applied once: later passes find nothing.
    expect((await b.scheduler.runPass(new Date('2026-04-01T00:00:00Z'))).claimed).toBe(0);
  });

  it('a second scheduled request replaces the first; the identical request again changes nothing', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    await expectSuccess(b, DOWNGRADE_USER4);
    await expectSuccess(b, 'task=scheduled_close&user=user4&ip_group[]=Reseller Group');
    const listed = await listPending(b);
    expect(listed).toEqual([expect.objectContaining({ username: 'user4', type: 'Account Close', update: 'Main Reseller - Free Package' })]);
    const [first, second] = await historyOf(b, 'user4');
    expect([first!.status, second!.status]).toEqual(['superseded', 'pending']);
    expect(await auditOutcomes(b, first!.id)).toEqual(['legacy:scheduled', 'legacy:superseded']);

    await expectSuccess(b, 'task=scheduled_close&user=user4&ip_group[]=Reseller Group');
    expect(await historyOf(b, 'user4')).toEqual([first, second]);
    expect(await auditOutcomes(b, second!.id)).toEqual(['legacy:replaced', 'legacy:noop']);
    expect(await listPending(b)).toEqual(listed);

    await b.scheduler.runPass(new Date('2026-02-28T00:00:00Z'));
    expect(offeringsOf(b, DEMO.accounts.user4)).toEqual(['org.ei.free.v1:1', 'org.mc.basic.v1:1']);
    expect(b.simulator!.writes(DEMO.accounts.user4).offerings).toBe(1);
  });

  it('an immediate task supersedes the pending change, which is then never applied', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    await expectSuccess(b, DOWNGRADE_USER4);
    await expectSuccess(b, 'task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0');
    expect(await listPending(b)).toEqual([]);
    const [change] = await historyOf(b, 'user4');
    expect(change!.status).toBe('superseded');
    expect(await auditOutcomes(b, change!.id)).toEqual(['legacy:scheduled', 'legacy:superseded']);

    expect((await b.scheduler.runPass(new Date('2026-03-01T00:00:00Z'))).claimed).toBe(0);
    expect(offeringsOf(b, DEMO.accounts.user4)).toEqual(['org.ei.addon.dedicated_ip.v1:1', 'org.ei.gold.v1:1', 'org.mc.basic.v1:1']);
  });
});

describe('reseller.pending list', () => {
  it('filters by username and by type', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    await expectSuccess(b, DOWNGRADE_USER4);
    await expectSuccess(b, 'task=scheduled_downgrade&user=user5&package=Silver Package');
    await expectSuccess(b, 'task=scheduled_upgrade&user=customer@example.com&package=Basic Package');
    const names = (entries: unknown[]) => entries.map((e) => (e as { username: string }).username);

    // By date: customer@example.com bills on the 15th, user5 on the 7th (of March), user4 on Feb 28.
    expect(names(await listPending(b))).toEqual(['customer@example.com', 'user4', 'user5']);
    expect(names(await listPending(b, '&username=user5'))).toEqual(['user5']);
    expect(names(await listPending(b, '&type=downgrade'))).toEqual(['user4', 'user5']);
    expect(names(await listPending(b, '&type=upgrade'))).toEqual(['customer@example.com']);
    expect(names(await listPending(b, '&type=close'))).toEqual([]);
    expect(names(await listPending(b, '&username=user5&type=upgrade'))).toEqual([]);
    expect(names(await listPending(b, '&username=nobody'))).toEqual([]);

    const bad = await legacy(b, 'reseller.pending.json', 'task=list&type=sideways');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ message: 'error', errors: ['type must be one of upgrade, downgrade, close'] });
  });

  it('does not show another reseller’s changes', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    await expectSuccess(b, DOWNGRADE_USER4);
    const res = await request(b.url)
      .post('/apiv2/reseller.pending.json')
      .type('form')
      .send(`api_user=${DEMO.secondApiUser}&api_key=${DEMO.secondPassword}&task=list`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(await listPending(b)).toHaveLength(1);
  });

  it('shows the IPs and IP groups of a scheduled upgrade to Gold and of a scheduled close, which then apply them', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    await expectSuccess(b, 'task=scheduled_upgrade&user=customer@example.com&package=Gold Package&ip[]=255.255.255.0&ip_group[]=Reseller Group');
    await expectSuccess(b, 'task=scheduled_close&user=user5&ip_group[]=Reseller Group');

    const xml = await legacy(b, 'reseller.pending.xml', 'task=list');
    expect(xml.text).toBe(
      `${XML_DECLARATION}\n<result><pending>` +
        '<user><username>customer@example.com</username><type>Account Upgrade</type><current>Main Reseller - Free Package</current>' +
        '<update>Main Reseller - Gold Package</update><date>2026-02-15</date>' +
        '<ips><ip>255.255.255.0</ip></ips><ip_groups><ip_group>Reseller Group</ip_group></ip_groups></user>' +
        '<user><username>user5</username><type>Account Close</type><current>Main Reseller - Gold Package</current>' +
        '<update>Main Reseller - Free Package</update><date>2026-03-07</date><ips/>' +
        '<ip_groups><ip_group>Reseller Group</ip_group></ip_groups></user>' +
        '</pending></result>',
    );
    expect(await b.scheduler.runPass(new Date('2026-03-07T00:00:00Z'))).toMatchObject({ claimed: 2, applied: 2 });
    expect(offeringsOf(b, DEMO.accounts['customer@example.com'])).toEqual(['org.ei.addon.dedicated_ip.v1:1', 'org.ei.gold.v1:1']);
    expect(offeringsOf(b, DEMO.accounts.user5)).toEqual(['org.ei.expert_services.v1:1', 'org.ei.free.v1:1']);
    const customer = await b.store.findCustomer({ reseller: DEMO.apiUser, username: 'customer@example.com' });
    expect(customer).toMatchObject({ ips: ['255.255.255.0'], ipGroups: ['Reseller Group'] });
    // Applied, the IP is customer@example.com's: another customer cannot be scheduled onto it.
    const taken = await legacy(b, 'reseller.account.json', 'task=scheduled_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0');
    expect(taken.status).toBe(400);
    expect(taken.body.errors).toEqual(['IP 255.255.255.0 is already assigned to another customer']);
  });

  it('refuses a scheduled change the rules refuse now, and stores nothing', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    const res = await legacy(b, 'reseller.account.json', 'task=scheduled_upgrade&user=user4&package=Basic Package');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(['Basic Package is not an upgrade from Silver Package']);
    expect(await historyOf(b, 'user4')).toEqual([]);
  });
});

describe('the billing day', () => {
  // Demo mappings name no billing day: each comes from the v3 account's created_at
  // (user4 on a 30th, user5 on a 7th, customer@example.com on a 15th).
  it.each([
    ['user4', '2026-01-15T12:00:00Z', '2026-01-30'],
    ['user4', '2026-01-30T00:00:00Z', '2026-02-28'], // strictly after today, short month
    ['user4', '2026-01-30T23:59:59Z', '2026-02-28'],
    ['user4', '2026-01-29T23:59:59Z', '2026-01-30'],
    ['user4', '2024-02-10T12:00:00Z', '2024-02-29'], // leap year
    ['user4', '2026-02-28T12:00:00Z', '2026-03-30'], // back to the original day
    ['user4', '2026-12-31T23:59:59Z', '2027-01-30'], // year boundary
    ['user5', '2026-03-07T00:00:00Z', '2026-04-07'],
    ['user5', '2026-03-06T23:59:59Z', '2026-03-07'],
    ['customer@example.com', '2026-03-14T23:59:59Z', '2026-03-15'],
  ])('%s on %s: effective %s', async (user, today, date) => {
    const b = await start(today);
    const task = user === 'customer@example.com' ? 'scheduled_upgrade&package=Basic Package' : 'scheduled_downgrade&package=Basic Package';
    await expectSuccess(b, `task=${task}&user=${user}`);
    expect(await listPending(b)).toEqual([expect.objectContaining({ username: user, date })]);
    expect((await listedChangeOf(b, user)).effectiveAt).toBe(`${date}T00:00:00.000Z`);
  });

  it('a billing day in the mapping wins over the account’s creation day', async () => {
    const mappings = mkdtempSync(join(tmpdir(), 'bridge-mappings-'));
    try {
      cpSync(demoMappings, mappings, { recursive: true });
      const file = join(mappings, 'customers.json');
      const customers = JSON.parse(readFileSync(file, 'utf8')) as { customers: { username?: string; billing_day?: number }[] };
      customers.customers.find((c) => c.username === 'user5')!.billing_day = 31;
      writeFileSync(file, JSON.stringify(customers));

      const b = await start('2026-04-10T12:00:00Z', { BRIDGE_MAPPINGS: mappings });
      await expectSuccess(b, 'task=scheduled_downgrade&user=user5&package=Basic Package');
      await expectSuccess(b, DOWNGRADE_USER4);
      expect(await listPending(b)).toEqual([
        expect.objectContaining({ username: 'user5', date: '2026-04-30' }), // 31 → April's last day
        expect.objectContaining({ username: 'user4', date: '2026-04-30' }), // created on the 30th
      ]);
      b.clock.set('2026-04-30T12:00:00Z');
      await expectSuccess(b, 'task=scheduled_downgrade&user=user5&package=Silver Package');
      expect(await listPending(b, '&username=user5')).toEqual([expect.objectContaining({ date: '2026-05-31' })]);
    } finally {
      rmSync(mappings, { recursive: true, force: true });
    }
  });
});
