// GET /metrics: the Prometheus exposition of the bridge's metrics.
import { Router } from 'express';
import type { BridgeMetrics } from '../metrics/metrics.js';

export function metricsRouter(metrics: BridgeMetrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.exposition();
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(body);
  });
  return router;
}
