// Every simulator answer, on the success and error paths of all nine operations,
// validates against the official spec; every request sent here is checked too.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { SECOND_RESELLER_KEY, startTestSimulator, type Simulator } from '../helpers/simulator.js';
import { findV3Operation, validateV3ErrorBody, validateV3Request, validateV3Response } from '../helpers/v3-contract.js';
import { call, demo, freePackage, marketingAddon, silverPackage, type Answer } from './support.js';

interface Case {
  name: string;
  method: string;
  path: string;
  key?: string | null;
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  /** False for requests deliberately outside the spec (the validator must say so). */
  specRequest?: boolean;
  check?: (a: Answer, sim: Simulator) => void;
}

const fields = (a: Answer) => (a.body.errors as { field: string }[]).map((e) => e.field);
const accounts = '/v3/partners/accounts';
const at = (id: string, sub = '') => `${accounts}/${id}${sub}`;

const cases: Case[] = [
  // ListAccount
  { name: 'list: first page', method: 'GET', path: accounts, status: 200, check: (a) => expect(a.body.accounts).toHaveLength(4) },
  { name: 'list: limit and offset', method: 'GET', path: `${accounts}?limit=2&offset=${demo.business}`, status: 200, check: (a) => expect(a.body.accounts.length).toBeLessThanOrEqual(2) },
  { name: 'list: limit 0', method: 'GET', path: `${accounts}?limit=0`, status: 400, check: (a) => expect(fields(a)).toEqual(['limit']) },
  { name: 'list: limit 101', method: 'GET', path: `${accounts}?limit=101`, status: 400, specRequest: false, check: (a) => expect(fields(a)).toEqual(['limit']) },
  { name: 'list: limit not a number', method: 'GET', path: `${accounts}?limit=ten`, status: 400, specRequest: false, check: (a) => expect(fields(a)).toEqual(['limit']) },
  { name: 'list: no key', method: 'GET', path: accounts, key: null, status: 401 },
  { name: 'list: wrong key', method: 'GET', path: accounts, key: 'SG.wrong', status: 401 },
  // CreateAccount
  {
    name: 'create: with profile',
    method: 'POST',
    path: accounts,
    json: {
      profile: { first_name: 'Sender', last_name: 'Wiz', company_name: 'Example Co', company_website: 'https://example.com', email: 'new@example.com', phone: '+14155550100', timezone: 'Asia/Tokyo' },
      offerings: [freePackage],
    },
    status: 201,
    check: (a, sim) => expect(sim.account(a.body.account_id)?.email).toBe('new@example.com'),
  },
  { name: 'create: test account', method: 'POST', path: accounts, headers: { 'T-Test-Account': 'true' }, json: { offerings: [silverPackage, marketingAddon] }, status: 201, check: (a, sim) => expect(sim.account(a.body.account_id)?.test).toBe(true) },
  { name: 'create: offerings missing', method: 'POST', path: accounts, json: { profile: {} }, status: 400, specRequest: false, check: (a) => expect(fields(a)).toEqual(['offerings']) },
  { name: 'create: unknown offering', method: 'POST', path: accounts, json: { offerings: [{ name: 'org.ei.nope.v1', type: 'package' }] }, status: 400, check: (a) => expect(fields(a)).toEqual(['offerings[0].name']) },
  { name: 'create: two packages', method: 'POST', path: accounts, json: { offerings: [freePackage, silverPackage] }, status: 400, check: (a) => expect(fields(a)).toEqual(['offerings']) },
  { name: 'create: package quantity 2', method: 'POST', path: accounts, json: { offerings: [{ ...freePackage, quantity: 2 }] }, status: 400, check: (a) => expect(fields(a)).toEqual(['offerings[0].quantity']) },
  {
    name: 'create: bad profile formats',
    method: 'POST',
    path: accounts,
    json: { profile: { email: 'not-an-email', phone: '555-0100', company_website: 'example' }, offerings: [freePackage] },
    status: 400,
    check: (a) =>
      expect(a.body.errors.map((e: { field: string; error_id: string }) => [e.field, e.error_id])).toEqual([
        ['company_website', '10-40008'],
        ['email', '10-40002'],
        ['phone', '10-40010'],
      ]),
  },
  { name: 'create: malformed JSON', method: 'POST', path: accounts, raw: '{"offerings": [', headers: { 'content-type': 'application/json' }, status: 400, specRequest: false },
  { name: 'create: no key', method: 'POST', path: accounts, key: null, json: { offerings: [freePackage] }, status: 401 },
  // DeleteAccount
  { name: 'delete: own account', method: 'DELETE', path: at(demo.free), status: 204, check: (_a, sim) => expect(sim.account(demo.free)).toBeUndefined() },
  { name: 'delete: unknown account', method: 'DELETE', path: at(demo.unknown), status: 404 },
  { name: "delete: another reseller's account", method: 'DELETE', path: at(demo.secondResellers), status: 404, check: (_a, sim) => expect(sim.account(demo.secondResellers)).toBeDefined() },
  { name: 'delete: wrong key', method: 'DELETE', path: at(demo.free), key: 'SG.wrong', status: 401 },
  // ListAccountOffering
  { name: 'offerings: read', method: 'GET', path: at(demo.silver, '/offerings'), status: 200, check: (a) => expect(a.body.offerings).toEqual([silverPackage, marketingAddon]) },
  { name: 'offerings: unknown account', method: 'GET', path: at(demo.unknown, '/offerings'), status: 404 },
  { name: 'offerings: no key', method: 'GET', path: at(demo.silver, '/offerings'), key: null, status: 401 },
  // UpdateAccountOffering
  { name: 'offerings: replace', method: 'PUT', path: at(demo.free, '/offerings'), json: { offerings: [silverPackage, { ...marketingAddon, quantity: 2 }] }, status: 200, check: (a) => expect(a.body.offerings).toEqual([silverPackage, { ...marketingAddon, quantity: 2 }]) },
  { name: 'offerings: replace on unknown account', method: 'PUT', path: at(demo.unknown, '/offerings'), json: { offerings: [freePackage] }, status: 400, check: (a) => expect(fields(a)).toEqual(['accountID']) },
  { name: 'offerings: add-on quantity 0', method: 'PUT', path: at(demo.free, '/offerings'), json: { offerings: [freePackage, { ...marketingAddon, quantity: 0 }] }, status: 400, check: (a) => expect(fields(a)).toEqual(['offerings[1].quantity']) },
  { name: 'offerings: no package', method: 'PUT', path: at(demo.free, '/offerings'), json: { offerings: [marketingAddon] }, status: 400, check: (a) => expect(fields(a)).toEqual(['offerings']) },
  { name: 'offerings: quantity as text', method: 'PUT', path: at(demo.free, '/offerings'), json: { offerings: [{ ...freePackage, quantity: '1' }] }, status: 400, specRequest: false },
  { name: 'offerings: replace, wrong key', method: 'PUT', path: at(demo.free, '/offerings'), key: 'SG.wrong', json: { offerings: [freePackage] }, status: 401 },
  // AuthenticateAccount
  {
    name: 'sso: redirect',
    method: 'POST',
    path: at(demo.gold, '/sso'),
    status: 303,
    check: (a) => expect(new URL(String(a.headers.location)).hostname).toBe('127.0.0.1'),
  },
  { name: 'sso: unknown account', method: 'POST', path: at(demo.unknown, '/sso'), status: 404 },
  { name: 'sso: no key', method: 'POST', path: at(demo.gold, '/sso'), key: null, status: 401 },
  // GetAccountState
  { name: 'state: read', method: 'GET', path: at(demo.gold, '/state'), status: 200, check: (a) => expect(a.body).toEqual({ state: 'activated' }) },
  { name: "state: another reseller's account", method: 'GET', path: at(demo.free, '/state'), key: SECOND_RESELLER_KEY, status: 404 },
  { name: 'state: no key', method: 'GET', path: at(demo.gold, '/state'), key: null, status: 401 },
  // UpdateAccountState
  { name: 'state: deactivate', method: 'PUT', path: at(demo.gold, '/state'), json: { state: 'deactivated' }, status: 204, check: (_a, sim) => expect(sim.account(demo.gold)?.state).toBe('deactivated') },
  { name: 'state: write a read-only state', method: 'PUT', path: at(demo.gold, '/state'), json: { state: 'suspended' }, status: 400, specRequest: false, check: (a) => expect(fields(a)).toEqual(['state']) },
  { name: 'state: write on unknown account', method: 'PUT', path: at(demo.unknown, '/state'), json: { state: 'activated' }, status: 400, check: (a) => expect(fields(a)).toEqual(['accountID']) },
  { name: 'state: write, no key', method: 'PUT', path: at(demo.gold, '/state'), key: null, json: { state: 'activated' }, status: 401 },
  // ListOffering
  { name: 'catalog', method: 'GET', path: '/v3/partners/offerings', status: 200, check: (a) => expect(a.body.catalog).toContainEqual({ offering: freePackage, entitlements: { email_sends_max_monthly: 6000, ip_count: 0, teammates_max_total: 1, users_max_total: 1 } }) },
  { name: 'catalog: wrong key', method: 'GET', path: '/v3/partners/offerings', key: 'SG.wrong', status: 401 },
];

describe('simulator answers validate against the official v3 spec', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  test.each(cases)('$name → $status', async (c) => {
    const requestProblems = validateV3Request(c.method, c.path, c.json ?? c.raw);
    if (c.specRequest === false) expect(requestProblems).not.toEqual([]);
    else expect(requestProblems).toEqual([]);

    const answer = await call(sim, c.method, c.path, {
      ...(c.key !== undefined ? { key: c.key } : {}),
      ...(c.json !== undefined ? { json: c.json } : {}),
      ...(c.raw !== undefined ? { raw: c.raw } : {}),
      ...(c.headers ? { headers: c.headers } : {}),
    });
    expect(answer.status, answer.text).toBe(c.status);
    expect(validateV3Response(c.method, c.path, answer.status, answer.text)).toEqual([]);
    if (answer.status === 401) expect(answer.body).toEqual({ errors: [{ message: 'Failed to authenticate user', field: '', error_id: '10-40100' }] });
    c.check?.(answer, sim);
  });

  test('every one of the nine operations is covered on a success and an error path', () => {
    const byOperation = new Map<string, Set<number>>();
    for (const c of cases) {
      const op = findV3Operation(c.method, c.path)?.operationId ?? `not an operation: ${c.method} ${c.path}`;
      byOperation.set(op, (byOperation.get(op) ?? new Set()).add(c.status));
    }
    expect(byOperation.size).toBe(9);
    for (const statuses of byOperation.values()) {
      expect([...statuses].some((s) => s < 400)).toBe(true);
      expect([...statuses].some((s) => s >= 400)).toBe(true);
    }
  });

  test.each([
    ['GET', '/v3/partners/nothing-here'],
    ['PATCH', accounts],
    ['GET', at(demo.free, '/unknown')],
  ])('%s %s (not an operation) → 404 in the spec error shape', async (method, path) => {
    const answer = await call(sim, method, path);
    expect(answer.status).toBe(404);
    expect(validateV3ErrorBody(404, answer.text)).toEqual([]);
  });

  test.each([500, 502, 503, 504] as const)('an injected %i validates for every operation', async (status) => {
    sim.faults.errorRate(1, status);
    for (const c of cases.filter((x) => x.status < 300 || x.status === 303)) {
      const answer = await call(sim, c.method, c.path, c.json !== undefined ? { json: c.json } : {});
      expect(answer.status).toBe(status);
      expect(validateV3Response(c.method, c.path, answer.status, answer.text)).toEqual([]);
    }
  });

  test('a 429 is outside the spec, but its body still has the ErrorResponse fields', async () => {
    sim.faults.rateLimit({ count: 1, retryAfterSeconds: 2 });
    const answer = await call(sim, 'GET', accounts);
    expect(answer.status).toBe(429);
    expect(validateV3Response('GET', accounts, 429, answer.text)).toEqual([expect.stringContaining('429 is not declared')]);
    expect(validateV3ErrorBody(400, answer.text)).toEqual([]);
  });
});
