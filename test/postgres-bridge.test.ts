// The whole bridge on PostgreSQL (DATABASE_URL): the same legacy calls and scheduler pass as on
// SQLite, in a schema of its own that is dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, DEMO, packageOf, startTestBridge, type TestBridge } from './helpers/bridge.js';

const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bridge_e2e_${randomBytes(4).toString('hex')}`;
let bridge: TestBridge;

beforeAll(async () => {
  const url = new URL(SERVER);
  url.searchParams.set('schema', schema);
  bridge = await startTestBridge({ DATABASE_URL: url.toString() });
});

afterAll(async () => {
  await bridge?.stop();
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

describe('the bridge with DATABASE_URL', () => {
  it('reports the PostgreSQL store', async () => {
    const res = await request(bridge.url).get('/healthz');
    expect(res.body).toEqual({ status: 'ok', upstream: 'simulator', store: 'postgres' });
  });

  it('applies an immediate change, schedules one, lists it and applies it when due', async () => {
    await request(bridge.url)
      .get(`/apiv2/reseller.account.json?${AUTH}&task=immediate_upgrade&package=Basic%20Package&user=customer@example.com`)
      .expect(200, '{"message":"success"}');
    expect(packageOf(bridge, DEMO.accounts['customer@example.com'])).toBe('org.ei.basic.v1');

    await request(bridge.url)
      .post('/apiv2/reseller.account.json')
      .type('form')
      .send(`${AUTH}&task=scheduled_downgrade&package=Basic Package&user=user4`)
      .expect(200, '{"message":"success"}');
    const listed = await request(bridge.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`);
    expect(listed.body).toEqual([expect.objectContaining({ username: 'user4', type: 'Account Downgrade' })]);

    const result = await bridge.scheduler.runPass(new Date(`${listed.body[0].date}T00:00:00Z`));
    expect(result).toMatchObject({ claimed: 1, applied: 1 });
    expect(packageOf(bridge, DEMO.accounts.user4)).toBe('org.ei.basic.v1');
    expect((await request(bridge.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`)).body).toEqual([]);
  });
});
