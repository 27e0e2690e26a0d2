// Prometheus metrics of the bridge (prom-client), served on the admin listener. Every label value
// comes from a fixed set written here or in code (route templates, v3 operation ids, statuses):
// never a user, customer, key or address, so no request can grow the series count.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { AttemptReport } from '../v3/options.js';
import { LEGACY_TASKS } from '../rules/deprecation.js';
import { USAGE_OUTCOMES } from '../rules/usage.js';

/** OpenTelemetry's default explicit bucket boundaries for `http.server.request.duration` (seconds). */
export const OTEL_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** The fields of the edge's RequestSummary the metrics read (see src/edge/request-summary.ts). */
export interface ObservedRequest {
  surface: 'apiv2' | 'directory' | 'probe' | 'other';
  route: string;
  method: string;
  task: string | undefined;
  format: 'json' | 'xml' | 'text';
  status: number;
  outcome: string;
  authFailure: string | undefined;
  durationMs: number;
}

/** The legacy tasks of both surfaces: the only task label values besides `none` and `unknown`. */
const TASK_LABELS = new Set(Object.values(LEGACY_TASKS).flat());
const OUTCOMES = new Set<string>(USAGE_OUTCOMES);
const AUTH_FAILURES = new Set(['unknown_user', 'wrong_credentials', 'throttled', 'busy', 'malformed']);
// OpenTelemetry's rule for http.request.method: known methods as they are, anything else `_OTHER`.
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

const bounded = (value: string | undefined, known: Set<string>, absent: string, other: string) =>
  value === undefined ? absent : known.has(value) ? value : other;
/** A status is a label only as a three-digit code; anything else is one value. */
const statusLabel = (status: number | undefined) => (status !== undefined && status >= 100 && status <= 599 ? String(Math.trunc(status)) : 'none');

export interface MetricsDeps {
  store: Store;
  now: () => Date;
  logger: Logger;
}

export class BridgeMetrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly legacyRequests: Counter<'surface' | 'task' | 'format' | 'outcome'>;
  private readonly authFailures: Counter<'surface' | 'reason'>;
  private readonly v3Duration: Histogram<'operation' | 'status'>;
  private readonly schedulerAttempts: Counter<'result'>;

  constructor(deps: MetricsDeps) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP server requests on the main port (OpenTelemetry http.server.request.duration).',
      labelNames: ['method', 'route', 'status'],
      buckets: OTEL_DURATION_BUCKETS,
      registers,
    });
    this.legacyRequests = new Counter({
      name: 'reseller_bridge_legacy_requests_total',
      help: 'Legacy requests answered (apiv2 and the directory endpoint), by task, format and outcome.',
      labelNames: ['surface', 'task', 'format', 'outcome'],
      registers,
    });
    this.authFailures = new Counter({
      name: 'reseller_bridge_authentication_failures_total',
      help: 'Failed authentications of legacy requests, by reason.',
      labelNames: ['surface', 'reason'],
      registers,
    });
    this.v3Duration = new Histogram({
      name: 'reseller_bridge_v3_request_duration_seconds',
      help: 'Duration of each HTTP attempt to the v3 API, by operation and status (none: no answer).',
      labelNames: ['operation', 'status'],
      buckets: OTEL_DURATION_BUCKETS,
      registers,
    });
    this.schedulerAttempts = new Counter({
      name: 'reseller_bridge_scheduler_attempts_total',
      help: 'Attempts of the scheduler to apply a due change, by result.',
      labelNames: ['result'],
      registers,
    });
    new WorkloadGauges(deps, registers);
  }

  observeRequest(request: ObservedRequest): void {
    const seconds = request.durationMs / 1000;
    this.httpDuration.observe({ method: bounded(request.method, METHODS, '_OTHER', '_OTHER'), route: request.route, status: statusLabel(request.status) }, seconds);
    if (request.surface !== 'apiv2' && request.surface !== 'directory') return;
    this.legacyRequests.inc({
      surface: request.surface,
      task: bounded(request.task, TASK_LABELS, 'none', 'unknown'),
      format: request.format,
      outcome: bounded(request.outcome, OUTCOMES, 'none', 'other'),
    });
    if (request.authFailure !== undefined)
      this.authFailures.inc({ surface: request.surface, reason: bounded(request.authFailure, AUTH_FAILURES, 'none', 'other') });
  }

  observeV3Attempt(report: AttemptReport): void {
    this.v3Duration.observe({ operation: report.operation, status: statusLabel(report.status) }, report.ms / 1000);
  }

  observeSchedulerAttempt(result: 'applied' | 'retried' | 'failed' | 'skipped'): void {
    this.schedulerAttempts.inc({ result });
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Read from the store on each scrape (never kept up to date by hand, so never stale). */
class WorkloadGauges {
  constructor({ store, now, logger }: MetricsDeps, registers: Registry[]) {
    // One read serves both gauges of a scrape.
    let reading: Promise<Awaited<ReturnType<Store['workload']>> | undefined> | undefined;
    const read = () =>
      (reading ??= store
        .workload(now())
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'metrics: the store did not answer; workload gauges left out of this scrape');
          return undefined;
        })
        .finally(() => setImmediate(() => (reading = undefined))));
    new Gauge({
      name: 'reseller_bridge_pending_changes',
      help: 'Scheduled changes listed in the store (pending, applying, failed).',
      labelNames: ['status'],
      registers,
      async collect() {
        const workload = await read();
        this.reset();
        if (!workload) return;
        for (const [status, count] of Object.entries(workload.listed)) this.set({ status }, count);
      },
    });
    new Gauge({
      name: 'reseller_bridge_oldest_due_change_age_seconds',
      help: 'How long the longest-waiting due pending change has been due (0 when none is due).',
      registers,
      async collect() {
        const workload = await read();
        this.reset();
        if (!workload) return;
        this.set(workload.oldestDueAt ? Math.max(0, (now().getTime() - workload.oldestDueAt.getTime()) / 1000) : 0);
      },
    });
  }
}
