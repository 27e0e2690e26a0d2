// Which HTTP status a legacy error is sent with (DESIGN.md §3, revised). The original server
// answered parameter, authentication and dispatcher errors with HTTP 200 and the error body, and
// clients depend on it; `http` mode sends the real status instead. Failures upstream keep their
// 5xx in both modes ("5XX - unsuccessful, retry later").
import type { ResellerMapping } from '../config/mappings.js';

export type LegacyStatusMode = 'original' | 'http';

/** 502/503/504: v3 failed or is unreachable; the client should retry later, whatever the mode. */
const UPSTREAM_STATUSES = new Set([502, 503, 504]);

export function sentStatus(mode: LegacyStatusMode, status: number): number {
  if (mode === 'http' || status < 400 || UPSTREAM_STATUSES.has(status)) return status;
  return 200;
}

/** The reseller's own setting, else the bridge's (`BRIDGE_LEGACY_STATUSES`); before authentication, the bridge's. */
export function statusModeOf(reseller: ResellerMapping | undefined, bridgeDefault: LegacyStatusMode): LegacyStatusMode {
  return reseller?.legacy_statuses ?? bridgeDefault;
}
