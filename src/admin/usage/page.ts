// The operator page, rendered on the server: every figure is in an HTML table that reads without
// JavaScript; the one chart (uPlot, served by the bridge itself) draws the same numbers. Every
// value that comes from a request (a claimed api_user, a task) is escaped.
import type { PendingChange } from '../../store/store.js';
import type { ResellerUsage, UsageReport, UsageRow } from './report.js';

/** A brownout window as the calendar shows it. */
export interface BrownoutView {
  id: number;
  start: string;
  end: string;
  /** Empty: every surface (tasks, resellers likewise). */
  surfaces: string[];
  tasks: string[];
  resellers: string[];
  /** Counts the requests it would refuse, refuses none. */
  dryRun: boolean;
  /** After the sunset it answers 410 instead of 503. */
  goneAfterSunset: boolean;
  note: string | null;
  refused: number;
  wouldRefuse: number;
}

export interface BrownoutCalendar {
  /** The operator's switch: off, no window refuses anything. */
  enabled: boolean;
  windows: BrownoutView[];
}

export interface OperatorPageData {
  report: UsageReport;
  changes: PendingChange[];
  brownouts: BrownoutCalendar;
  /** One reseller's day-by-day table, when the page was asked for it (`?reseller=`). */
  focus?: string | undefined;
  /** Which page of callers the two caller tables show (`?page=`, from 1; out of range: the last). */
  page?: number | undefined;
}

/** Callers per page: the caller tables stay a few hundred KiB (and the page fast) with thousands of callers. */
export const CALLERS_PER_PAGE = 100;

export const ASSET_PATHS = { uplotJs: 'assets/uplot.min.js', uplotCss: 'assets/uplot.min.css', pageJs: 'assets/operator-page.js' } as const;

export function renderOperatorPage(data: OperatorPageData): string {
  const { report } = data;
  const active = report.resellers.filter((r) => !r.ready);
  const failed = data.changes.filter((c) => c.status === 'failed');
  const now = Date.parse(report.generatedAt);
  const pages = Math.max(1, Math.ceil(report.resellers.length / CALLERS_PER_PAGE));
  const page = Math.min(pages, Math.max(1, Math.trunc(data.page ?? 1)));
  const shown = report.resellers.slice((page - 1) * CALLERS_PER_PAGE, page * CALLERS_PER_PAGE);
  const shownNames = new Set(shown.map((r) => r.reseller));
  const shownRows = pages === 1 ? report.rows : report.rows.filter((r) => shownNames.has(r.reseller));
  const pager = pagerOf(page, pages, report.resellers.length);
  const chart = {
    days: report.days,
    series: report.taskDaily.map((s) => ({ label: taskLabel(s), daily: s.daily })),
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Legacy API usage · reseller-bridge</title>
<link rel="stylesheet" href="${ASSET_PATHS.uplotCss}">
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the figures</a>
<header>
<h1>Legacy API usage</h1>
<p>Generated ${esc(instant(report.generatedAt))} UTC · calls per day over the last ${report.options.windowDays} days · a caller is ready for the sunset after ${report.options.quietDays} days without a call</p>
<nav aria-label="Sections"><ul>
<li><a href="#callers">Callers</a></li><li><a href="#tasks">Per task</a></li><li><a href="#changes">Scheduled changes</a></li><li><a href="#brownouts">Brownouts</a></li><li><a href="#export">Export</a></li>
</ul></nav>
</header>
<main id="main">
<section aria-labelledby="summary-title" class="cards">
<h2 id="summary-title" class="visually-hidden">Summary</h2>
${card('Callers still calling', active.length, `of ${report.resellers.length} seen`, 'callers-active')}
${card('Ready for the sunset', report.resellers.length - active.length, `no call for ${report.options.quietDays} days`, 'callers-ready')}
${card(`Calls, last ${report.options.windowDays} days`, sum(report.totalDaily), `${sum(report.rows.map((r) => r.total))} since first seen`, 'calls-window')}
${card('Failed scheduled changes', failed.length, `${data.changes.length - failed.length} pending or applying`, 'changes-failed')}
</section>

<section aria-labelledby="chart-title">
<h2 id="chart-title">Calls per day, by task</h2>
<div id="chart" class="chart" role="img" aria-label="Line chart of the calls per day and task over the last ${report.options.windowDays} days; the table below has the same numbers"></div>
<script type="application/json" id="chart-data">${jsonForScript(chart)}</script>
<div class="scroll" tabindex="0" role="region" aria-label="Calls per day and task">
${dayTable('Calls per day and task, every reseller', report.days, report.taskDaily.map((s) => [taskLabel(s), s.daily] as const), report.totalDaily)}
</div>
</section>

<section id="callers" aria-labelledby="callers-title">
<h2 id="callers-title">Callers</h2>
${pager}${resellerTable(shown, page)}
</section>

<section id="tasks" aria-labelledby="tasks-title">
<h2 id="tasks-title">Per reseller and task</h2>
${data.focus !== undefined ? focusTable(report, data.focus) : '<p>Choose a reseller in the table above to see its calls day by day.</p>'}
${pager}<div class="scroll" tabindex="0" role="region" aria-label="Calls per reseller and task">${rowTable(shownRows)}</div>
</section>

<section id="changes" aria-labelledby="changes-title">
<h2 id="changes-title">Pending and failed scheduled changes</h2>
${changesTable(data.changes)}
</section>

<section id="brownouts" aria-labelledby="brownouts-title">
<h2 id="brownouts-title">Brownout calendar</h2>
${brownoutTable(data.brownouts, now)}
</section>

<section id="export" aria-labelledby="export-title">
<h2 id="export-title">Export the ledger</h2>
<p><a href="ledger.csv" download>Ledger as CSV</a> (one line per caller, auth style, surface, task, format and outcome) · <a href="ledger.json" download>Ledger as JSON</a> (the same, with the daily counts of the last 90 days)</p>
</section>
</main>
<script src="${ASSET_PATHS.uplotJs}"></script>
<script src="${ASSET_PATHS.pageJs}"></script>
</body>
</html>
`;
}

/** Nothing with one page; else where the shown callers sit among all, with the neighbouring pages. */
function pagerOf(page: number, pages: number, callers: number): string {
  if (pages === 1) return '';
  const first = (page - 1) * CALLERS_PER_PAGE + 1;
  const last = Math.min(callers, page * CALLERS_PER_PAGE);
  const link = (to: number, text: string, rel: string) => `<a href="?page=${to}#callers" rel="${rel}">${text}</a>`;
  const links = [page > 1 ? link(page - 1, 'Previous callers', 'prev') : '', page < pages ? link(page + 1, 'Next callers', 'next') : ''].filter(Boolean).join(' · ');
  return `<p class="pager">Callers ${first}–${last} of ${callers} (page ${page} of ${pages}) · ${links}</p>
`;
}

function card(title: string, value: number, detail: string, id: string): string {
  return `<div class="card"><h3>${esc(title)}</h3><p class="figure" id="${id}">${value}</p><p class="detail">${esc(detail)}</p></div>`;
}

function resellerTable(resellers: readonly ResellerUsage[], page: number): string {
  if (resellers.length === 0) return '<p>No legacy call recorded yet.</p>';
  const body = resellers
    .map(
      (r) =>
        `<tr><th scope="row"><a href="?reseller=${encodeURIComponent(r.reseller)}${page > 1 ? `&amp;page=${page}` : ''}#tasks">${esc(r.reseller)}</a></th><td class="num">${r.tasks}</td><td class="num">${r.windowTotal}</td><td class="num">${r.total}</td><td>${esc(instant(r.lastSeen))}</td><td class="num">${r.quietFor}</td><td>${readiness(r.ready)}</td></tr>`,
    )
    .join('\n');
  return `<table id="resellers-table"><caption>Resellers and directories that called the legacy API</caption>
<thead><tr><th scope="col">Reseller</th><th scope="col">Tasks</th><th scope="col">Calls (window)</th><th scope="col">Calls (all)</th><th scope="col">Last seen (UTC)</th><th scope="col">Days quiet</th><th scope="col">Sunset</th></tr></thead>
<tbody>
${body}
</tbody></table>`;
}

function rowTable(rows: readonly UsageRow[]): string {
  if (rows.length === 0) return '';
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row">${esc(r.reseller)}</th><td>${esc(taskLabel(r))}</td><td>${esc(r.authStyles.join(', '))}</td><td class="num">${r.windowTotal}</td><td>${sparkline(r.daily)}</td><td class="num">${r.total}</td><td class="num">${r.failures}</td><td>${esc(instant(r.lastSeen))}</td><td class="num">${r.lastStatus}</td><td>${readiness(r.ready)}</td></tr>`,
    )
    .join('\n');
  return `<table id="usage-table"><caption>Calls per reseller and task</caption>
<thead><tr><th scope="col">Reseller</th><th scope="col">Task</th><th scope="col">Auth</th><th scope="col">Calls (window)</th><th scope="col">Trend</th><th scope="col">Calls (all)</th><th scope="col">Failed</th><th scope="col">Last seen (UTC)</th><th scope="col">Last status</th><th scope="col">Sunset</th></tr></thead>
<tbody>
${body}
</tbody></table>`;
}

function focusTable(report: UsageReport, reseller: string): string {
  const rows = report.rows.filter((r) => r.reseller === reseller);
  if (rows.length === 0) return `<p>No call recorded for ${esc(reseller)}.</p>`;
  const total = report.days.map((_, i) => sum(rows.map((r) => r.daily[i]!)));
  return `<div class="scroll" tabindex="0" role="region" aria-label="Calls per day of ${esc(reseller)}">${dayTable(`Calls per day of ${reseller}`, report.days, rows.map((r) => [taskLabel(r), r.daily] as const), total, 'focus-table')}</div>`;
}

function dayTable(caption: string, days: readonly string[], series: readonly (readonly [string, readonly number[]])[], total: readonly number[], id = 'days-table'): string {
  const head = days.map((d) => `<th scope="col"><abbr title="${d}">${d.slice(5)}</abbr></th>`).join('');
  const line = (label: string, daily: readonly number[]) =>
    `<tr><th scope="row">${esc(label)}</th>${daily.map((n) => `<td class="num">${n}</td>`).join('')}<td class="num">${sum(daily)}</td></tr>`;
  return `<table id="${id}" class="days"><caption>${esc(caption)}</caption>
<thead><tr><th scope="col">Task</th>${head}<th scope="col">Total</th></tr></thead>
<tbody>
${series.map(([label, daily]) => line(label, daily)).join('\n')}
</tbody>
<tfoot>${line('All tasks', total)}</tfoot></table>`;
}

function changesTable(changes: readonly PendingChange[]): string {
  if (changes.length === 0) return '<p>No pending or failed scheduled change.</p>';
  const body = changes
    .map(
      (c) =>
        `<tr${c.status === 'failed' ? ' class="failed"' : ''}><th scope="row">${c.id}</th><td>${esc(c.reseller)}</td><td>${esc(c.username)}</td><td>${esc(c.type)}</td><td>${esc(`${c.currentPackage || '?'} → ${c.targetPackage}`)}</td><td>${esc(c.effectiveAt.slice(0, 10))}</td><td>${esc(c.status)}</td><td class="num">${c.attempts}</td><td>${esc(c.lastError ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<table id="changes-table"><caption>Scheduled changes not yet applied, failed ones with their reason</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Reseller</th><th scope="col">Customer</th><th scope="col">Type</th><th scope="col">Change</th><th scope="col">Effective</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Reason</th></tr></thead>
<tbody>
${body}
</tbody></table>`;
}

function brownoutTable(calendar: BrownoutCalendar, now: number): string {
  const switchText = calendar.enabled
    ? '<p>Brownouts are <strong>on</strong>: windows refuse the calls they match.</p>'
    : '<p>Brownouts are <strong>off</strong> (<code>npm run bridge -- brownout on</code>): no window refuses anything; each counts what it would have refused.</p>';
  const brownouts = calendar.windows;
  if (brownouts.length === 0) return `${switchText}<p>No brownout scheduled.</p>`;
  const when = (b: BrownoutView) => (Date.parse(b.end) <= now ? 'past' : Date.parse(b.start) <= now ? 'active now' : 'upcoming');
  const scope = (values: readonly string[]) => (values.length ? values.join(', ') : 'all');
  const body = [...brownouts]
    .sort((a, b) => compareText(a.start, b.start))
    .map(
      (b) =>
        `<tr class="${when(b).replace(' ', '-')}"><th scope="row">${esc(instant(b.start))}</th><td>${esc(instant(b.end))}</td><td>${esc(scope(b.surfaces))}</td><td>${esc(scope(b.tasks))}</td><td>${esc(scope(b.resellers))}</td><td>${esc(effect(b))}</td><td>${when(b)}</td><td class="num">${b.refused}</td><td class="num">${b.wouldRefuse}</td><td>${esc(b.note ?? '')}</td></tr>`,
    )
    .join('\n');
  return `${switchText}<table id="brownouts-table"><caption>Brownout windows, in UTC</caption>
<thead><tr><th scope="col">Start</th><th scope="col">End</th><th scope="col">Surfaces</th><th scope="col">Tasks</th><th scope="col">Resellers</th><th scope="col">Effect</th><th scope="col">When</th><th scope="col">Refused</th><th scope="col">Would refuse</th><th scope="col">Note</th></tr></thead>
<tbody>
${body}
</tbody></table>`;
}

/** A server-drawn trend line: one SVG polyline, labelled with the numbers it draws. */
function sparkline(daily: readonly number[]): string {
  const max = Math.max(1, ...daily);
  const width = 120;
  const height = 24;
  const step = daily.length > 1 ? width / (daily.length - 1) : 0;
  const points = daily.map((n, i) => `${(i * step).toFixed(1)},${(height - 2 - (n / max) * (height - 4)).toFixed(1)}`).join(' ');
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${sum(daily)} calls, at most ${Math.max(0, ...daily)} a day"><polyline points="${points}"/></svg>`;
}

const effect = (b: BrownoutView) =>
  b.dryRun ? 'dry run (counted, not refused)' : b.goneAfterSunset ? 'refused with 503, 410 after the sunset' : 'refused with 503';
const readiness = (ready: boolean) => (ready ? '<span class="badge ready">ready</span>' : '<span class="badge active">still calling</span>');
const taskLabel = (r: { surface: string; task: string }) => (r.surface === 'directory' ? `directory ${r.task || '(none)'}` : r.task || '(no task)');
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const instant = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** JSON inside `<script>`: `<` escaped so no value can close the element. */
const jsonForScript = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const STYLE = `
:root{--ink:#1b1f24;--muted:#4d5560;--line:#d8dde3;--bg:#f6f7f9;--card:#fff;--accent:#0b5cad;--ok:#116b2f;--okbg:#e3f4e8;--warn:#8a4b00;--warnbg:#fdf0dc;--bad:#a0141e}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px}
header{background:#fff;border-bottom:1px solid var(--line);padding:16px 24px 0}
h1{margin:0 0 4px;font-size:22px}header p{margin:0 0 8px;color:var(--muted)}
nav ul{display:flex;gap:20px;list-style:none;margin:0;padding:0 0 10px}nav a{color:var(--accent);text-decoration:none}nav a:hover{text-decoration:underline}
main{padding:16px 24px 48px;max-width:1400px}
section{margin:0 0 28px}h2{font-size:17px;margin:0 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.card h3{margin:0;font-size:13px;font-weight:600;color:var(--muted)}.card .figure{margin:4px 0 0;font-size:28px;font-weight:700}.card .detail{margin:0;color:var(--muted);font-size:13px}
.chart{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px;min-height:40px;margin-bottom:10px}
table{border-collapse:collapse;background:var(--card);border:1px solid var(--line);width:100%;font-size:14px}
caption{text-align:left;font-weight:600;padding:6px 0;color:var(--muted)}
th,td{padding:5px 9px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle;white-space:nowrap}
thead th{background:#eef1f4;font-weight:600}tbody tr:hover{background:#f3f6fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.days th,.days td{padding:4px 6px;font-size:13px}tfoot th,tfoot td{font-weight:700}
.scroll{overflow-x:auto}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600}
.badge.ready{background:var(--okbg);color:var(--ok)}.badge.active{background:var(--warnbg);color:var(--warn)}
tr.failed td{color:var(--bad)}
.spark polyline{fill:none;stroke:var(--accent);stroke-width:1.5}
abbr{text-decoration:none}
a{color:var(--accent)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
