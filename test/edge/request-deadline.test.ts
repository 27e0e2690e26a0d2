// BRIDGE_REQUEST_DEADLINE_MS: a legacy or directory request is answered by its deadline, however
// slow v3 is, and a read cut short changes nothing.
import request from 'supertest';
import { expect, it } from 'vitest';
import { AUTH, DEMO, useTestBridge } from '../helpers/bridge.js';

const DEADLINE_MS = 1_000;
const current = useTestBridge({ BRIDGE_REQUEST_DEADLINE_MS: String(DEADLINE_MS), BRIDGE_LEGACY_STATUSES: 'http' });

it.each([
  ['reseller.account', () => request(current().url).get(`/apiv2/reseller.account.json?${AUTH}&task=immediate_upgrade&package=Gold%20Package&user=user4&ip[]=255.255.255.0`)],
  [
    'the directory',
    () => request(current().url).get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=platinum20').set('Authorization', 'Token token="aaaabbbbccccddddeeeeffff11112222"'),
  ],
])('%s: answered 504 at the configured deadline while v3 is slower', async (_, send) => {
  const sim = current().simulator!;
  // Slower than this deadline, not than the default 20 s: without the setting the change would succeed.
  sim.faults.latency(4 * DEADLINE_MS, 'GetAccountState');
  const started = Date.now();
  const res = await send();
  const took = Date.now() - started;
  expect(res.status).toBe(504);
  expect(took).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
  expect(took).toBeLessThan(3 * DEADLINE_MS);
  expect(sim.writes(DEMO.accounts.user4).offerings + sim.writes(DEMO.accounts.business).offerings).toBe(0);
});
