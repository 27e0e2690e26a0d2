// Latency samples and their summary. A sorted array is exact and small enough here
// (at most a few tens of thousands of samples per arm).

export class Samples {
  private readonly latencies: number[] = [];
  ok = 0;
  errors = 0;
  /** Requests answered within the measured window (for throughput). */
  completedInWindow = 0;
  windowMs = 0;
  readonly errorKinds = new Map<string, number>();

  record(latencyMs: number, outcome: true | string, inWindow: boolean): void {
    this.latencies.push(latencyMs);
    if (outcome === true) {
      this.ok++;
      if (inWindow) this.completedInWindow++;
    } else {
      this.errors++;
      this.errorKinds.set(outcome, (this.errorKinds.get(outcome) ?? 0) + 1);
    }
  }

  merge(other: Samples): this {
    this.latencies.push(...other.latencies);
    this.ok += other.ok;
    this.errors += other.errors;
    this.completedInWindow += other.completedInWindow;
    this.windowMs += other.windowMs;
    for (const [kind, n] of other.errorKinds) this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + n);
    return this;
  }

  get count(): number {
    return this.latencies.length;
  }

  /** Successful answers per second of measured window. */
  get throughput(): number {
    return this.windowMs > 0 ? (this.completedInWindow * 1000) / this.windowMs : 0;
  }

  /** Nearest-rank percentile in ms (p in 0..100). */
  percentile(p: number): number {
    if (this.latencies.length === 0) return Number.NaN;
    const sorted = this.sorted();
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  }

  describeErrors(): string {
    return [...this.errorKinds].map(([kind, n]) => `${n}× ${kind}`).join(', ');
  }

  private sortedCache: number[] | undefined;
  private sorted(): number[] {
    if (this.sortedCache?.length !== this.latencies.length) this.sortedCache = [...this.latencies].sort((a, b) => a - b);
    return this.sortedCache;
  }
}
