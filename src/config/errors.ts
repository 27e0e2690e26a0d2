// Configuration problems phrased for an operator: which variable or file, which entry (by its
// name, not its position), and what is wrong, in plain words. Pure: tests drive it by table.
import type * as z from 'zod';

/** Every problem of one start-up, one line each (stderr, exit 2: no stack trace). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** How the entries of a list are named: `packages` → `package "Gold Package"`. */
export interface EntryNames {
  [list: string]: { singular: string; name: (entry: Record<string, unknown>) => string | undefined };
}

const quoted = (value: unknown) => JSON.stringify(value);

/** `package "Gold Package"`, or `package #2 (unnamed)` for an entry without its name. */
export function entryName(names: EntryNames, list: string, entry: unknown, position: number): string {
  const kind = names[list]!;
  const name = entry !== null && typeof entry === 'object' ? kind.name(entry as Record<string, unknown>) : undefined;
  return name !== undefined ? `${kind.singular} ${quoted(name)}` : `${kind.singular} #${position + 1} (unnamed)`;
}

/** The first present string field of an entry, for namers. */
export const firstString = (entry: Record<string, unknown>, ...keys: string[]): string | undefined =>
  keys.map((k) => entry[k]).find((v): v is string => typeof v === 'string' && v.trim() !== '');

/** One line per zod issue: `<source>: <entry>: <field> <problem>`, entries named by `names`. */
export function describeIssues(source: string, error: z.ZodError, input?: unknown, names: EntryNames = {}): string[] {
  return error.issues.map((issue) => {
    const where: string[] = [];
    let field: string[] = [];
    let node: unknown = input;
    issue.path.forEach((segment, i) => {
      const list = issue.path[i - 1];
      if (typeof segment === 'number' && typeof list === 'string' && names[list] && where.length === 0) {
        field.pop(); // the list's own key: the entry's name says which list
        where.push(entryName(names, list, (node as unknown[] | undefined)?.[segment], segment));
        if (field.length) where.unshift(field.join('.'));
        field = [];
      } else field.push(typeof segment === 'number' ? `#${segment + 1}` : String(segment));
      node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[segment as PropertyKey] : undefined;
    });
    const subject = field.length ? `${field.join('.')} ` : '';
    const problem = plainProblem(issue, node);
    return [source, ...where, `${subject}${problem}`].join(': ');
  });
}

const DEFAULT_MESSAGE = /^(Invalid|Too small|Too big|Unrecognized key)/;

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

const FORMATS: Record<string, string> = {
  ipv4: 'an IPv4 address',
  url: 'a URL',
  datetime: 'an ISO-8601 instant with offset (2031-01-15T00:00:00Z)',
  email: 'an email address',
};

/** A zod issue in plain words ("is required", "must be at least 1"), or the schema's own message. */
export function plainProblem(issue: z.core.$ZodIssue, value: unknown): string {
  if (!DEFAULT_MESSAGE.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? 'is required' : `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min <= 1 ? 'must not be empty' : `must be at least ${min} characters`;
      if (issue.origin === 'array') return min <= 1 ? 'must list at least one entry' : `must list at least ${min} entries`;
      return issue.inclusive === false ? `must be more than ${min}` : `must be at least ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `must be at most ${max} characters`;
      if (issue.origin === 'array') return `must list at most ${max} entries`;
      return issue.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
    }
    case 'invalid_format':
      return `must be ${FORMATS[issue.format] ?? `in the ${issue.format} format`}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${quoted(issue.values[0])}` : `must be one of ${issue.values.map(quoted).join(', ')}`;
    case 'unrecognized_keys':
      return `has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(quoted).join(', ')}`;
    default:
      return 'is not valid';
  }
}
