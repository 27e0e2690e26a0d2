// /metrics on the admin listener, scraped and parsed as Prometheus would, around legacy calls,
// v3 attempts, scheduler passes and the store's workload.

// OpenTelemetry semantic conventions, http.server.request.duration: the advised explicit bucket boundaries.
const OTEL_BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.075', '0.1', '0.25', '0.5', '0.75', '1', '2.5', '5', '7.5', '10', '+Inf'];
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO } from '../helpers/bridge.js';
import { expectSuccess, startClockedBridge, type ClockedBridge } from '../scheduler/support.js';
import { scrape } from './scrape.js';

let bridge: ClockedBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});
const start = async (today: string, env: Record<string, string> = {}) => (bridge = await startClockedBridge(today, {}, env));

describe('/metrics', () => {
  it('has the default process and Node metrics, and only bounded labels', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    await expectSuccess(b, 'task=immediate_upgrade&user=user5&package=Gold Package&ip[]=255.255.254.0');
    const metrics = await scrape(b.admin!.url);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes'])
      expect(metrics.families.has(name), name).toBe(true);
    const secrets = [DEMO.apiUser, DEMO.password, DEMO.key, 'user5', DEMO.accounts.user5, '255.255.254.0', '127.0.0.1'];
    for (const value of metrics.labelValues()) for (const secret of secrets) expect(value).not.toContain(secret);
  });

  it('counts legacy requests by surface, task, format and outcome, times them by route, and counts failed logins by reason', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    const before = await scrape(b.admin!.url);
    await expectSuccess(b, 'task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0');
    await expectSuccess(b, 'task=immediate_downgrade&user=user4&package=Silver Package');
    const refused = await fetch(`${b.url}/apiv2/reseller.account.xml`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `api_user=${DEMO.apiUser}&api_key=not-the-password&task=overview&user=user4`,
    });
    expect(await refused.text()).toContain('<code>401</code>');
    const after = await scrape(b.admin!.url);
    const moved = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    const legacy = 'reseller_bridge_legacy_requests_total';
    expect(moved(legacy, { surface: 'apiv2', task: 'immediate_upgrade', format: 'json', outcome: 'success' })).toBe(1);
    expect(moved(legacy, { surface: 'apiv2', task: 'immediate_downgrade', format: 'json', outcome: 'success' })).toBe(1);
    // The task of a refused login is not read: authentication comes first.
    expect(moved(legacy, { surface: 'apiv2', task: 'none', format: 'xml', outcome: 'auth_failed' })).toBe(1);
    expect(moved('reseller_bridge_authentication_failures_total', { surface: 'apiv2', reason: 'wrong_credentials' })).toBe(1);
    // Original statuses: the refused login is answered HTTP 200, as the old server did.
    expect(moved('http_server_request_duration_seconds', { method: 'POST', route: '/apiv2/:call', status: '200' })).toBe(3);
    expect(after.buckets('http_server_request_duration_seconds', { method: 'POST', route: '/apiv2/:call', status: '200' })).toEqual(OTEL_BUCKETS);
  });

  it('times every v3 attempt by operation and status', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    const before = await scrape(b.admin!.url);
    await expectSuccess(b, 'task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0');
    b.simulator!.faults.set({ failNext: { count: 1, status: 503, operation: 'GetAccountState' } });
    await expectSuccess(b, 'task=immediate_downgrade&user=user4&package=Silver Package');
    const after = await scrape(b.admin!.url);
    const moved = (labels: Record<string, string>) =>
      after.value('reseller_bridge_v3_request_duration_seconds', labels) - before.value('reseller_bridge_v3_request_duration_seconds', labels);
    expect(moved({ operation: 'GetAccountState', status: '200' })).toBe(2);
    expect(moved({ operation: 'GetAccountState', status: '503' })).toBe(1);
    expect(moved({ operation: 'ListAccountOffering', status: '200' })).toBe(2);
    expect(moved({ operation: 'UpdateAccountOffering', status: '200' })).toBe(2);
    expect(after.families.get('reseller_bridge_v3_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(after.buckets('reseller_bridge_v3_request_duration_seconds', { operation: 'GetAccountState', status: '200' })).toEqual(OTEL_BUCKETS);
  });

  it('counts scheduled changes by status and ages the oldest due one, read from the store on each scrape', async () => {
    const b = await start('2026-02-10T12:00:00Z'); // user4's next billing day: 2026-02-28
    const gauges = async () => {
      const metrics = await scrape(b.admin!.url);
      return {
        pending: metrics.value('reseller_bridge_pending_changes', { status: 'pending' }),
        failed: metrics.value('reseller_bridge_pending_changes', { status: 'failed' }),
        oldestDueAge: metrics.value('reseller_bridge_oldest_due_change_age_seconds'),
      };
    };
    expect(await gauges()).toEqual({ pending: 0, failed: 0, oldestDueAge: 0 });
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    expect(await gauges()).toEqual({ pending: 1, failed: 0, oldestDueAge: 0 });
    b.clock.set('2026-02-28T00:05:00Z');
    expect(await gauges()).toEqual({ pending: 1, failed: 0, oldestDueAge: 300 });
  });

  it('counts scheduler attempts by result', async () => {
    const b = await start('2026-02-10T12:00:00Z');
    await expectSuccess(b, 'task=scheduled_downgrade&user=user4&package=Basic Package');
    await expectSuccess(b, 'task=scheduled_downgrade&user=user5&package=Basic Package');
    const attempts = async () => {
      const metrics = await scrape(b.admin!.url);
      return ['applied', 'retried', 'failed'].map((result) => metrics.value('reseller_bridge_scheduler_attempts_total', { result }));
    };
    expect(await attempts()).toEqual([0, 0, 0]);
    b.simulator!.faults.set({ failNext: { count: 100, status: 503, operation: 'GetAccountState' } });
    await b.scheduler.runPass(new Date('2026-03-31T00:00:00Z'));
    expect(await attempts()).toEqual([0, 2, 0]);
    b.simulator!.faults.clear();
    await b.scheduler.runPass(new Date('2026-04-30T00:00:00Z')); // after their backoff
    expect(await attempts()).toEqual([2, 2, 0]);
  });

  it('is behind the admin token when one is set', async () => {
    const b = await start('2026-02-10T12:00:00Z', { BRIDGE_ADMIN_TOKEN: 'metrics-token-0123456789' });
    expect((await fetch(`${b.admin!.url}/metrics`)).status).toBe(401);
    const metrics = await scrape(b.admin!.url, { authorization: 'Bearer metrics-token-0123456789' });
    expect(metrics.families.has('reseller_bridge_legacy_requests_total')).toBe(true);
  });
});
