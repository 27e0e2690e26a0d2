// What every use case is built from, and the options every call of one takes.
import type { Mappings, ResellerMapping } from '../config/mappings.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { V3Api } from '../v3/api.js';

export interface CoreDeps {
  store: Store;
  mappings: Mappings;
  /** The v3 API bound to a reseller's key. */
  v3For(reseller: ResellerMapping): V3Api;
  /** The bridge's clock: scheduling dates and billing cycles (v3 deadlines always use real time). */
  now(): Date;
  logger: Logger;
  /** How long after its last attempt an unanswered write may still land (write-intents.ts; default 60 s). */
  writeGraceMs?: number | undefined;
  /** This process, as intents name their writer. */
  owner?: string | undefined;
}

export interface UseCaseOptions {
  /** Absolute ms (real time): no v3 attempt of this use case, including its lookups, starts after it. */
  deadline: number;
  /** Do the reads, write nothing to v3 or the store, and report the v3 writes it would send. */
  dryRun?: boolean | undefined;
}

/** A v3 call a use case would send (dry run): what an operator needs to see it exactly. */
export interface PlannedV3Call {
  method: 'PUT' | 'POST' | 'DELETE';
  path: string;
  body: unknown;
}
