// Billing days come from v3 `created_at`, resolved once at start-up; when v3 cannot be reached
// then, the first scheduled change of a customer resolves it.
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTH, startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { DEMO_KEY, SECOND_RESELLER_KEY, startTestSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator | undefined;
let bridge: TestBridge | undefined;
afterAll(async () => {
  await bridge?.stop();
  await sim?.close();
});

describe('billing days', () => {
  it('are resolved on first use when v3 was unreachable at start-up', async () => {
    sim = await startTestSimulator();
    sim.faults.down('refuse');
    bridge = await startTestBridge(
      { SENDGRID_API_URL: sim.url, SENDGRID_API_KEY: DEMO_KEY, SECOND_RESELLER_API_KEY: SECOND_RESELLER_KEY },
      { now: () => new Date('2026-02-10T12:00:00Z'), upstream: { maxAttempts: 1 } },
    );
    const user4 = await bridge.store.findCustomer({ reseller: 'your_sendgrid_username', username: 'user4' });
    expect(user4?.billingDay).toBeNull();

    sim.faults.up();
    await request(bridge.url)
      .post('/apiv2/reseller.account.json')
      .type('form')
      .send(`${AUTH}&task=scheduled_downgrade&package=Basic Package&user=user4`)
      .expect(200, '{"message":"success"}');
    expect((await bridge.store.findCustomer({ id: user4!.id }))?.billingDay).toBe(30); // created on a 30th
    const listed = await request(bridge.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`);
    expect(listed.body).toEqual([expect.objectContaining({ username: 'user4', date: '2026-02-28' })]);
  });
});
