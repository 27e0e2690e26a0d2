// Brownouts as the edge sees them: a synchronous decision per request from a cache of the
// store's windows and switch, refreshed every `refreshMs` (so an operator's change takes
// effect on every instance within a second, without a restart). Windows matched are counted
// per window and the counts written with the next refresh.
import type { Logger } from '../log.js';
import { decideBrownout, type BrownoutDecision, type BrownoutHits, type BrownoutState } from '../rules/brownout.js';
import { isPastSunset, signalFor, type DeprecationSignals, type LegacySurface } from '../rules/deprecation.js';
import type { Store } from '../store/store.js';

/** The store operations the gate needs. */
export type BrownoutGateStore = Pick<Store, 'brownoutState' | 'countBrownoutHits'>;

export interface BrownoutGateOptions {
  store: BrownoutGateStore;
  signals: DeprecationSignals;
  now: () => Date;
  logger: Logger;
  refreshMs?: number;
}

export const DEFAULT_BROWNOUT_REFRESH_MS = 500;
const PASS: BrownoutDecision = { kind: 'pass' };

export class BrownoutGate {
  private state: BrownoutState = { enabled: true, windows: [] };
  private hits = new Map<number, BrownoutHits>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly options: BrownoutGateOptions) {}

  async start(): Promise<void> {
    await this.refresh().catch((error: unknown) => this.options.logger.warn({ err: error }, 'brownout windows not read at start-up; retried every refresh'));
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.options.refreshMs ?? DEFAULT_BROWNOUT_REFRESH_MS);
    this.timer.unref();
  }

  /** On the request's path: a pure decision on the cached windows, counted. */
  decide(request: { surface: LegacySurface; task: string | undefined; reseller: string }): BrownoutDecision {
    if (!this.state.windows.length) return PASS; // the usual case: nothing to look up per request
    const at = this.options.now();
    const pastSunset = isPastSunset(signalFor(this.options.signals, request.surface, request.task), at);
    const decision = decideBrownout(this.state, at, { ...request, pastSunset });
    if (decision.kind !== 'pass') {
      const id = decision.window.id;
      const hits = this.hits.get(id) ?? { windowId: id, refused: 0, wouldRefuse: 0 };
      if (decision.kind === 'refuse') hits.refused += 1;
      else hits.wouldRefuse += 1;
      this.hits.set(id, hits);
    }
    return decision;
  }

  /**
   * Writes the counts so far and reads the windows and the switch, one refresh at a time. A call
   * while one runs waits for the next, which starts after it: joining the running one would leave
   * out what was counted since it started (lost at close()).
   */
  refresh(): Promise<void> {
    if (this.queued) return this.queued; // not started yet: it takes every count made before it starts
    if (!this.refreshing) {
      this.refreshing = this.refreshOnce().finally(() => {
        this.refreshing = undefined;
      });
      return this.refreshing;
    }
    this.queued = this.refreshing
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.refresh();
      });
    return this.queued;
  }

  private async refreshOnce(): Promise<void> {
    const hits = [...this.hits.values()];
    this.hits = new Map();
    if (hits.length) {
      try {
        await this.options.store.countBrownoutHits(hits);
      } catch (error) {
        for (const h of hits) {
          const now = this.hits.get(h.windowId) ?? { windowId: h.windowId, refused: 0, wouldRefuse: 0 };
          this.hits.set(h.windowId, { windowId: h.windowId, refused: now.refused + h.refused, wouldRefuse: now.wouldRefuse + h.wouldRefuse });
        }
        this.options.logger.warn({ err: error }, 'brownout counts not written; retried with the next refresh');
      }
    }
    this.state = await this.options.store.brownoutState(this.options.now());
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.refresh().catch(() => undefined);
  }
}
