// `bridge usage`: the operator page's table from the store's ledger, as text and as JSON.
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageReport } from '../../src/admin/usage/report.js';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import { silentLogger } from '../../src/log.js';
import { DEMO } from '../helpers/bridge.js';
import { openBridge, runInProcess, tempWorld } from './support.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A world whose ledger holds calls written through the ledger's writer, at the given days back. */
async function worldWithCalls(calls: { caller: string; task: string; daysAgo: number; times: number }[]) {
  const world = tempWorld();
  cleanups.push(() => world.remove());
  const bridge = await openBridge(world.env);
  let at = new Date();
  const writer = new UsageLedger({ store: bridge.store, knownCallers: new Set(), now: () => at, logger: silentLogger });
  for (const call of calls) {
    at = new Date(Date.now() - call.daysAgo * 86_400_000);
    for (let i = 0; i < call.times; i++)
      writer.observe({ surface: 'apiv2', task: call.task, format: 'json', status: 200, outcome: 'success', caller: call.caller, authenticated: true, authStyle: 'password' });
  }
  await writer.flush();
  await bridge.close();
  return world;
}

describe('bridge usage', () => {
  it('lists each reseller and task with its counts, last seen and sunset readiness', async () => {
    const world = await worldWithCalls([
      { caller: DEMO.apiUser, task: 'immediate_upgrade', daysAgo: 0, times: 3 },
      { caller: DEMO.apiUser, task: 'list', daysAgo: 1, times: 2 },
      { caller: DEMO.secondApiUser, task: 'overview', daysAgo: 20, times: 5 },
    ]);
    const text = await runInProcess(['usage'], world.env);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RESELLER\s+SURFACE\s+TASK\s+AUTH\s+CALLS 30D\s+TOTAL\s+FAILED\s+LAST SEEN\s+LAST STATUS\s+SUNSET$/);
    expect(lines[1]).toMatch(new RegExp(`^${DEMO.secondApiUser}\\s+apiv2\\s+overview\\s+password\\s+5\\s+5\\s+0\\s+\\S+ \\S+\\s+200\\s+ready \\(20d quiet\\)$`));
    expect(lines[2]).toMatch(new RegExp(`^${DEMO.apiUser}\\s+apiv2\\s+immediate_upgrade\\s+password\\s+3\\s+3\\s+0\\s+\\S+ \\S+\\s+200\\s+still calling$`));
    expect(lines[3]).toMatch(new RegExp(`^${DEMO.apiUser}\\s+apiv2\\s+list\\s+password\\s+2\\s+2\\s+`));
    expect(lines.at(-1)).toBe('2 callers, 1 ready for the sunset (no call for 14 days).');

    const json = await runInProcess(['usage', '--json', '--reseller', DEMO.apiUser, '--quiet-days', '1', '--days', '7'], world.env);
    const report = JSON.parse(json.stdout) as UsageReport;
    expect(report.days).toHaveLength(7);
    expect(report.rows.map((r) => [r.task, r.total, r.daily.slice(-2), r.ready])).toEqual([
      ['immediate_upgrade', 3, [0, 3], false],
      ['list', 2, [2, 0], true],
    ]);
  });

  it('says so when nothing was recorded, and refuses a bad number of days', async () => {
    const world = await worldWithCalls([]);
    expect((await runInProcess(['usage'], world.env)).stdout).toBe('No legacy call recorded.\n');
    const bad = await runInProcess(['usage', '--days', '0'], world.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Expected a whole number of days/);
  });
});
