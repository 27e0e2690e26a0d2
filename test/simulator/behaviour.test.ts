// What the simulator does beyond answer shapes: reseller isolation, paging,
// full-replacement offerings, states, SSO, the write counter and the request log.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { DEMO_KEY, SECOND_RESELLER_KEY, demoSeed, startTestSimulator, type Simulator } from '../helpers/simulator.js';
import { validateRecordedV3Request } from '../helpers/v3-contract.js';
import { call, demo, freePackage, marketingAddon, silverPackage } from './support.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
beforeEach(() => sim.reset());
afterAll(() => sim.close());

async function listAll(key: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let offset = '';
  for (let pages = 1; ; pages++) {
    const answer = await call(sim, 'GET', `/v3/partners/accounts?limit=${limit}${offset ? `&offset=${offset}` : ''}`, { key });
    expect(answer.status).toBe(200);
    ids.push(...answer.body.accounts.map((a: { id: string }) => a.id));
    if (answer.body.accounts.length < limit) return { ids, pages };
    expect(answer.body.pages.last).toBe(ids.at(-1));
    offset = answer.body.pages.last;
  }
}

describe('keys and isolation', () => {
  test('each reseller lists only its own accounts', async () => {
    const main = await listAll(DEMO_KEY, 100);
    const second = await listAll(SECOND_RESELLER_KEY, 100);
    expect(main.ids.sort()).toEqual([demo.free, demo.silver, demo.gold, demo.business].sort());
    expect(second.ids.sort()).toEqual(demoSeed().accounts.filter((a) => a.reseller === 'second_reseller').map((a) => a.id).sort());
    expect(second.ids).toContain(demo.secondResellers);
  });

  test("another reseller's account is answered exactly like an unknown one", async () => {
    for (const [method, sub, json] of [
      ['GET', '/offerings', undefined],
      ['GET', '/state', undefined],
      ['POST', '/sso', undefined],
      ['DELETE', '', undefined],
      ['PUT', '/offerings', { offerings: [freePackage] }],
      ['PUT', '/state', { state: 'deactivated' }],
    ] as const) {
      const foreign = await call(sim, method, `/v3/partners/accounts/${demo.free}${sub}`, { key: SECOND_RESELLER_KEY, ...(json ? { json } : {}) });
      const unknown = await call(sim, method, `/v3/partners/accounts/${demo.unknown}${sub}`, { key: SECOND_RESELLER_KEY, ...(json ? { json } : {}) });
      expect([foreign.status, foreign.text.replaceAll(demo.free, 'ID')]).toEqual([unknown.status, unknown.text.replaceAll(demo.unknown, 'ID')]);
      expect(foreign.status).toBeGreaterThanOrEqual(400);
    }
    expect(sim.account(demo.free)).toMatchObject({ state: 'activated', offerings: [freePackage] });
    expect(sim.writes(demo.free)).toEqual({ offerings: 0, state: 0 });
  });

  test('apiKeyOverride replaces the first reseller’s key only', async () => {
    const other = await startTestSimulator({ apiKeyOverride: 'SG.from-the-environment' });
    try {
      expect((await call(other, 'GET', '/v3/partners/accounts', { key: DEMO_KEY })).status).toBe(401);
      const answer = await call(other, 'GET', '/v3/partners/accounts', { key: 'SG.from-the-environment' });
      expect(answer.body.accounts).toHaveLength(4);
      expect((await call(other, 'GET', '/v3/partners/accounts', { key: SECOND_RESELLER_KEY })).body.accounts).toHaveLength(
        demoSeed().accounts.filter((a) => a.reseller === 'second_reseller').length,
      );
    } finally {
      await other.close();
    }
  });

  test('the bearer scheme is required: a bare key or Basic auth is refused', async () => {
    for (const authorization of [DEMO_KEY, `Basic ${Buffer.from(`apikey:${DEMO_KEY}`).toString('base64')}`, `Bearer ${DEMO_KEY}x`]) {
      const answer = await call(sim, 'GET', '/v3/partners/accounts', { key: null, headers: { authorization } });
      expect(answer.status).toBe(401);
    }
  });
});

describe('paging', () => {
  test('offset = the last id seen walks every account once, in a stable order', async () => {
    for (let i = 0; i < 21; i++) expect((await call(sim, 'POST', '/v3/partners/accounts', { json: { offerings: [freePackage] } })).status).toBe(201);
    const all = await listAll(DEMO_KEY, 100);
    expect(all.ids).toHaveLength(25);
    const paged = await listAll(DEMO_KEY, 4);
    expect(paged.ids).toEqual(all.ids);
    expect(paged.pages).toBe(7);
    expect(new Set(paged.ids).size).toBe(25);
  });

  test('default limit is 10 and pages.last is the last account returned', async () => {
    for (let i = 0; i < 12; i++) await call(sim, 'POST', '/v3/partners/accounts', { json: { offerings: [freePackage] } });
    const answer = await call(sim, 'GET', '/v3/partners/accounts');
    expect(answer.body.accounts).toHaveLength(10);
    expect(answer.body.pages).toEqual({ last: answer.body.accounts[9].id });
  });

  test('paging continues after the last seen account was deleted', async () => {
    const first = await call(sim, 'GET', '/v3/partners/accounts?limit=2');
    await call(sim, 'DELETE', `/v3/partners/accounts/${first.body.pages.last}`);
    const next = await call(sim, 'GET', `/v3/partners/accounts?limit=10&offset=${first.body.pages.last}`);
    expect(next.body.accounts).toHaveLength(2);
  });

  test('an empty page has no pages.last; an empty offset means the start', async () => {
    const start = await call(sim, 'GET', '/v3/partners/accounts?offset=&limit=10');
    expect(start.body.accounts).toHaveLength(4);
    const after = await call(sim, 'GET', `/v3/partners/accounts?offset=${start.body.pages.last}`);
    expect(after.body).toEqual({ accounts: [], pages: {} });
  });
});

describe('accounts, offerings and states', () => {
  test('a created account gets an sg+32 hex id, an RFC 3339 created_at, and appears in the list', async () => {
    const created = await call(sim, 'POST', '/v3/partners/accounts', { json: { profile: { email: 'made@example.com' }, offerings: [silverPackage] } });
    const id = created.body.account_id as string;
    expect(id).toMatch(/^sg[0-9a-f]{32}$/);
    const listed = (await listAll(DEMO_KEY, 100)).ids;
    expect(listed).toContain(id);
    const account = sim.account(id);
    expect(account?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(account).toMatchObject({ reseller: 'your_sendgrid_username', state: 'activated', email: 'made@example.com', offerings: [silverPackage] });
  });

  test('created_at comes from the injected clock', async () => {
    const fixed = await startTestSimulator({ now: () => new Date('2026-03-04T05:06:07.890Z') });
    try {
      const created = await call(fixed, 'POST', '/v3/partners/accounts', { json: { offerings: [freePackage] } });
      expect(fixed.account(created.body.account_id)?.created_at).toBe('2026-03-04T05:06:07Z');
    } finally {
      await fixed.close();
    }
  });

  test('an offerings PUT is a full replacement; a missing quantity reads back as 1', async () => {
    const path = `/v3/partners/accounts/${demo.gold}/offerings`;
    const put = await call(sim, 'PUT', path, { json: { offerings: [{ name: 'org.ei.silver.v1', type: 'package' }] } });
    expect(put.body.offerings).toEqual([silverPackage]);
    expect((await call(sim, 'GET', path)).body).toEqual({ offerings: [silverPackage] });
  });

  test('a rejected PUT changes nothing and is not counted as a write', async () => {
    const path = `/v3/partners/accounts/${demo.silver}/offerings`;
    const answer = await call(sim, 'PUT', path, { json: { offerings: [freePackage, silverPackage] } });
    expect(answer.status).toBe(400);
    expect((await call(sim, 'GET', path)).body.offerings).toEqual([silverPackage, marketingAddon]);
    expect(sim.writes(demo.silver)).toEqual({ offerings: 0, state: 0 });
  });

  test('an offering named with the wrong type is refused', async () => {
    const answer = await call(sim, 'PUT', `/v3/partners/accounts/${demo.free}/offerings`, { json: { offerings: [freePackage, { ...silverPackage, type: 'addon' }] } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toEqual(['offerings[1].type']);
  });

  test('all problems are reported at once', async () => {
    const answer = await call(sim, 'PUT', `/v3/partners/accounts/${demo.unknown}/offerings`, {
      json: { offerings: [{ name: 'org.nope', type: 'addon', quantity: 0 }, { ...freePackage, quantity: 3 }, freePackage] },
    });
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'accountID',
      'offerings[0].name',
      'offerings[0].quantity',
      'offerings[1].quantity',
      'offerings[2].name',
      'offerings',
    ]);
  });

  test('seeded read-only states are reported; only activated and deactivated can be written', async () => {
    const seed = (await import('../helpers/simulator.js')).demoSeed();
    seed.accounts[0]!.state = 'suspended';
    const custom = await startTestSimulator({ seed });
    try {
      const path = `/v3/partners/accounts/${seed.accounts[0]!.id}/state`;
      expect((await call(custom, 'GET', path)).body).toEqual({ state: 'suspended' });
      for (const state of ['banned', 'indeterminate', 'suspended', 'ACTIVATED', '']) expect((await call(custom, 'PUT', path, { json: { state } })).status).toBe(400);
      expect((await call(custom, 'PUT', path, { json: { state: 'activated' } })).status).toBe(204);
      expect((await call(custom, 'GET', path)).body).toEqual({ state: 'activated' });
    } finally {
      await custom.close();
    }
  });

  test('a deleted account is gone for every operation', async () => {
    expect((await call(sim, 'DELETE', `/v3/partners/accounts/${demo.silver}`)).status).toBe(204);
    expect((await call(sim, 'DELETE', `/v3/partners/accounts/${demo.silver}`)).status).toBe(404);
    expect((await call(sim, 'GET', `/v3/partners/accounts/${demo.silver}/offerings`)).status).toBe(404);
    expect((await call(sim, 'PUT', `/v3/partners/accounts/${demo.silver}/state`, { json: { state: 'activated' } })).status).toBe(400);
  });

  test('SSO redirects to a one-time sign-in URL on the simulator', async () => {
    const sso = await call(sim, 'POST', `/v3/partners/accounts/${demo.gold}/sso`);
    expect(sso.status).toBe(303);
    const location = String(sso.headers.location);
    expect(location.startsWith(`${sim.url}/`)).toBe(true);
    const landing = await call({ url: '' }, 'GET', location, { key: null });
    expect(landing.body).toEqual({ signed_in: true, account_id: demo.gold });
    expect((await call({ url: '' }, 'GET', location, { key: null })).status).toBe(404);
  });
});

describe('write counter and request log', () => {
  test('counts applied offerings and state writes per account', async () => {
    await call(sim, 'PUT', `/v3/partners/accounts/${demo.free}/offerings`, { json: { offerings: [silverPackage] } });
    await call(sim, 'PUT', `/v3/partners/accounts/${demo.free}/offerings`, { json: { offerings: [silverPackage] } });
    await call(sim, 'PUT', `/v3/partners/accounts/${demo.free}/state`, { json: { state: 'deactivated' } });
    await call(sim, 'GET', `/v3/partners/accounts/${demo.free}/offerings`);
    expect(sim.writes(demo.free)).toEqual({ offerings: 2, state: 1 });
    expect(sim.writes(demo.gold)).toEqual({ offerings: 0, state: 0 });
  });

  test('records method, path, query, headers without Authorization, and the parsed body', async () => {
    sim.clearRequests();
    await call(sim, 'GET', '/v3/partners/accounts?limit=5');
    await call(sim, 'PUT', `/v3/partners/accounts/${demo.free}/offerings`, { json: { offerings: [silverPackage] }, headers: { 'x-request-id': 'r-1' } });
    expect(sim.requests).toHaveLength(2);
    const [list, put] = sim.requests;
    expect(list).toMatchObject({ method: 'GET', path: '/v3/partners/accounts', query: { limit: '5' }, operation: 'ListAccount', reseller: 'your_sendgrid_username' });
    expect(put).toMatchObject({ method: 'PUT', operation: 'UpdateAccountOffering', body: { offerings: [silverPackage] } });
    expect(put?.headers['x-request-id']).toBe('r-1');
    for (const r of sim.requests) {
      expect(r.headers.authorization).toBeUndefined();
      expect(JSON.stringify(r)).not.toContain(DEMO_KEY);
      expect(validateRecordedV3Request(r)).toEqual([]);
    }
    sim.clearRequests();
    expect(sim.requests).toHaveLength(0);
  });

  test('a request log limit keeps only the most recent requests', async () => {
    const small = await startTestSimulator({ requestLogLimit: 2 });
    try {
      for (const limit of [1, 2, 3]) await call(small, 'GET', `/v3/partners/accounts?limit=${limit}`);
      expect(small.requests.map((r) => r.query.limit)).toEqual(['2', '3']);
    } finally {
      await small.close();
    }
  });

  test('reset brings the seed back and clears counters and log', async () => {
    await call(sim, 'DELETE', `/v3/partners/accounts/${demo.free}`);
    await call(sim, 'PUT', `/v3/partners/accounts/${demo.gold}/state`, { json: { state: 'deactivated' } });
    sim.reset();
    expect(sim.account(demo.free)).toBeDefined();
    expect(sim.account(demo.gold)?.state).toBe('activated');
    expect(sim.writes(demo.gold)).toEqual({ offerings: 0, state: 0 });
    expect(sim.requests).toHaveLength(0);
  });
});
