// Bearer keys: one per seeded reseller. The key identifies the reseller whose
// accounts the request may see; anything else is the spec's 401.
import type { SimulatorSeed } from '../config/mappings-schema.js';

export type KeyRing = ReadonlyMap<string, string>;

/** key → reseller `api_user`; `firstKeyOverride` replaces the first reseller's demo key. */
export function buildKeyRing(seed: SimulatorSeed, firstKeyOverride?: string): KeyRing {
  const ring = new Map<string, string>();
  seed.resellers.forEach((r, i) => {
    const key = i === 0 && firstKeyOverride ? firstKeyOverride : r.demo_key;
    if (ring.has(key)) throw new Error(`simulator seed: resellers ${ring.get(key)} and ${r.api_user} share one key`);
    ring.set(key, r.api_user);
  });
  return ring;
}

/** The reseller a request's `Authorization: Bearer <key>` header names, if any. */
export function authenticate(ring: KeyRing, authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ? ring.get(match[1]) : undefined;
}
