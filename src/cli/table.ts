// Plain aligned text tables for the human output (`--json` is the machine format).

export type Cell = string | number | null | undefined;

/** Control characters (from upstream error messages, say) would garble or drive the terminal. */
const printable = (cell: Cell): string =>
  cell === null || cell === undefined || cell === '' ? '-' : String(cell).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');

export function renderTable(headers: string[], rows: Cell[][]): string {
  const text = [headers, ...rows.map((row) => row.map(printable))];
  const widths = headers.map((_, i) => Math.max(...text.map((row) => [...(row[i] ?? '')].length)));
  return text
    .map((row) =>
      row
        .map((cell = '', i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

export const list = (values: readonly string[]): string => values.join(', ');

/** Changes take effect at 00:00 UTC: show the day alone then, the full instant otherwise. */
export const instant = (iso: string | null): string | null =>
  iso && iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
