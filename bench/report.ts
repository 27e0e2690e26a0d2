// Plain-text tables and number formats for the benchmark report.

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export const ms = (value: number) => (Number.isNaN(value) ? '-' : `${value.toFixed(value < 10 ? 2 : 1)} ms`);
export const signedMs = (value: number) => `${value >= 0 ? '+' : ''}${ms(value)}`;
export const perSecond = (value: number) => `${value.toFixed(0)}/s`;
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
export const micros = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)} µs` : '-');
export const ratio = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '-');
/** A ratio as `ratio` shows it, or to three decimals where two would hide which side of `limit` it is on (1.203 against 1.2). */
export const ratioAgainst =
  (limit: number) =>
  (value: number): string =>
    Number.isFinite(value) && value !== limit && value.toFixed(2) === limit.toFixed(2) ? value.toFixed(3) : ratio(value);
export const count = (value: number) => value.toLocaleString('en-US');
export const verdict = (met: boolean) => (met ? 'met' : 'NOT MET');

/**
 * A target's verdict for `value` (an upper bound; `atLeast`: a lower one); when missed, it names
 * the references (the floors) that miss it too: what no bridge doing as much as they do could meet.
 */
export function verdictAgainst(
  value: number,
  limit: number,
  references: { name: string; value: number }[],
  shown: (value: number) => string,
  bound: 'atMost' | 'atLeast' = 'atMost',
): string {
  const meets = (v: number) => (bound === 'atMost' ? v <= limit : v >= limit);
  const met = meets(value);
  const missedToo = met ? [] : references.filter((reference) => !meets(reference.value));
  return missedToo.length ? `${verdict(met)}; missed too by: ${missedToo.map((r) => `${r.name} ${shown(r.value)}`).join(', ')}` : verdict(met);
}

export function section(title: string): void {
  process.stdout.write(`\n## ${title}\n\n`);
}

export function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}
