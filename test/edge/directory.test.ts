// The directory-token "Account Manipulation" endpoint, against the operation declared in
// ../shared/contracts/directory/partners-api.json.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { AUTH, DEMO, projectRoot, useTestBridge, packageOf as packageOfAccount } from '../helpers/bridge.js';

const TOKEN = 'aaaabbbbccccddddeeeeffff11112222';
const BUSINESS = '88pzdbz1hmkdoel4';
const OTHER_RESELLERS_BUSINESS = '5econdb1zbus1ness';

// The declared operation: its parameters and answers.
const partnersApi = JSON.parse(readFileSync(resolve(projectRoot, '../shared/contracts/directory/partners-api.json'), 'utf8'));
const operation = Object.values(partnersApi.paths as Record<string, Record<string, { operationId?: string }>>)
  .flatMap((item) => Object.values(item))
  .find((op) => op.operationId === 'account-manipulation') as unknown as {
  parameters: { name: string; in: string }[];
  responses: Record<string, { content: { 'application/json': { schema?: object; examples: { Result: { value: string } } } } }>;
};
const declaredText = (status: string) => operation.responses[status]!.content['application/json'].examples.Result.value;
const validate200 = new Ajv2020({ strict: false }).compile(operation.responses['200']!.content['application/json'].schema!);

const current = useTestBridge();
const sim = () => current().simulator!;
const packageOf = (id: string) => packageOfAccount(current(), id);
const writes = () => sim().writes(DEMO.accounts.business).offerings;
const customer = async () => (await current().store.findCustomer({ businessUid: BUSINESS }))!;


const change = (query: string, business = BUSINESS, token: string | null = TOKEN) => {
  const req = request(current().url).get(`/v1/partners/accounts/${business}/change_package?${query}`);
  return token === null ? req : req.set('Authorization', `Token token="${token}"`);
};

describe('a package change', () => {
  it('the documented call moves the business and stores its tags', async () => {
    const res = await change('package_name=platinum20&edit_tags=vip,eu');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ business_id: BUSINESS });
    expect(validate200(res.body)).toBe(true);
    expect(packageOf(DEMO.accounts.business)).toBe('org.ei.platinum20.v1');
    expect(writes()).toBe(1);
    expect((await customer()).tags).toEqual(['vip', 'eu']);
    const audit = await current().store.listAudit({ customerId: (await customer()).id });
    expect(audit.at(-1)).toMatchObject({ actor: 'directory', outcome: 'applied' });
  });

  it('is answered the same on POST (an extension), and is a no-op when repeated', async () => {
    const first = await request(current().url)
      .post(`/v1/partners/accounts/${BUSINESS}/change_package`)
      .set('Authorization', `Token token="${TOKEN}"`)
      .type('form')
      .send('package_name=platinum20');
    expect(first.status).toBe(200);
    expect((await change('package_name=platinum20')).status).toBe(200);
    expect(writes()).toBe(1); // exactly one offerings write per accepted change
  });

  it('keeps add-ons and accepts every declared parameter; undeclared ones are ignored', async () => {
    const declared = operation.parameters.filter((p) => p.in === 'query').map((p) => p.name).sort();
    expect(declared).toEqual(['add_sms_credits', 'delete_sms_credits', 'edit_tags', 'external_subscription_params', 'package_name']);
    const res = await change(
      'package_name=platinum20&external_subscription_params[]=plan=gold&external_subscription_params[]=seats=5' +
        '&edit_tags=a,%20b,,a&add_sms_credits=0&delete_sms_credits=&utm_source=newsletter',
    );
    expect(res.status).toBe(200);
    const stored = await customer();
    expect(stored.subscriptionParams).toEqual([['plan', 'gold'], ['seats', '5']]);
    expect(stored.tags).toEqual(['a', 'b']);
  });

  it('accepts the [KEY]=VALUE form of external_subscription_params, in order', async () => {
    expect((await change('external_subscription_params[plan]=gold&external_subscription_params[billing]=monthly')).status).toBe(200);
    expect((await customer()).subscriptionParams).toEqual([['plan', 'gold'], ['billing', 'monthly']]);
  });

  it('a tags-only call confirms the account and writes no offerings', async () => {
    expect((await change('edit_tags=beta')).status).toBe(200);
    expect(writes()).toBe(0);
    expect(sim().requests.map((r) => r.operation)).toEqual(expect.arrayContaining(['GetAccountState']));
    expect(sim().requests.some((r) => r.method === 'PUT')).toBe(false);
    expect((await customer()).tags).toEqual(['beta']);
  });

  it('supersedes a pending legacy change of the same account', async () => {
    const username = 'owner@88pzdbz1hmkdoel4.example';
    await request(current().url)
      .get(`/apiv2/reseller.account.json?${AUTH}&task=scheduled_upgrade&package=Platinum%2020&user=${username}`)
      .expect(200);
    expect(await current().store.listPending(DEMO.apiUser, { username })).toHaveLength(1);
    expect((await change('package_name=platinum20')).status).toBe(200);
    expect(await current().store.listPending(DEMO.apiUser, { username })).toHaveLength(0);
  });
});

describe('refusals', () => {
  const denied = declaredText('401');
  it.each([
    ['an unknown token', () => change('package_name=platinum20', BUSINESS, 'ffffffffffffffffffffffffffffffff')],
    ['a missing header', () => change('package_name=platinum20', BUSINESS, null)],
    ['a Bearer header', () => request(current().url).get(`/v1/partners/accounts/${BUSINESS}/change_package`).set('Authorization', `Bearer ${TOKEN}`)],
    ['an unknown business', () => change('package_name=platinum20', 'nosuchbusiness00')],
    ['another reseller’s business', () => change('package_name=platinum20', OTHER_RESELLERS_BUSINESS)],
  ])('%s → 401 as declared', async (_name, send) => {
    const res = await send();
    expect(res.status).toBe(401);
    expect(res.text).toBe(denied);
    expect(res.headers['www-authenticate']).toBe('Token realm="Application"');
    expect(writes() + sim().writes(DEMO.accounts['customer@second.example']).offerings).toBe(0);
  });

  it.each([
    ['an unknown package', 'package_name=gold99', 'package_name: unknown package "gold99" (available: business20, platinum20)'],
    ['SMS credits to add', 'package_name=platinum20&add_sms_credits=100', 'add_sms_credits: SMS credits have no equivalent in the SendGrid v3 API; nothing was changed'],
    ['SMS credits to delete', 'edit_tags=x&delete_sms_credits=5', 'delete_sms_credits: SMS credits have no equivalent in the SendGrid v3 API; nothing was changed'],
    ['SMS credits that are not a number', 'add_sms_credits=lots', 'add_sms_credits: must be a whole number'],
    ['a subscription param without a value', 'external_subscription_params[]=plan', 'external_subscription_params: "plan" is not KEY=VALUE'],
  ])('%s → 422, nothing changed', async (_name, query, message) => {
    const before = await customer();
    const res = await change(query);
    expect(res.status).toBe(422);
    expect(`${res.body.message}\n`).toBe(declaredText('422'));
    expect(res.body.errors).toEqual([message]);
    expect(writes()).toBe(0);
    expect(await customer()).toEqual(before);
    expect(sim().requests).toHaveLength(0); // validated before any v3 call
  });

  it('an upstream failure → 503 with a JSON message, nothing changed', async () => {
    const before = await customer();
    sim().faults.errorRate(1, 503);
    const res = await change('package_name=platinum20&edit_tags=vip');
    sim().faults.clear();
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/safe to retry/);
    expect(writes()).toBe(0);
    expect(await customer()).toEqual(before);
  });
});

describe('request bodies', () => {
  it('an oversized POST body → 413 JSON, nothing changed', async () => {
    const res = await request(current().url)
      .post(`/v1/partners/accounts/${BUSINESS}/change_package`)
      .set('Authorization', `Token token="${TOKEN}"`)
      .type('form')
      .send(`package_name=platinum20&edit_tags=${'x'.repeat(70_000)}`);
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/too large/);
    expect(writes()).toBe(0);
  });
});
