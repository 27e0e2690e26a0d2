// The probes on the main port: /livez (the process serves), /readyz (the last background checks),
// /healthz (the documented summary, unchanged). Liveness and readiness answer
// application/health+json; none of them calls the store or v3 itself.
import { Router, type Response } from 'express';
import type { BridgeConfig } from '../../config/config.js';
import type { HealthReport } from '../../health/readiness.js';

export interface ProbeDeps {
  config: BridgeConfig;
  storeKind: string;
  readiness: { report(): HealthReport };
}

export const PROBE_ROUTES = ['/livez', '/readyz', '/healthz'] as const;

export function probesRouter(deps: ProbeDeps): Router {
  const router = Router();
  router.get('/livez', (_req, res) => sendHealth(res, { status: 'pass' }));
  router.get('/readyz', (_req, res) => sendHealth(res, deps.readiness.report()));
  router.get('/healthz', (_req, res) => {
    const { upstream } = deps.config;
    res.json({ status: 'ok', upstream: upstream.kind === 'simulator' ? 'simulator' : upstream.url, store: deps.storeKind });
  });
  return router;
}

function sendHealth(res: Response, report: Partial<HealthReport> & Pick<HealthReport, 'status'>): void {
  res.status(report.status === 'fail' ? 503 : 200);
  res.setHeader('Content-Type', 'application/health+json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(report));
}
