// Option parsers and the table renderer: pure functions.
import { InvalidArgumentError } from 'commander';
import { describe, expect, test } from 'vitest';
import { parseChangeId, parseInstant, parseStatuses } from '../../src/cli/options.js';
import { instant, renderTable } from '../../src/cli/table.js';

describe('--now', () => {
  test.each([
    ['2031-01-15', '2031-01-15T00:00:00.000Z'],
    ['2031-01-15T00:00:00Z', '2031-01-15T00:00:00.000Z'],
    ['2031-01-15T10:30Z', '2031-01-15T10:30:00.000Z'],
    ['2031-01-15T01:00:00.250+02:00', '2031-01-14T23:00:00.250Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('%s is %s', (value, iso) => {
    expect(parseInstant(value).toISOString()).toBe(iso);
  });

  test.each(['tomorrow', '2031-1-15', '2031-01-15T10:00', '2023-02-29', '2031-13-01', '2031-01-15T24:00:00Z', '1736899200', ''])(
    '%j is refused with what is expected',
    (value) => {
      expect(() => parseInstant(value)).toThrow(InvalidArgumentError);
      expect(() => parseInstant(value)).toThrow(/2031-01-15/);
    },
  );
});

describe('--status', () => {
  test('a list, trimmed and deduplicated', () => {
    expect(parseStatuses('failed, pending,failed')).toEqual(['failed', 'pending']);
  });
  test('all', () => {
    expect(parseStatuses('all')).toEqual(['pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed']);
  });
  test.each(['done', 'pending,bogus', ',', ''])('%j is refused', (value) => {
    expect(() => parseStatuses(value)).toThrow(/Expected a comma-separated list/);
  });
});

test('--change takes a positive whole number', () => {
  expect(parseChangeId('42')).toBe(42);
  for (const bad of ['0', '-1', '1.5', 'x', '01']) expect(() => parseChangeId(bad)).toThrow(InvalidArgumentError);
});

describe('tables', () => {
  test('columns are aligned, empty cells are a dash, control characters cannot reach the terminal', () => {
    const text = renderTable(['ID', 'WHO', 'NOTE'], [
      [1, 'alice', 'line one\nline two\u001b[31m'],
      [22, null, ''],
    ]);
    expect(text).toBe(['ID  WHO    NOTE', '1   alice  line one line two [31m', '22  -      -', ''].join('\n'));
  });

  test('a change effective at midnight UTC shows the day alone', () => {
    expect(instant('2031-01-15T00:00:00.000Z')).toBe('2031-01-15');
    expect(instant('2031-01-15T00:10:00.000Z')).toBe('2031-01-15T00:10:00.000Z');
  });
});
