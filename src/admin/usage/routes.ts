// The operator page and the ledger exports on the admin listener (behind its bearer check):
// `/` the page, `/ledger.csv`, `/ledger.json`, and the page's assets, served by the bridge itself
// so the page works without a network.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Router, type Response } from 'express';
import type { LedgerReader } from '../../store/ledger.js';
import type { PendingChange } from '../../store/store.js';
import { OPERATOR_PAGE_SCRIPT } from './browser-script.js';
import { ledgerCsv, ledgerJson } from './export.js';
import { ASSET_PATHS, renderOperatorPage, type BrownoutCalendar } from './page.js';
import { readUsageReport } from './read.js';
import type { UsageOptions } from './report.js';

export interface UsageDeps {
  ledger: LedgerReader;
  /** Pending, applying and failed scheduled changes. */
  scheduledChanges(): Promise<PendingChange[]>;
  brownouts(): Promise<BrownoutCalendar>;
  now(): Date;
  options: UsageOptions;
}

/** The JSON export's daily counts reach back this far (the ledger keeps at least as much). */
const EXPORT_DAYS = 90;
const require = createRequire(import.meta.url);

export function usageRoutes(deps: UsageDeps): Router {
  const router = Router();
  // uPlot's files are found now (a missing one fails start-up) but read for each request: an idle
  // sidecar does not hold the operator page's 53 KB of chart library.
  const assets = new Map<string, { type: string; body: () => Promise<string | Buffer> }>([
    [`/${ASSET_PATHS.uplotJs}`, { type: 'text/javascript; charset=utf-8', body: fromFile(require.resolve('uplot/dist/uPlot.iife.min.js')) }],
    [`/${ASSET_PATHS.uplotCss}`, { type: 'text/css; charset=utf-8', body: fromFile(require.resolve('uplot/dist/uPlot.min.css')) }],
    [`/${ASSET_PATHS.pageJs}`, { type: 'text/javascript; charset=utf-8', body: async () => OPERATOR_PAGE_SCRIPT }],
  ]);

  router.get('/', async (req, res) => {
    const focus = typeof req.query.reseller === 'string' ? req.query.reseller : undefined;
    const page = typeof req.query.page === 'string' && /^[1-9]\d{0,6}$/.test(req.query.page) ? Number(req.query.page) : 1;
    const now = deps.now();
    const [report, changes, brownouts] = await Promise.all([readUsageReport(deps.ledger, now, deps.options), deps.scheduledChanges(), deps.brownouts()]);
    noStore(res).type('text/html; charset=utf-8').send(renderOperatorPage({ report, changes, brownouts, focus, page }));
  });

  router.get('/ledger.csv', async (_req, res) => {
    const entries = await deps.ledger.ledgerEntries();
    attachment(noStore(res), `ledger-${stamp(deps.now())}.csv`).type('text/csv; charset=utf-8').send(ledgerCsv(entries));
  });

  router.get('/ledger.json', async (_req, res) => {
    const now = deps.now();
    const since = new Date(now.getTime() - (EXPORT_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const [entries, days] = await Promise.all([deps.ledger.ledgerEntries(), deps.ledger.ledgerDays({ since })]);
    attachment(noStore(res), `ledger-${stamp(now)}.json`).json(ledgerJson(entries, days, now));
  });

  for (const [path, asset] of assets)
    router.get(path, (_req, res, next) => {
      asset.body().then((body) => void res.type(asset.type).setHeader('Cache-Control', 'public, max-age=3600').send(body), next);
    });
  return router;
}

const noStore = (res: Response) => res.setHeader('Cache-Control', 'no-store');
const attachment = (res: Response, name: string) => res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
const stamp = (now: Date) => now.toISOString().slice(0, 10);

function fromFile(path: string): () => Promise<Buffer> {
  statSync(path);
  return () => readFile(path);
}
