// The ways of changing a customer's package that the first benchmark compares: a legacy
// `immediate_*` task (through the bridge, or the floor forwarder), and the same v3 calls sent directly.
// All walk the same customers, flipping each between Basic and Silver, so every
// request is a real change upstream.
import { Pool } from 'undici';
import { KEPT_ADDON, LOWER, MAIN_RESELLER, UPPER, type BenchCustomer, type BenchPackage } from './world.js';
import type { Operation } from './load.js';

/** Sockets from the load generator to each target: enough for the open loop's bursts. */
const CONNECTIONS = 64;

interface Turn {
  customer: BenchCustomer;
  from: BenchPackage;
  to: BenchPackage;
  /** Records the outcome; the customer is free for another request afterwards. */
  done(succeeded: boolean): void;
}

/**
 * Hands out customers round robin, never one that has a request in flight (two changes of
 * one customer at once would race), and remembers each one's package to pick the next move.
 */
export class CustomerRotation {
  private readonly current: Map<string, BenchPackage>;
  private readonly busy = new Set<string>();
  private next = 0;

  constructor(private readonly customers: readonly BenchCustomer[]) {
    this.current = new Map(customers.map((c) => [c.username, c.startsOn]));
  }

  take(): Turn | undefined {
    for (let tried = 0; tried < this.customers.length; tried++) {
      const customer = this.customers[this.next]!;
      this.next = (this.next + 1) % this.customers.length;
      if (this.busy.has(customer.username)) continue;
      this.busy.add(customer.username);
      const from = this.current.get(customer.username)!;
      const to = from === LOWER ? UPPER : LOWER;
      return {
        customer,
        from,
        to,
        done: (succeeded) => {
          this.busy.delete(customer.username);
          if (succeeded) this.current.set(customer.username, to);
        },
      };
    }
    return undefined;
  }
}

export interface Arm {
  name: string;
  operation: Operation;
  close(): Promise<void>;
}

function armOver(name: string, pool: Pool, rotation: CustomerRotation, change: (turn: Turn) => Promise<true | string>): Arm {
  return {
    name,
    operation: async () => {
      const turn = rotation.take();
      if (!turn) return 'every customer busy';
      let outcome: true | string = 'request threw';
      try {
        outcome = await change(turn);
        return outcome;
      } finally {
        turn.done(outcome === true);
      }
    },
    close: () => pool.close(),
  };
}

/** A legacy task: POST /apiv2/reseller.account.json, immediate_upgrade or immediate_downgrade (to the bridge or the floor). */
export function legacyImmediateArm(name: string, url: string, rotation: CustomerRotation): Arm {
  const pool = new Pool(url, { connections: CONNECTIONS });
  return armOver(name, pool, rotation, async ({ customer, to }) => {
    const form = new URLSearchParams({
      api_user: MAIN_RESELLER.apiUser,
      api_key: MAIN_RESELLER.password,
      task: to === UPPER ? 'immediate_upgrade' : 'immediate_downgrade',
      user: customer.username,
      package: to.name,
    });
    const answer = await pool.request({
      method: 'POST',
      path: '/apiv2/reseller.account.json',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const body = await answer.body.text();
    return answer.statusCode === 200 && body === '{"message":"success"}' ? true : `HTTP ${answer.statusCode} ${body.slice(0, 120)}`;
  });
}

interface OfferingsBody {
  offerings: { name: string; type: string; quantity?: number }[];
}

/** What the bridge sends, sent directly by the load generator: GET state and offerings in parallel, then PUT offerings. */
export function directV3Arm(simulatorUrl: string, rotation: CustomerRotation): Arm {
  const pool = new Pool(simulatorUrl, { connections: CONNECTIONS });
  const headers = { authorization: `Bearer ${MAIN_RESELLER.v3Key}`, accept: 'application/json' };
  const get = async (path: string) => {
    const answer = await pool.request({ method: 'GET', path, headers });
    if (answer.statusCode !== 200) {
      await answer.body.dump();
      throw new Error(`GET ${answer.statusCode}`);
    }
    return answer.body.json();
  };
  return armOver('direct v3', pool, rotation, async ({ customer, to }) => {
    const base = `/v3/partners/accounts/${customer.accountId}`;
    const [state, current] = (await Promise.all([get(`${base}/state`), get(`${base}/offerings`)])) as [{ state: string }, OfferingsBody];
    if (state.state !== 'activated') return `account ${state.state}`;
    // Target package plus the current add-ons, as the bridge computes it.
    const offerings = [{ name: to.offering, type: 'package', quantity: 1 }, ...current.offerings.filter((o) => o.type === 'addon')];
    const answer = await pool.request({
      method: 'PUT',
      path: `${base}/offerings`,
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ offerings }),
    });
    const written = (await answer.body.json()) as OfferingsBody;
    if (answer.statusCode !== 200) return `PUT ${answer.statusCode}`;
    return written.offerings.some((o) => o.name === to.offering && o.type === 'package') && written.offerings.some((o) => o.name === KEPT_ADDON)
      ? true
      : 'PUT answered other offerings';
  });
}
