// SendGrid's own Node client against the simulator: key first, then the base URL
// (setApiKey resets the base URL to api.sendgrid.com).
import { Client } from '@sendgrid/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEMO_KEY, startTestSimulator, type Simulator } from '../helpers/simulator.js';
import { validateRecordedV3Request, validateV3Response } from '../helpers/v3-contract.js';
import { demo, freePackage, marketingAddon, silverPackage } from './support.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());

test('@sendgrid/client lists, creates, reads and replaces offerings, reads and sets state, deletes', async () => {
  const client = new Client();
  client.setApiKey(DEMO_KEY);
  client.setDefaultRequest('baseUrl', sim.url);

  const checked = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: object, qs?: Record<string, number>) => {
    const [response, data] = await client.request({ method, url, ...(body ? { body } : {}), ...(qs ? { qs } : {}) });
    expect(validateV3Response(method, url, response.statusCode, data === '' ? undefined : data)).toEqual([]);
    return { status: response.statusCode, data };
  };

  const listed = await checked('GET', '/v3/partners/accounts', undefined, { limit: 100 });
  expect(listed.status).toBe(200);
  expect(listed.data.accounts.map((a: { id: string }) => a.id).sort()).toEqual([demo.free, demo.silver, demo.gold, demo.business].sort());

  const created = await checked('POST', '/v3/partners/accounts', { profile: { email: 'sdk@example.com' }, offerings: [freePackage] });
  expect(created.status).toBe(201);
  const id = created.data.account_id as string;

  expect((await checked('GET', `/v3/partners/accounts/${id}/offerings`)).data).toEqual({ offerings: [freePackage] });
  const replaced = await checked('PUT', `/v3/partners/accounts/${id}/offerings`, { offerings: [silverPackage, marketingAddon] });
  expect(replaced).toEqual({ status: 200, data: { offerings: [silverPackage, marketingAddon] } });

  expect((await checked('GET', `/v3/partners/accounts/${id}/state`)).data).toEqual({ state: 'activated' });
  expect((await checked('PUT', `/v3/partners/accounts/${id}/state`, { state: 'deactivated' })).status).toBe(204);
  expect((await checked('GET', `/v3/partners/accounts/${id}/state`)).data).toEqual({ state: 'deactivated' });

  expect((await checked('DELETE', `/v3/partners/accounts/${id}`)).status).toBe(204);
  expect(sim.account(id)).toBeUndefined();
  expect(sim.writes(id)).toEqual({ offerings: 1, state: 1 });

  // What the client sent is what the spec describes.
  expect(sim.requests).toHaveLength(8);
  for (const r of sim.requests) expect(validateRecordedV3Request(r), `${r.method} ${r.path}`).toEqual([]);
});

test('@sendgrid/client surfaces the spec error of a refused request', async () => {
  const client = new Client();
  client.setApiKey('SG.not-the-key');
  client.setDefaultRequest('baseUrl', sim.url);
  await expect(client.request({ method: 'GET', url: '/v3/partners/offerings' })).rejects.toMatchObject({
    code: 401,
    response: { body: { errors: [{ message: 'Failed to authenticate user', field: '', error_id: '10-40100' }] } },
  });
});
