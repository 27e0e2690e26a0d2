// Scrapes the admin listener's /metrics and reads it through a maintained parser of the
// Prometheus text format (not our own), so what a Prometheus server would see is what is tested.
import parsePrometheusTextFormat, { type Family, type Sample } from 'parse-prometheus-text-format';
import { expect } from 'vitest';

export interface Scrape {
  families: Map<string, Family>;
  /** A counter's or gauge's value, or a histogram's count, of the series with exactly these labels (0 if absent). */
  value(name: string, labels?: Record<string, string>): number;
  /** A histogram's bucket boundaries (`le`), in order, for the series with these labels. */
  buckets(name: string, labels: Record<string, string>): string[];
  /** Every label value of every series. */
  labelValues(): string[];
}

export async function scrape(adminUrl: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await fetch(`${adminUrl}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  // The parser folds the series of a labelled histogram into one (1.1.1 keeps labels only for
  // unlabelled ones): read histograms a second time untyped, where every `_bucket`, `_sum` and
  // `_count` line is a sample of its own with its labels (a name's lines may come as several families).
  const untypedText = text.replace(/^# TYPE \S+ histogram$/gm, '');
  const samples = new Map<string, Sample[]>();
  for (const family of parsePrometheusTextFormat(untypedText)) samples.set(family.name, [...(samples.get(family.name) ?? []), ...family.metrics]);
  const histograms = new Set([...families.values()].filter((f) => f.type === 'HISTOGRAM').map((f) => f.name));
  const sameLabels = (sample: Sample, labels: Record<string, string>) => {
    const own = sample.labels ?? {};
    return Object.keys(own).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => own[k] === v);
  };
  const find = (name: string, labels: Record<string, string>) => samples.get(name)?.find((m) => sameLabels(m, labels));
  return {
    families,
    value: (name, labels = {}) => Number(find(histograms.has(name) ? `${name}_count` : name, labels)?.value ?? 0),
    buckets: (name, labels) =>
      (samples.get(`${name}_bucket`) ?? []).filter((m) => sameLabels(m, { ...labels, le: m.labels?.le ?? '' })).map((m) => m.labels!.le!),
    labelValues: () => [...samples.values()].flatMap((metrics) => metrics.flatMap((m) => Object.values(m.labels ?? {}))),
  };
}
