// Brownouts at the edge, on the injected clock: a window refuses in the endpoint's legacy shape
// (503 with Retry-After, or 410 after the sunset) before authentication, any v3 call or store
// write; a dry-run window (or the switch off) only counts; every refusal is in the ledger.
import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { describe, expect, it } from 'vitest';
import type { NewBrownoutWindow } from '../../src/store/ledger.js';
import { AUTH, DEMO, useTestBridge, type TestBridge } from '../helpers/bridge.js';
import { brownoutWindow } from '../helpers/brownout.js';

const T0 = new Date('2027-03-01T10:00:00.000Z');
let clock = T0;
const bridge = useTestBridge({}, { now: () => clock });
const TOKEN = 'Token token="aaaabbbbccccddddeeeeffff11112222"';
const DIRECTORY_CALL = '/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=platinum20';

/** Adds a window (the whole next minute, every surface, task and reseller unless said) and lets the gate read it. */
async function brownout(b: TestBridge, over: Partial<NewBrownoutWindow> = {}) {
  const window = await b.store.addBrownout({ ...brownoutWindow(T0, 60_000), ...over });
  await b.brownouts.refresh();
  return window;
}

async function ledger(b: TestBridge) {
  await b.ledger.flush();
  return (await b.store.ledgerEntries()).map((e) => ({ reseller: e.reseller, task: e.task, outcome: e.outcome, count: e.count, lastStatus: e.lastStatus, authStyle: e.authStyle }));
}

async function untouched(b: TestBridge) {
  expect(b.simulator!.requests).toEqual([]);
  expect(await b.store.listAudit()).toEqual([]);
  expect(await b.store.listChanges({ statuses: ['pending'] })).toEqual([]);
}

describe('a brownout window', () => {
  it('refuses an apiv2 JSON call with 503 and Retry-After, even under the errors-answer-200 rule, writing nothing', async () => {
    clock = new Date(T0.getTime() + 15_500);
    const b = bridge();
    await brownout(b);
    const res = await request(b.url).post('/apiv2/reseller.account.json').type('form').send(`${AUTH}&task=immediate_upgrade&package=Gold Package&user=user4`);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('45');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toEqual({ message: 'error', errors: [expect.stringMatching(/scheduled brownout until 2027-03-01T10:01:00.000Z/)] });
    expect(res.headers.deprecation).toBe('@1767225600'); // still the legacy answer, with its signals
    // The second reseller's mapping sets errors_with_http_200 explicitly: the brownout's 503 holds too.
    const second = await request(b.url).post('/apiv2/reseller.pending.json').type('form').send(`api_user=${DEMO.secondApiUser}&api_key=${DEMO.secondPassword}&task=list`);
    expect([second.status, second.headers['retry-after']]).toEqual([503, '45']);
    await untouched(b);
    expect(await ledger(b)).toEqual([ // by reseller
      { reseller: DEMO.secondApiUser, task: 'list', outcome: 'brownout', count: 1, lastStatus: 503, authStyle: 'password' },
      { reseller: DEMO.apiUser, task: 'immediate_upgrade', outcome: 'brownout', count: 1, lastStatus: 503, authStyle: 'password' },
    ]);
    await b.brownouts.refresh();
    expect((await b.store.listBrownouts()).windows[0]).toMatchObject({ refused: 2, wouldRefuse: 0 });
  });

  it('refuses in XML, before authentication: a wrong password is refused by the brownout, under the api_user claimed', async () => {
    clock = T0;
    const b = bridge();
    await brownout(b, { tasks: ['list'] });
    const res = await request(b.url).post('/apiv2/reseller.pending.xml').type('form').send(`api_user=${DEMO.apiUser}&api_key=wrong&task=list`);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('60');
    expect(await parseStringPromise(res.text)).toEqual({ result: { message: ['error'], errors: [{ error: [expect.stringMatching(/brownout/)] }] } });
    // Another task is not in the window: authenticated and answered as usual.
    const other = await request(b.url).post('/apiv2/reseller.account.json').type('form').send(`${AUTH}&task=overview&user=user4`);
    expect(other.status).toBe(200);
    expect(await ledger(b)).toEqual(
      expect.arrayContaining([
        { reseller: DEMO.apiUser, task: 'list', outcome: 'brownout', count: 1, lastStatus: 503, authStyle: 'password' },
        expect.objectContaining({ reseller: DEMO.apiUser, task: 'overview', outcome: 'success' }),
      ]),
    );
  });

  it('refuses a v3-key caller under its reseller, and only the resellers the window names', async () => {
    clock = T0;
    const b = bridge();
    await brownout(b, { resellers: [DEMO.apiUser] });
    const key = await request(b.url).get('/apiv2/reseller.pending.json?task=list').set('Authorization', `Bearer ${DEMO.key}`);
    expect(key.status).toBe(503);
    const second = await request(b.url).post('/apiv2/reseller.pending.json').type('form').send(`api_user=${DEMO.secondApiUser}&api_key=${DEMO.secondPassword}&task=list`);
    expect(second.status).toBe(200);
    expect((await ledger(b)).filter((e) => e.outcome === 'brownout')).toEqual([
      { reseller: DEMO.apiUser, task: 'list', outcome: 'brownout', count: 1, lastStatus: 503, authStyle: 'bearer' },
    ]);
  });

  it('refuses the directory endpoint in its JSON shape, before the business is looked up', async () => {
    clock = T0;
    const b = bridge();
    await brownout(b, { surfaces: ['directory'] });
    const res = await request(b.url).get(DIRECTORY_CALL).set('Authorization', TOKEN);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('60');
    expect(res.body).toEqual({ message: expect.stringMatching(/brownout/) });
    await untouched(b);
    expect((await request(b.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`)).status).toBe(200);
    const [entry] = (await ledger(b)).filter((e) => e.outcome === 'brownout');
    expect(entry).toEqual({ reseller: 'demo-directory', task: 'change_package', outcome: 'brownout', count: 1, lastStatus: 503, authStyle: 'directory_token' });
  });

  it('answers 410 without Retry-After after the sunset, when the window says so', async () => {
    clock = new Date('2028-01-10T00:00:00Z'); // after apiv2's sunset (2027-12-31), before overview's (2028-06-30)
    const b = bridge();
    await brownout(b, { startsAt: clock, endsAt: new Date(clock.getTime() + 3_600_000), goneAfterSunset: true });
    const gone = await request(b.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`);
    expect(gone.status).toBe(410);
    expect(gone.headers['retry-after']).toBeUndefined();
    expect(gone.body.errors[0]).toMatch(/passed its sunset/);
    const overview = await request(b.url).post('/apiv2/reseller.account.json').type('form').send(`${AUTH}&task=overview&user=user4`);
    expect(overview.status).toBe(503);
    expect(overview.headers['retry-after']).toBe('3600');
  });

  it('a dry-run window, and any window while the switch is off, only counts', async () => {
    clock = T0;
    const b = bridge();
    const dry = await brownout(b, { dryRun: true, tasks: ['list'] });
    expect((await request(b.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`)).status).toBe(200);
    const refusing = await brownout(b, { tasks: ['overview'] });
    await b.store.setBrownoutsEnabled(false);
    await b.brownouts.refresh();
    expect((await request(b.url).post('/apiv2/reseller.account.json').type('form').send(`${AUTH}&task=overview&user=user4`)).status).toBe(200);
    await b.store.setBrownoutsEnabled(true);
    await b.brownouts.refresh();
    expect((await request(b.url).post('/apiv2/reseller.account.json').type('form').send(`${AUTH}&task=overview&user=user4`)).status).toBe(503);
    await b.brownouts.refresh();
    const counts = (await b.store.listBrownouts()).windows.map((w) => [w.id, w.refused, w.wouldRefuse]);
    expect(counts).toEqual([
      [dry.id, 0, 1],
      [refusing.id, 1, 1],
    ]);
    expect((await ledger(b)).filter((e) => e.outcome === 'brownout').map((e) => [e.task, e.count])).toEqual([['overview', 1]]);
  });

  it('ends at its end on the clock, and does not refuse before its start', async () => {
    const b = bridge();
    await brownout(b);
    clock = new Date(T0.getTime() - 1);
    expect((await request(b.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`)).status).toBe(200);
    clock = new Date(T0.getTime() + 59_999);
    const last = await request(b.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`);
    expect([last.status, last.headers['retry-after']]).toEqual([503, '1']);
    clock = new Date(T0.getTime() + 60_000);
    expect((await request(b.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`)).status).toBe(200);
  });
});
