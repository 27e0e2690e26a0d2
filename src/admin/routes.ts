// The admin listener's routes, one router per concern; the listener's bearer check guards all of
// them. Add a concern here: its router, and what it needs in AdminDeps (filled by src/server.ts).
import { Router } from 'express';
import type { BridgeConfig } from '../config/config.js';
import type { BridgeMetrics } from '../metrics/metrics.js';
import { LISTED_STATUSES, type Store } from '../store/store.js';
import { metricsRouter } from './metrics-route.js';
import { openApiRouter } from './openapi-route.js';
import { brownoutCalendar } from './usage/calendar.js';
import { usageRoutes } from './usage/routes.js';

export interface AdminDeps {
  config: BridgeConfig;
  store: Store;
  /** The bridge's clock (the page's days and sunset readiness). */
  now: () => Date;
  metrics: BridgeMetrics;
}

export function adminRoutes(deps: AdminDeps): Router {
  const router = Router();
  router.use(metricsRouter(deps.metrics));
  router.use(openApiRouter());
  const { store } = deps;
  router.use(
    usageRoutes({
      ledger: store,
      scheduledChanges: () => store.listChanges({ statuses: [...LISTED_STATUSES] }),
      brownouts: async () => brownoutCalendar(await store.listBrownouts()),
      now: deps.now,
      options: { windowDays: 30, quietDays: deps.config.env.BRIDGE_SUNSET_QUIET_DAYS },
    }),
  );
  return router;
}
