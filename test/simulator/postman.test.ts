// The official Postman collection, run by newman against the simulator. Its variables
// (baseUrl, bearerToken, the :accountID path variable) point at the simulator; its
// bodies are sent as published (placeholders: empty names, quantity ""), and once more
// with the spec's request examples. Redirects are not followed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import newman, { type NewmanRunSummary } from 'newman';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { DEMO_KEY, projectRoot, startTestSimulator, type Simulator } from '../helpers/simulator.js';
import { v3SpecPath, validateV3Response } from '../helpers/v3-contract.js';
import { demo } from './support.js';

const collectionPath = resolve(projectRoot, '../shared/contracts/seeds/account-provisioning.postman_collection.json');
type Json = any;

interface Expected {
  status: number;
  body?: (body: Json, headers: { location?: string }) => void;
}
type Run = 'account' | 'unknownAccount' | 'specExamples';

const fields = (body: Json) => (body.errors as { field: string }[]).map((e) => e.field);
const isLoopback = (location?: string) => expect(new URL(String(location)).hostname).toBe('127.0.0.1');

/** For each request of the collection: what it must get in each run (and 401 with a wrong key). */
const table: Record<string, Record<Run, Expected>> = {
  'Get account offerings': {
    account: { status: 200, body: (b) => expect(b).toEqual({ offerings: [{ name: 'org.ei.free.v1', type: 'package', quantity: 1 }] }) },
    unknownAccount: { status: 404 },
    specExamples: { status: 200, body: (b) => expect(b.offerings).toHaveLength(1) },
  },
  'Update account offerings': {
    // The published body has empty names and quantity "": every offering is refused.
    account: { status: 400, body: (b) => expect(fields(b)).toEqual(expect.arrayContaining(['offerings[0].name', 'offerings[0].quantity', 'offerings[1].name'])) },
    unknownAccount: { status: 400, body: (b) => expect(fields(b)[0]).toBe('accountID') },
    specExamples: { status: 200, body: (b) => expect(b).toEqual({ offerings: [{ name: 'org.ei.free.v1', type: 'package', quantity: 1 }] }) },
  },
  'Authenticate an account with single sign on': {
    account: { status: 303, body: (_b, h) => isLoopback(h.location) },
    unknownAccount: { status: 404 },
    specExamples: { status: 303, body: (_b, h) => isLoopback(h.location) },
  },
  "Get an account's state": {
    account: { status: 200, body: (b) => expect(b).toEqual({ state: 'activated' }) },
    unknownAccount: { status: 404 },
    specExamples: { status: 200, body: (b) => expect(b).toEqual({ state: 'activated' }) },
  },
  "Update an account's state": {
    account: { status: 204 },
    unknownAccount: { status: 400, body: (b) => expect(fields(b)).toEqual(['accountID']) },
    specExamples: { status: 204 },
  },
  'Delete an account': {
    account: { status: 204 },
    unknownAccount: { status: 404 },
    specExamples: { status: 204 },
  },
  // Runs after the delete: the main reseller has one account fewer.
  'Get all accounts': {
    account: { status: 200, body: (b) => expect(b.accounts.map((a: Json) => a.id)).not.toContain(demo.free) },
    unknownAccount: { status: 200, body: (b) => expect(b.accounts).toHaveLength(4) },
    specExamples: { status: 200, body: (b) => expect(b.accounts).toHaveLength(3) },
  },
  'Create an account': {
    // The published body names two add-ons (no package) with empty names.
    account: { status: 400, body: (b) => expect(fields(b)).toContain('offerings') },
    unknownAccount: { status: 400 },
    specExamples: { status: 201, body: (b) => expect(b.account_id).toMatch(/^sg[0-9a-f]{32}$/) },
  },
  'Get all available offerings': {
    account: { status: 200, body: (b) => expect(b.catalog.map((c: Json) => c.offering.name)).toContain('org.ei.free.v1') },
    unknownAccount: { status: 200 },
    specExamples: { status: 200, body: (b) => expect(b.catalog.length).toBeGreaterThan(0) },
  },
};

/** The collection with every `:accountID` path variable bound to `{{accountID}}`. */
function loadCollection(bodies: 'published' | 'specExamples'): Json {
  const collection = JSON.parse(readFileSync(collectionPath, 'utf8'));
  const spec = JSON.parse(readFileSync(v3SpecPath, 'utf8'));
  const example = (path: string, method: string) => JSON.stringify(spec.paths[path][method].requestBody.content['application/json'].example);
  const visit = (items: Json[]) => {
    for (const item of items) {
      if (item.item) visit(item.item);
      if (!item.request) continue;
      for (const v of item.request.url.variable ?? []) if (v.key === 'accountID') v.value = '{{accountID}}';
      if (bodies === 'specExamples' && item.name === 'Create an account') item.request.body.raw = example('/v3/partners/accounts', 'post');
      if (bodies === 'specExamples' && item.name === 'Update account offerings')
        item.request.body.raw = example('/v3/partners/accounts/{accountID}/offerings', 'put');
    }
  };
  visit(collection.item);
  return collection;
}

function runCollection(collection: Json, vars: Record<string, string>): Promise<NewmanRunSummary> {
  return new Promise((resolvePromise, reject) => {
    newman.run(
      {
        collection,
        envVar: Object.entries(vars).map(([key, value]) => ({ key, value })),
        ignoreRedirects: true,
        timeoutRequest: 10_000,
        reporters: [],
      },
      (error, summary) => (error ? reject(error) : resolvePromise(summary)),
    );
  });
}

interface Seen {
  name: string;
  method: string;
  path: string;
  status: number;
  text: string;
  location?: string;
}

function executions(summary: NewmanRunSummary): Seen[] {
  expect(summary.run.failures.map((f) => f.error.message)).toEqual([]);
  return summary.run.executions.map((e) => ({
    name: e.item.name,
    method: e.request.method,
    path: e.request.url.getPathWithQuery(),
    status: e.response.code,
    text: e.response.stream?.toString('utf8') ?? '',
    ...(e.response.headers.get('Location') ? { location: e.response.headers.get('Location') } : {}),
  }));
}

describe('the Postman collection against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  const runs: [Run, 'published' | 'specExamples', string][] = [
    ['account', 'published', demo.free],
    ['unknownAccount', 'published', demo.unknown],
    ['specExamples', 'specExamples', demo.free],
  ];

  test.each(runs)('run "%s": every request gets its expected status and body', async (run, bodies, accountID) => {
    const seen = executions(await runCollection(loadCollection(bodies), { baseUrl: sim.url, bearerToken: DEMO_KEY, accountID }));
    expect(seen.map((s) => s.name).sort()).toEqual(Object.keys(table).sort());
    for (const s of seen) {
      const expected = table[s.name]![run];
      expect([s.name, s.status, s.text]).toEqual([s.name, expected.status, s.text]);
      expect(s.path.startsWith('/v3/partners/')).toBe(true);
      expect(validateV3Response(s.method, s.path, s.status, s.text), s.name).toEqual([]);
      expected.body?.(s.text ? JSON.parse(s.text) : undefined, { ...(s.location ? { location: s.location } : {}) });
    }
    expect(sim.requests).toHaveLength(Object.keys(table).length);
    for (const r of sim.requests) expect(r.reseller).toBe('your_sendgrid_username');
  });

  test('with a wrong key every request of the collection gets the spec 401', async () => {
    const seen = executions(await runCollection(loadCollection('published'), { baseUrl: sim.url, bearerToken: 'SG.not-a-key', accountID: demo.free }));
    expect(seen).toHaveLength(Object.keys(table).length);
    for (const s of seen) {
      expect([s.name, s.status]).toEqual([s.name, 401]);
      expect(validateV3Response(s.method, s.path, s.status, s.text)).toEqual([]);
    }
    expect(sim.account(demo.free)).toBeDefined();
  });
});
