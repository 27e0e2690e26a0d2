// What the scheduler child reports to the benchmark, on one stdout line
// (the bridge's own warnings may share stdout, hence the prefix).

export const RESULT_PREFIX = 'scheduler-bench-result ';

export interface SchedulerChildResult {
  seconds: number;
  /** CPU time (user + system) of the child during the pass, µs. */
  cpuMicros: number;
  pass: { claimed: number; applied: number; retried: number; failed: number; skipped: number };
  /** Changes the store holds as `applied` after the pass. */
  appliedInStore: number;
  /** Resident set once the bridge has started, before the pass: the baseline of the peak. */
  rssBeforePass: number;
  peakRss: number;
}
