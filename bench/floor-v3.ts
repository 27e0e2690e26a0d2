// The floors' v3 calls (bench/floor.ts, bench/drain-floor.ts): undici's Pool with the bridge's own
// settings (src/v3/options.ts defaults) and the three calls of a package change, nothing else.
import { Pool } from '../src/v3/undici-pool.js';
import type { Offering } from '../src/v3/schemas.js';

export interface FloorV3 {
  /** GET state and GET offerings in parallel; `after` is `offering` as the package with the add-ons kept. */
  read(accountId: string, offering: string): Promise<{ before: Offering[]; after: Offering[] }>;
  put(accountId: string, offerings: Offering[]): Promise<void>;
  close(): Promise<void>;
}

export function floorV3(origin: string, apiKey: string): FloorV3 {
  const pool = new Pool(origin, { connections: 32, connect: { timeout: 2_000 }, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const headers = { accept: 'application/json', authorization: `Bearer ${apiKey}` };
  const getJson = async (path: string): Promise<unknown> => {
    const answer = await pool.request({ method: 'GET', path, headers });
    if (answer.statusCode !== 200) {
      await answer.body.dump();
      throw new Error(`GET ${path}: ${answer.statusCode}`);
    }
    return answer.body.json();
  };
  const base = (accountId: string) => `/v3/partners/accounts/${accountId}`;
  return {
    async read(accountId, offering) {
      const [, current] = (await Promise.all([getJson(`${base(accountId)}/state`), getJson(`${base(accountId)}/offerings`)])) as [unknown, { offerings: Offering[] }];
      return { before: current.offerings, after: [{ name: offering, type: 'package', quantity: 1 }, ...current.offerings.filter((o) => o.type === 'addon')] };
    },
    async put(accountId, offerings) {
      const answer = await pool.request({ method: 'PUT', path: `${base(accountId)}/offerings`, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ offerings }) });
      await answer.body.dump();
      if (answer.statusCode !== 200) throw new Error(`PUT: ${answer.statusCode}`);
    },
    close: () => pool.close(),
  };
}
