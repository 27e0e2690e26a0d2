// `run-scheduler --now <instant>` simulates the instant changes are due at, not the time leases
// run on: a pass killed mid-way must leave leases that a running bridge takes over on time.
import { afterEach, expect, test } from 'vitest';
import { DEMO } from '../helpers/bridge.js';
import { openBridge, runInProcess, tempWorld } from './support.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const LEASE_MS = 120_000; // BRIDGE_SCHEDULER_LEASE_MS's default

test('run-scheduler --now 2099-01-01 claims with a lease from the real time', async () => {
  const world = tempWorld();
  cleanups.push(world.remove);
  const running = await openBridge(world.env);
  cleanups.push(() => running.close());
  const user4 = (await running.store.findCustomer({ reseller: DEMO.apiUser, username: 'user4' }))!;
  const { change } = await running.store.schedule(
    {
      customerId: user4.id,
      accountId: user4.accountId,
      type: 'downgrade',
      currentPackage: 'Silver Package',
      targetPackage: 'Basic Package',
      ips: [],
      ipGroups: [],
      effectiveAt: '2031-01-15T00:00:00.000Z',
    },
    { actor: 'legacy', action: 'scheduled_downgrade', outcome: 'scheduled' },
  );
  const simulator = running.simulator!;
  // The PUT is answered late, so the pass is caught while its change is claimed.
  simulator.faults.latency(1_000, 'UpdateAccountOffering');
  const started = Date.now();
  const pass = runInProcess(['run-scheduler', '--now', '2099-01-01', '--json'], { ...world.env, SIMULATOR_PORT: String(simulator.port) });
  while (!simulator.requests.some((r) => r.method === 'PUT')) await new Promise((resolve) => setImmediate(resolve));

  const claimed = (await running.store.getChange(change.id))!;
  expect(claimed.status).toBe('applying');
  const leaseEnds = Date.parse(claimed.leaseExpiresAt!);
  expect(leaseEnds).toBeGreaterThanOrEqual(started + LEASE_MS);
  expect(leaseEnds).toBeLessThanOrEqual(Date.now() + LEASE_MS);

  const run = await pass;
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ at: '2099-01-01T00:00:00.000Z', applied: 1 });
});
