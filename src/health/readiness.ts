// Readiness of the bridge, in the shape of the IETF health check draft (draft-inadarei-api-health-
// check: `status` pass/warn/fail, `checks` by "component:measurement"). The checks run at start
// and then in the background; a probe only reads the last results, so probing costs nothing
// upstream and a slow v3 never makes a probe slow.
import type { Logger } from '../log.js';

export type HealthStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  componentId: string;
  componentType?: string;
  status: HealthStatus;
  /** When the check ran (ISO 8601). */
  time: string;
  observedValue?: number;
  observedUnit?: string;
  /** Why it is not `pass`: names the component, its variable, what to fix. Never a secret. */
  output?: string;
}

export interface HealthReport {
  status: HealthStatus;
  /** The failing checks' outputs, one line each. */
  output?: string;
  checks: Record<string, CheckResult[]>;
}

/** A named check: "component:measurement" → the results of one run (several for a check per reseller). */
export type Checks = Record<string, () => Promise<CheckResult[]>>;

export interface ReadinessOptions {
  intervalMs: number;
  logger: Logger;
}

export class Readiness {
  private results: Record<string, CheckResult[]> | undefined;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private draining = false;

  constructor(
    private readonly checks: Checks,
    private readonly options: ReadinessOptions,
  ) {}

  /** Runs the checks now, then every `intervalMs`. */
  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Readiness fails from now on: the bridge is shutting down. */
  drain(): void {
    this.draining = true;
  }

  /** Runs every check once (a run already going is joined, not repeated). */
  refresh(): Promise<void> {
    this.running ??= this.runChecks().finally(() => (this.running = undefined));
    return this.running;
  }

  report(): HealthReport {
    const checks: Record<string, CheckResult[]> = { ...(this.results ?? {}) };
    if (!this.results) checks['readiness:checked'] = [{ componentId: 'bridge', status: 'fail', time: new Date().toISOString(), output: 'not checked yet' }];
    if (this.draining) checks['bridge:shutdown'] = [{ componentId: 'bridge', status: 'fail', time: new Date().toISOString(), output: 'shutting down' }];
    const all = Object.values(checks).flat();
    const failing = all.filter((c) => c.status !== 'pass' && c.output).map((c) => c.output!);
    const status: HealthStatus = all.some((c) => c.status === 'fail') ? 'fail' : all.some((c) => c.status === 'warn') ? 'warn' : 'pass';
    return { status, ...(failing.length ? { output: failing.join('; ') } : {}), checks };
  }

  private async runChecks(): Promise<void> {
    const entries = await Promise.all(
      Object.entries(this.checks).map(async ([name, check]) => {
        try {
          return [name, await check()] as const;
        } catch (error) {
          // A check that throws is a failing check, not a broken probe.
          const output = `${name}: ${error instanceof Error ? error.message : String(error)}`;
          return [name, [{ componentId: name, status: 'fail' as const, time: new Date().toISOString(), output }]] as const;
        }
      }),
    );
    const previous = this.results;
    this.results = Object.fromEntries(entries);
    this.logChanges(previous);
  }

  /** One log line when a check starts or stops failing, not one per run. */
  private logChanges(previous: Record<string, CheckResult[]> | undefined): void {
    const failing = (results: Record<string, CheckResult[]> | undefined) =>
      new Set(Object.values(results ?? {}).flat().filter((c) => c.status === 'fail').map((c) => c.output ?? c.componentId));
    const before = failing(previous);
    const now = failing(this.results);
    for (const output of now) if (!before.has(output)) this.options.logger.warn({ check: output }, 'readiness check failing');
    for (const output of before) if (!now.has(output)) this.options.logger.info({ check: output }, 'readiness check passing again');
  }
}
