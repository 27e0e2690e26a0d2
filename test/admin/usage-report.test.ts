import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createAdminApp } from '../../src/admin/listener.js';
import { ledgerCsv } from '../../src/admin/usage/export.js';
import { usageReport } from '../../src/admin/usage/report.js';
import { usageRoutes } from '../../src/admin/usage/routes.js';
import { silentLogger } from '../../src/log.js';
import { MemoryLedger } from './memory-ledger.js';

const NOW = new Date('2031-03-20T12:00:00Z');
const ago = (days: number, hours = 0) => new Date(NOW.getTime() - days * 86_400_000 - hours * 3_600_000);
const OPTIONS = { windowDays: 7, quietDays: 3 };

async function report(record: (ledger: MemoryLedger) => void) {
  const ledger = new MemoryLedger();
  record(ledger);
  return usageReport(await ledger.ledgerEntries(), await ledger.ledgerTaskDays({ since: '2031-03-14' }), NOW, OPTIONS);
}

describe('usageReport: the ledger per reseller and task', () => {
  it('sums auth styles, formats and outcomes into one row per reseller and task, day by day', async () => {
    const r = await report((l) => {
      l.record({ reseller: 'a', task: 'list', at: ago(0) }, 2);
      l.record({ reseller: 'a', task: 'list', at: ago(1), format: 'xml', authStyle: 'bearer' });
      l.record({ reseller: 'a', task: 'list', at: ago(6), outcome: 'client_error', status: 400 });
      l.record({ reseller: 'a', task: 'list', at: ago(9) }, 5); // before the window
    });
    expect(r.days).toEqual(['2031-03-14', '2031-03-15', '2031-03-16', '2031-03-17', '2031-03-18', '2031-03-19', '2031-03-20']);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({
      reseller: 'a',
      task: 'list',
      total: 9,
      windowTotal: 4,
      daily: [1, 0, 0, 0, 0, 1, 2],
      failures: 1,
      authStyles: ['bearer', 'password'],
      lastSeen: ago(0).toISOString(),
      lastStatus: 200,
      quietFor: 0,
      ready: false,
    });
    expect(r.totalDaily).toEqual([1, 0, 0, 0, 0, 1, 2]);
  });

  const readiness: [string, number, boolean][] = [
    ['called today', 0, false],
    ['quiet for 2 days and 23 hours', 2.99, false],
    ['quiet for exactly 3 days', 3, true],
    ['quiet for a month', 30, true],
  ];
  it.each(readiness)('a caller %s is ready for the sunset: %s', async (_name, days, ready) => {
    const r = await report((l) => l.record({ reseller: 'a', task: 'overview', at: new Date(NOW.getTime() - days * 86_400_000) }));
    expect(r.resellers[0]!.ready).toBe(ready);
    expect(r.rows[0]!.ready).toBe(ready);
  });

  it('a reseller is ready only when every one of its tasks is', async () => {
    const r = await report((l) => {
      l.record({ reseller: 'a', task: 'overview', at: ago(10) });
      l.record({ reseller: 'a', task: 'list', at: ago(1) });
      l.record({ reseller: 'b', task: 'list', at: ago(4) });
    });
    expect(r.resellers.map((x) => [x.reseller, x.tasks, x.ready, x.quietFor])).toEqual([
      ['a', 2, false, 1],
      ['b', 1, true, 4],
    ]);
    expect(r.rows.map((x) => [x.reseller, x.task, x.ready])).toEqual([
      ['a', 'list', false],
      ['a', 'overview', true],
      ['b', 'list', true],
    ]);
  });
});

describe('the exports', () => {
  it('CSV quotes per RFC 4180 and defuses what a spreadsheet would run as a formula', () => {
    const at = NOW.toISOString();
    const csv = ledgerCsv([
      { reseller: '=HYPERLINK("x")', authStyle: 'password', surface: 'apiv2', task: 'list', format: 'json', outcome: 'auth_failed', count: 2, firstSeen: at, lastSeen: at, lastStatus: 401 },
      { reseller: 'a,b', authStyle: 'password', surface: 'apiv2', task: '', format: 'json', outcome: 'success', count: 1, firstSeen: at, lastSeen: at, lastStatus: 200 },
    ]);
    expect(csv.split('\r\n')).toEqual([
      'reseller,auth_style,surface,task,format,outcome,count,first_seen,last_seen,last_status',
      `"'=HYPERLINK(""x"")",password,apiv2,list,json,auth_failed,2,${at},${at},401`,
      `"a,b",password,apiv2,,json,success,1,${at},${at},200`,
      '',
    ]);
  });

  it('the routes answer the page, both exports and the assets; a hostile name is escaped', async () => {
    const ledger = new MemoryLedger();
    ledger.record({ reseller: '<img src=x onerror=alert(1)>', task: 'list', at: ago(0), outcome: 'auth_failed', status: 401 });
    const app = createAdminApp({
      token: undefined,
      logger: silentLogger,
      routes: usageRoutes({ ledger, scheduledChanges: async () => [], brownouts: async () => ({ enabled: true, windows: [] }), now: () => NOW, options: OPTIONS }),
    });
    const page = await request(app).get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const csv = await request(app).get('/ledger.csv');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="ledger-2031-03-20.csv"');
    expect(csv.text.split('\r\n')[1]).toMatch(/^<img src=x onerror=alert\(1\)>,password,apiv2,list,json,auth_failed,1,/);
    const json = await request(app).get('/ledger.json');
    expect(json.body).toMatchObject({ generatedAt: NOW.toISOString(), entries: [{ count: 1 }], days: [{ day: '2031-03-20', count: 1 }] });
    for (const asset of ['/assets/uplot.min.js', '/assets/uplot.min.css', '/assets/operator-page.js']) {
      const answer = await request(app).get(asset);
      expect(answer.status, asset).toBe(200);
      expect(answer.text.length, asset).toBeGreaterThan(100);
    }
  });
});

describe('the page with many callers', () => {
  it('shows the callers a page at a time, the summary and the chart over all of them', async () => {
    const ledger = new MemoryLedger();
    for (let c = 0; c < 250; c++) ledger.record({ reseller: `r${String(c).padStart(3, '0')}`, task: c % 2 ? 'list' : 'overview', at: ago(c % 5) });
    const app = createAdminApp({
      token: undefined,
      logger: silentLogger,
      routes: usageRoutes({ ledger, scheduledChanges: async () => [], brownouts: async () => ({ enabled: true, windows: [] }), now: () => NOW, options: OPTIONS }),
    });
    const callersOf = (html: string, table: string) => [...html.split(`id="${table}"`)[1]!.split('</table>')[0]!.matchAll(/<th scope="row">(?:<a [^>]*>)?(r\d{3})/g)].map((m) => m[1]);
    const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `r${String(from + i).padStart(3, '0')}`);

    const first = (await request(app).get('/')).text;
    expect(callersOf(first, 'resellers-table')).toEqual(names(0, 100));
    expect(callersOf(first, 'usage-table')).toEqual(names(0, 100));
    expect(first).toContain('Callers 1–100 of 250 (page 1 of 3) · <a href="?page=2#callers" rel="next">Next callers</a>');
    expect([first.match(/id="callers-active">(\d+)</)?.[1], first.match(/id="callers-ready">(\d+)</)?.[1]]).toEqual(['150', '100']); // the summary counts every caller
    expect(first).toMatch(/<tfoot><tr><th scope="row">All tasks<\/th>(?:<td class="num">\d+<\/td>){7}<td class="num">250<\/td>/); // so does the chart's table

    const third = (await request(app).get('/?page=3')).text;
    expect(callersOf(third, 'resellers-table')).toEqual(names(200, 250));
    expect(third).toContain('Callers 201–250 of 250 (page 3 of 3) · <a href="?page=2#callers" rel="prev">Previous callers</a>');
    expect(third).toContain('href="?reseller=r200&amp;page=3#tasks"');
    // Past the last page: the last; not a page number: the first.
    expect(callersOf((await request(app).get('/?page=9')).text, 'resellers-table')).toEqual(names(200, 250));
    expect(callersOf((await request(app).get('/?page=x')).text, 'resellers-table')).toEqual(names(0, 100));
  });
});
