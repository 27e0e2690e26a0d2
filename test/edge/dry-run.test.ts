// `X-Bridge-Dry-Run: 1`: every task of both surfaces does its reads and answers its plan in its
// format; the simulator's write counters and the store stay as they were.
import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHANGE_STATUSES } from '../../src/cli/options.js';
import { AUTH, DEMO, useTestBridge, type TestBridge } from '../helpers/bridge.js';

const bridge = useTestBridge();
const DRY = { 'X-Bridge-Dry-Run': '1' };
const TOKEN = 'Token token="aaaabbbbccccddddeeeeffff11112222"';
const ACCOUNTS = Object.values(DEMO.accounts);

/** Everything a write would change: the store's changes, audit and customers, v3's write counters and accounts. */
async function world(b: TestBridge) {
  return {
    changes: await b.store.listChanges({ statuses: [...CHANGE_STATUSES] }),
    audit: await b.store.listAudit(),
    customers: await b.store.listCustomers(),
    writes: ACCOUNTS.map((id) => b.simulator!.writes(id)),
    accounts: ACCOUNTS.map((id) => b.simulator!.account(id)),
  };
}

const state = (id: string) => `/v3/partners/accounts/${id}/state`;
const offerings = (id: string) => `/v3/partners/accounts/${id}/offerings`;
const GET = (path: string) => ({ method: 'GET', path });

describe('a dry run writes nothing and answers the plan', () => {
  beforeEach(async () => {
    // A pending change to cancel, listed, or to be superseded.
    await request(bridge().url).post('/apiv2/reseller.account.json').type('form').send(`${AUTH}&task=scheduled_downgrade&package=Basic Package&user=user4`).expect(200);
    bridge().simulator!.reset();
  });

  const U4 = DEMO.accounts.user4;
  const C = DEMO.accounts['customer@example.com'];
  const cases: [string, string, Record<string, unknown>][] = [
    ['immediate_upgrade', `task=immediate_upgrade&package=Gold Package&user=user4&ip[]=255.255.255.0`, {
      outcome: 'change',
      v3_reads: [GET(state(U4)), GET(offerings(U4))],
      v3_writes: [{ method: 'PUT', path: offerings(U4), body: { offerings: [
        { name: 'org.ei.gold.v1', type: 'package', quantity: 1 },
        { name: 'org.mc.basic.v1', type: 'addon', quantity: 1 },
        { name: 'org.ei.addon.dedicated_ip.v1', type: 'addon', quantity: 1 },
      ] } }],
    }],
    ['immediate_downgrade', `task=immediate_downgrade&package=Basic Package&user=user4`, { outcome: 'change', v3_writes: [expect.objectContaining({ method: 'PUT', path: offerings(U4) })] }],
    ['immediate_close of a free customer', `task=immediate_close&user=customer@example.com`, { outcome: 'no_change', v3_reads: [GET(state(C)), GET(offerings(C))], v3_writes: [] }],
    ['scheduled_upgrade', `task=scheduled_upgrade&package=Gold Package&user=user4&ip[]=255.255.255.0`, { outcome: 'schedule', effective_at: expect.stringMatching(/T00:00:00\.000Z$/), v3_writes: [] }],
    ['scheduled_close', `task=scheduled_close&user=user4`, { outcome: 'schedule', v3_reads: [GET(state(U4)), GET(offerings(U4))] }],
    ['overview', `task=overview&user=user4`, { outcome: 'read', v3_reads: [GET(offerings(U4)), GET('/v3/partners/offerings')], v3_writes: [] }],
  ];
  it.each(cases)('reseller.account %s', async (task, params, expected) => {
    const before = await world(bridge());
    const answer = await request(bridge().url).post('/apiv2/reseller.account.json').set(DRY).type('form').send(`${AUTH}&${params}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ message: 'dry run', task: task.split(' ')[0], ...expected });
    expect(answer.body.bridge_keeps.length).toBeGreaterThan(0);
    expect(await world(bridge())).toEqual(before);
    expect(bridge().simulator!.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('reseller.pending delete: cancels nothing', async () => {
    const before = await world(bridge());
    const answer = await request(bridge().url).post('/apiv2/reseller.pending.json').set(DRY).type('form').send(`${AUTH}&task=delete&user=user4`);
    expect(answer.body).toMatchObject({ message: 'dry run', task: 'delete', outcome: 'cancel', v3_reads: [], v3_writes: [] });
    expect(await world(bridge())).toEqual(before);
    expect((await bridge().store.listPending(DEMO.apiUser)).map((c) => c.username)).toEqual(['user4']);
  });

  it('reseller.pending list, in XML', async () => {
    const before = await world(bridge());
    const answer = await request(bridge().url).get(`/apiv2/reseller.pending.xml?${AUTH}&task=list`).set(DRY);
    expect(answer.headers['content-type']).toBe('text/xml; charset=ISO-8859-1');
    const xml = await parseStringPromise(answer.text, { explicitArray: false });
    expect(xml.result).toMatchObject({ message: 'dry run', task: 'list', outcome: 'read', v3_reads: '', v3_writes: '' });
    expect(await world(bridge())).toEqual(before);
  });

  it('an immediate change in XML names every call and the body', async () => {
    const answer = await request(bridge().url).post('/apiv2/reseller.account.xml').set(DRY).type('form').send(`${AUTH}&task=immediate_upgrade&package=Silver Package&user=customer@example.com`);
    const xml = await parseStringPromise(answer.text, { explicitArray: false });
    expect(xml.result.outcome).toBe('change');
    expect(xml.result.v3_reads.call).toEqual([{ method: 'GET', path: state(C) }, { method: 'GET', path: offerings(C) }]);
    expect(xml.result.v3_writes.call).toEqual({ method: 'PUT', path: offerings(C), body: { offerings: { offering: { name: 'org.ei.silver.v1', type: 'package', quantity: '1' } } } });
    expect(bridge().simulator!.writes(C)).toEqual({ offerings: 0, state: 0 });
  });

  it('a request the bridge refuses is answered as without the header', async () => {
    const url = bridge().url;
    const body = `${AUTH}&task=immediate_upgrade&package=Bronze&user=user4`;
    const dry = await request(url).post('/apiv2/reseller.account.json').set(DRY).type('form').send(body);
    const real = await request(url).post('/apiv2/reseller.account.json').type('form').send(body);
    expect([dry.status, dry.body]).toEqual([real.status, real.body]);
    expect(dry.body).toEqual({ message: 'error', errors: ['Package "Bronze" does not exist'] });
  });

  it('only the value 1 asks for a dry run', async () => {
    const answer = await request(bridge().url).post('/apiv2/reseller.account.json').set('X-Bridge-Dry-Run', 'true').type('form').send(`${AUTH}&task=immediate_upgrade&package=Silver Package&user=customer@example.com`);
    expect(answer.body).toEqual({ message: 'success' });
    expect(bridge().simulator!.writes(C)).toEqual({ offerings: 1, state: 0 });
  });

  const B = DEMO.accounts.business;
  const directory: [string, string, Record<string, unknown>][] = [
    ['a package change', 'package_name=platinum20&edit_tags=vip,eu', { outcome: 'change', v3_reads: [GET(state(B)), GET(offerings(B))], v3_writes: [{ method: 'PUT', path: offerings(B), body: { offerings: [{ name: 'org.ei.platinum20.v1', type: 'package', quantity: 1 }] } }] }],
    ['the package it already has', 'package_name=business20', { outcome: 'no_change', v3_writes: [] }],
    ['tags and params only', 'edit_tags=a&external_subscription_params[plan]=p1', { outcome: 'update', v3_reads: [GET(state(B))], v3_writes: [] }],
  ];
  it.each(directory)('directory change_package: %s', async (_name, query, expected) => {
    const before = await world(bridge());
    const answer = await request(bridge().url).get(`/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?${query}`).set('Authorization', TOKEN).set(DRY);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ message: 'dry run', business_id: '88pzdbz1hmkdoel4', task: 'change_package', ...expected });
    expect(await world(bridge())).toEqual(before);
  });

  it('directory: a refusal is answered as without the header', async () => {
    const answer = await request(bridge().url).get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?add_sms_credits=5').set('Authorization', TOKEN).set(DRY);
    expect(answer.status).toBe(422);
  });
});
