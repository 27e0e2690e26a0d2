// The operator page end to end in headless Chromium: after scripted calls it shows the right
// counts, draws its chart, exports the ledger, reads without JavaScript, and axe finds no serious
// or critical accessibility problem.
import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminListener, type AdminListener } from '../../src/admin/listener.js';
import { adminRoutes } from '../../src/admin/routes.js';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import { silentLogger } from '../../src/log.js';
import type { UsageObservation } from '../../src/rules/usage.js';
import { AUTH, DEMO, startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { launchChromium } from './browser.js';

const NOW = new Date('2031-03-20T12:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
const TOKEN = 'operator-page-token-0123456789';
const HOSTILE = '<script>window.__owned=1</script>';

let bridge: TestBridge;
let guarded: AdminListener;
let browser: Browser;

/** Calls counted through the caller ledger's writer into the bridge's store, each at its own instant. */
let clock = NOW;
let writer: UsageLedger;
function called(call: Partial<UsageObservation> & { caller: string; task: string }, at: Date, times = 1): void {
  clock = at;
  for (let i = 0; i < times; i++)
    writer.observe({ surface: 'apiv2', format: 'json', status: 200, outcome: 'success', authenticated: true, authStyle: 'password', ...call });
}

async function legacy(body: string): Promise<void> {
  const answer = await fetch(`${bridge.url}/apiv2/reseller.account.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `${AUTH}&${body}`,
  });
  expect(await answer.json()).toEqual({ message: 'success' });
}

beforeAll(async () => {
  bridge = await startTestBridge({}, { now: () => NOW });
  // A failed change (its account deactivated upstream before the billing day), then a pending one.
  await legacy('task=scheduled_close&user=user5');
  await bridge.v3For(bridge.config.mappings.resellerByUser.get(DEMO.apiUser)!).putState(DEMO.accounts.user5, 'deactivated');
  expect(await bridge.scheduler.runPass(new Date('2099-01-01'))).toMatchObject({ failed: 1 });
  await legacy('task=scheduled_downgrade&package=Basic Package&user=user4');

  // The two legacy calls above reach the ledger through the edge; the rest is written below.
  await bridge.ledger.flush();
  expect((await bridge.store.ledgerEntries()).map((e) => [e.reseller, e.task, e.count])).toEqual([
    [DEMO.apiUser, 'scheduled_close', 1],
    [DEMO.apiUser, 'scheduled_downgrade', 1],
  ]);
  writer = new UsageLedger({ store: bridge.store, knownCallers: new Set(), now: () => clock, logger: silentLogger });
  called({ caller: DEMO.apiUser, task: 'immediate_upgrade' }, daysAgo(0), 3);
  called({ caller: DEMO.apiUser, task: 'scheduled_downgrade' }, daysAgo(0));
  called({ caller: DEMO.apiUser, task: 'list', format: 'xml' }, daysAgo(2), 2);
  called({ caller: 'demo-directory', task: 'change_package', surface: 'directory', authStyle: 'directory_token' }, daysAgo(5), 4);
  called({ caller: DEMO.secondApiUser, task: 'overview' }, daysAgo(40), 7);
  called({ caller: HOSTILE, task: 'list', outcome: 'auth_failed', status: 401, authenticated: false }, daysAgo(1));
  await writer.flush();

  const window = { tasks: [], resellers: [], goneAfterSunset: false };
  await bridge.store.addBrownout({ ...window, startsAt: new Date('2031-03-21T09:00:00Z'), endsAt: new Date('2031-03-21T21:00:00Z'), surfaces: ['apiv2'], dryRun: false, note: 'first 12 h brownout' });
  const past = await bridge.store.addBrownout({ ...window, startsAt: new Date('2031-03-10T09:00:00Z'), endsAt: new Date('2031-03-10T10:00:00Z'), surfaces: ['directory'], tasks: ['change_package'], resellers: ['demo-directory'], dryRun: true });
  await bridge.store.countBrownoutHits([{ windowId: past.id, refused: 0, wouldRefuse: 3 }]);

  guarded = await startAdminListener({ host: '127.0.0.1', port: 0, token: TOKEN, logger: silentLogger, routes: adminRoutes({ config: bridge.config, store: bridge.store, now: () => NOW, metrics: bridge.metrics }) });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await guarded?.close();
  await bridge?.stop();
});

async function openPage(javaScriptEnabled = true): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  const answer = await page.goto(`${bridge.admin!.url}/`);
  expect(answer?.status()).toBe(200);
  return page;
}

const cellsOf = (page: Page, selector: string) =>
  page.$$eval(selector, (rows) => rows.map((row) => [...row.querySelectorAll('th,td')].map((cell) => cell.textContent?.trim() ?? '')));

describe('the operator page in headless Chromium', () => {
  it('shows the counts of the scripted calls, per reseller and per task', async () => {
    const page = await openPage();
    expect(await page.textContent('#callers-active')).toBe('3');
    expect(await page.textContent('#callers-ready')).toBe('1');
    expect(await page.textContent('#calls-window')).toBe('13');
    expect(await page.textContent('#changes-failed')).toBe('1');

    const resellers = await cellsOf(page, '#resellers-table tbody tr');
    expect(resellers.map((r) => [r[0], r[2], r[3], r[6]])).toEqual([
      [HOSTILE, '1', '1', 'still calling'],
      ['demo-directory', '4', '4', 'still calling'],
      [DEMO.secondApiUser, '0', '7', 'ready'],
      [DEMO.apiUser, '8', '8', 'still calling'],
    ]);
    const rows = await cellsOf(page, '#usage-table tbody tr');
    expect(rows.find((r) => r[0] === DEMO.apiUser && r[1] === 'immediate_upgrade')?.slice(3, 4)).toEqual(['3']);
    expect(rows.find((r) => r[1] === 'directory change_package')?.[2]).toBe('directory_token');
    expect(await page.evaluate(() => (globalThis as { __owned?: number }).__owned)).toBeUndefined();
    await page.context().close();
  });

  it('lists the pending and failed scheduled changes with their reasons, and the brownout calendar', async () => {
    const page = await openPage();
    const changes = await cellsOf(page, '#changes-table tbody tr');
    expect(changes.map((c) => [c[2], c[3], c[6]])).toEqual([
      ['user5', 'close', 'failed'],
      ['user4', 'downgrade', 'pending'],
    ]);
    expect(changes[0]![8]).toMatch(/not activated/);
    const calendar = await cellsOf(page, '#brownouts-table tbody tr');
    expect(await page.textContent('#brownouts')).toContain('Brownouts are on');
    expect(calendar.map((b) => [b[0], b[5], b[6], b[8]])).toEqual([
      ['2031-03-10 09:00', 'dry run (counted, not refused)', 'past', '3'],
      ['2031-03-21 09:00', 'refused with 503', 'upcoming', '0'],
    ]);
    await page.context().close();
  });

  it('draws the chart with uPlot', async () => {
    const page = await openPage();
    await page.waitForSelector('#chart .uplot canvas');
    const drawn = await page.$eval('#chart .uplot canvas', (canvas) => {
      type Canvas = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      const c = canvas as unknown as Canvas;
      const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
      return painted;
    });
    expect(drawn).toBeGreaterThan(100);
    const legend = await page.$$eval('#chart .u-legend .u-label', (labels) => labels.map((l) => l.textContent));
    expect(legend).toEqual(expect.arrayContaining(['immediate_upgrade', 'directory change_package', 'list']));
    await page.context().close();
  });

  it('exports the ledger as CSV and JSON downloads that parse', async () => {
    const page = await openPage();
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('text=Ledger as CSV')]);
    const csv = (await readFile((await csvDownload.path())!, 'utf8')).trimEnd().split('\r\n').map((line) => line.split(','));
    expect(csv[0]).toEqual(['reseller', 'auth_style', 'surface', 'task', 'format', 'outcome', 'count', 'first_seen', 'last_seen', 'last_status']);
    expect(csv.slice(1).reduce((total, line) => total + Number(line[6]), 0)).toBe(20);
    expect(csv.find((line) => line[3] === 'immediate_upgrade')?.slice(0, 7)).toEqual([DEMO.apiUser, 'password', 'apiv2', 'immediate_upgrade', 'json', 'success', '3']);

    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.click('text=Ledger as JSON')]);
    const exported = JSON.parse(await readFile((await jsonDownload.path())!, 'utf8')) as { entries: { count: number }[]; days: { day: string; count: number }[] };
    expect(exported.entries.reduce((total, e) => total + e.count, 0)).toBe(20);
    expect(exported.days.find((d) => d.day === '2031-02-08')?.count).toBe(7); // 40 days back, within the export's 90
    await page.context().close();
  });

  it('reads without JavaScript: the tables carry every figure', async () => {
    const page = await openPage(false);
    expect(await page.$('#chart .uplot')).toBeNull();
    const total = await cellsOf(page, '#days-table tfoot tr');
    expect(total[0]!.at(-1)).toBe('13');
    expect(total[0]!.slice(1, -1).map(Number)).toEqual([...new Array(24).fill(0), 4, 0, 0, 2, 1, 6]);
    await page.context().close();
  });

  it("shows one reseller's calls day by day", async () => {
    const page = await openPage();
    await page.click(`#resellers-table >> text=${DEMO.apiUser}`);
    const focus = await cellsOf(page, '#focus-table tbody tr');
    expect(focus.map((r) => [r[0], r.at(-4), r.at(-1)])).toEqual([
      ['immediate_upgrade', '0', '3'],
      ['list', '2', '2'],
      ['scheduled_close', '0', '1'],
      ['scheduled_downgrade', '0', '2'],
    ]);
    await page.context().close();
  });

  it('has no serious or critical accessibility problem (axe)', async () => {
    const page = await openPage();
    await page.waitForSelector('#chart .uplot canvas');
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`)).toEqual([]);
    await page.context().close();
  });

  it('is behind the admin token when one is set', async () => {
    const anonymous = await browser.newContext();
    const page = await anonymous.newPage();
    for (const path of ['/', '/ledger.csv', '/ledger.json']) expect((await page.goto(`${guarded.url}${path}`))?.status(), path).toBe(401);
    await anonymous.close();
    const operator = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` } });
    const answer = await (await operator.newPage()).goto(`${guarded.url}/`);
    expect(answer?.status()).toBe(200);
    await operator.close();
  });
});
