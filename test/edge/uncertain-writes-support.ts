// Shared by the uncertain-write tests (issue 9's reproducers 1 and 2, end to end: supertest →
// bridge → embedded simulator), scaled down with the config knobs. Two files, so their waits for
// late writes and grace periods run side by side.
import request from 'supertest';
import { expect } from 'vitest';
import { waitUntil } from '../../harness/processes.js';
import type { TestBridge } from '../helpers/bridge.js';
import { AUTH, DEMO, useTestBridge } from '../helpers/bridge.js';

export { DEMO };

/** v3 attempts give up on an answer after this (undici's timers are coarse: up to about a second more). */
export const HEADERS_TIMEOUT_MS = 250;
/** How late reproducer 2's PUTs land: after both attempts of the call gave up. */
export const PUT_LATENCY_MS = 3_000;
/** Longer than a PUT can take to land after the bridge gave up on it. */
export const GRACE_MS = PUT_LATENCY_MS + 1_000;
export const USER4 = DEMO.accounts.user4;
export const TOKEN = 'aaaabbbbccccddddeeeeffff11112222';
export const BUSINESS = '88pzdbz1hmkdoel4';

/** A bridge per test (own database, own simulator) with short v3 timeouts and grace period, and its calls. */
export function useUncertainWritesBridge() {
  const current = useTestBridge(
    { BRIDGE_LEGACY_STATUSES: 'http', BRIDGE_WRITE_GRACE_MS: String(GRACE_MS) },
    { upstream: { headersTimeoutMs: HEADERS_TIMEOUT_MS, bodyTimeoutMs: HEADERS_TIMEOUT_MS, maxAttempts: 2, backoffBaseMs: 20, backoffCapMs: 40 } },
  );
  const sim = () => current().simulator!;
  return {
    current,
    sim,
    offeringsOf: (id: string) => sim().account(id)!.offerings.map((o) => `${o.name}:${o.quantity ?? 1}`).sort(),
    post: (form: string) => request(current().url).post('/apiv2/reseller.account.json').type('form').send(`${AUTH}&${form}`),
    directoryChange: (query: string) =>
      request(current().url).get(`/v1/partners/accounts/${BUSINESS}/change_package?${query}`).set('Authorization', `Token token="${TOKEN}"`),
  };
}

export async function customerOf(bridge: TestBridge, ref: { username: string } | { businessUid: string }) {
  const customer = await bridge.store.findCustomer('username' in ref ? { reseller: DEMO.apiUser, username: ref.username } : ref);
  return customer!;
}

/** The customer's write intent (there is one per write), once its settle time has passed. */
export async function waitForSettleTime(bridge: TestBridge, customerId: number): Promise<void> {
  const [intent] = (await bridge.store.listIntents({ customerId })).slice(-1);
  expect(intent).toBeDefined();
  await waitUntil('the write can be settled', () => Date.now() >= Date.parse(intent!.settleAfter));
}

/** The offerings the customer's last audit record with offerings says it is on. */
export async function lastRecordedOfferings(bridge: TestBridge, customerId: number) {
  const recorded = (await bridge.store.listAudit({ customerId })).filter((a) => a.offeringsAfter);
  return recorded.at(-1)!.offeringsAfter!.map((o) => `${o.name}:${o.quantity ?? 1}`).sort();
}
