// The admin listener's routes, one router per concern; the listener's bearer check guards all of
// them. Add a concern here: its router, and what it needs in AdminDeps (filled by src/server.ts).
import { Router } from 'express';
import type { BridgeConfig } from '../config/config.js';
import type { Store } from '../store/store.js';

export interface AdminDeps {
  config: BridgeConfig;
  store: Store;
}

export function adminRoutes(_deps: AdminDeps): Router {
  const router = Router();
  return router;
}
