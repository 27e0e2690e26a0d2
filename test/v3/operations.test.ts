// Each of the nine v3 operations: method, path, headers and body sent; answer parsed.
import { afterEach, describe, expect, it } from 'vitest';
import { createV3Upstream, type V3Upstream } from '../../src/v3/client.js';
import type { Script } from './scripted-server.js';
import { json, noContent, startScriptedServer, type ScriptedServer, type SeenRequest } from './scripted-server.js';

const KEY = 'SG.operations-test-key';
const opened: Array<ScriptedServer | V3Upstream> = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((thing) => thing.close()));
});

/** A server that answers once, and the API bound to it through a path prefix. */
async function oneExchange(script: Script) {
  const server = await startScriptedServer(script);
  const upstream = createV3Upstream({ baseUrl: `${server.url}/prefix/` });
  opened.push(server, upstream);
  return { api: upstream.forKey(KEY), seen: server.seen };
}

function expectCommonHeaders(request: SeenRequest, withBody: boolean): void {
  expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
  expect(request.headers.accept).toBe('application/json');
  expect(request.headers['accept-encoding']).toBe('gzip, deflate, br');
  expect(request.headers['user-agent']).toBe('reseller-bridge');
  if (withBody) expect(request.headers['content-type']).toBe('application/json');
  else expect(request.headers['content-type']).toBeUndefined();
}

const offerings = [
  { name: 'org.ei.silver.v1', type: 'package' as const, quantity: 1 },
  { name: 'org.ei.ip.v1', type: 'addon' as const, quantity: 2 },
];

describe('v3 operations', () => {
  it('ListAccount: GET with offset and limit, answer parsed', async () => {
    const page = {
      accounts: [{ id: 'sg1', created_at: '2006-01-02T15:04:05Z', email: 'a@example.com' }],
      pages: { last: 'sg1' },
    };
    const { api, seen } = await oneExchange(json(200, page));
    const result = await api.listAccounts({ offset: 'sg0', limit: 2 });
    expect(result.accounts[0]).toMatchObject({ id: 'sg1', created_at: '2006-01-02T15:04:05Z' });
    expect(result.pages?.last).toBe('sg1');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/prefix/v3/partners/accounts?offset=sg0&limit=2', body: '' });
    expectCommonHeaders(seen[0]!, false);
  });

  it('ListAccount without a query sends none', async () => {
    const { api, seen } = await oneExchange(json(200, { accounts: [] }));
    await expect(api.listAccounts()).resolves.toMatchObject({ accounts: [] });
    expect(seen[0]!.url).toBe('/prefix/v3/partners/accounts');
  });

  it('CreateAccount: POST with JSON body and the test-account header', async () => {
    const { api, seen } = await oneExchange(json(201, { account_id: 'sg42' }));
    const body = { profile: { email: 'new@example.com' }, offerings: [offerings[0]!] };
    await expect(api.createAccount(body, { testAccount: 'true' })).resolves.toEqual({ account_id: 'sg42' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/prefix/v3/partners/accounts' });
    expect(JSON.parse(seen[0]!.body)).toEqual(body);
    expect(seen[0]!.headers['t-test-account']).toBe('true');
    expectCommonHeaders(seen[0]!, true);
  });

  it('DeleteAccount: DELETE with the account id encoded', async () => {
    const { api, seen } = await oneExchange(noContent());
    await expect(api.deleteAccount('sg/1 ?.')).resolves.toBeUndefined();
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/prefix/v3/partners/accounts/sg%2F1%20%3F%2E' });
    expectCommonHeaders(seen[0]!, false);
  });

  it('ListAccountOffering: GET offerings', async () => {
    const { api, seen } = await oneExchange(json(200, { offerings }));
    await expect(api.getOfferings('sg1')).resolves.toEqual(offerings);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/prefix/v3/partners/accounts/sg1/offerings' });
  });

  it('UpdateAccountOffering: PUT the full list, answer parsed', async () => {
    const { api, seen } = await oneExchange(json(200, { offerings }));
    await expect(api.putOfferings('sg1', offerings)).resolves.toEqual(offerings);
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/prefix/v3/partners/accounts/sg1/offerings' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ offerings });
    expectCommonHeaders(seen[0]!, true);
  });

  it('AuthenticateAccount: POST sso, the 303 is not followed, its Location returned', async () => {
    const { api, seen } = await oneExchange((req, res) => {
      res.writeHead(303, { location: `http://${req.headers.host}/landing?token=abc` });
      res.end();
    });
    const { location } = await api.authenticateAccount('sg1');
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/landing\?token=abc$/);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/prefix/v3/partners/accounts/sg1/sso', body: '' });
    expectCommonHeaders(seen[0]!, false);
  });

  it('GetAccountState: GET state', async () => {
    const { api, seen } = await oneExchange(json(200, { state: 'suspended' }));
    await expect(api.getState('sg1')).resolves.toBe('suspended');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/prefix/v3/partners/accounts/sg1/state' });
  });

  it('UpdateAccountState: PUT state, 204', async () => {
    const { api, seen } = await oneExchange(noContent());
    await expect(api.putState('sg1', 'deactivated')).resolves.toBeUndefined();
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/prefix/v3/partners/accounts/sg1/state' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ state: 'deactivated' });
  });

  it('ListOffering: GET the catalog with entitlements', async () => {
    const catalog = {
      catalog: [
        {
          offering: { name: 'org.ei.free.v1', type: 'package', quantity: 1 },
          entitlements: { email_sends_max_monthly: 10000, ip_count: 0 },
        },
      ],
    };
    const { api, seen } = await oneExchange(json(200, catalog));
    await expect(api.listCatalog()).resolves.toEqual(catalog);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/prefix/v3/partners/offerings' });
  });

  it('refuses an empty account id before sending anything', async () => {
    const { api, seen } = await oneExchange(json(200, { state: 'activated' }));
    await expect(api.getState('')).rejects.toThrow(TypeError);
    expect(seen).toHaveLength(0);
  });
});
