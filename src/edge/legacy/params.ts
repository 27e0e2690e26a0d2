// The legacy parameter normaliser: reads the raw query string and the body fields the way the
// original PHP server built `$_REQUEST`, so every spelling an old client used still means the same.
//
// Rules (PHP's, unless marked "ours"):
// - a name is cut at a NUL byte, leading spaces are dropped, and ` ` and `.` before the first
//   `[` become `_` (`ip group[]` is `ip_group[]`); an empty name is ignored;
// - `name[]` appends, `name[key]` sets that key (any key; order is the order sent, and a repeated
//   key keeps its first position and takes the later value), `name[a][b]` nests; a `[` with no
//   closing `]` is not an index: it becomes `_` with the rest of the name (`ip[0` is `ip_0`);
//   text after a `]` that does not start another `[` is ignored (`ip[0]x` is `ip[0]`);
// - a later plain `name=v` replaces anything sent before under that name, and a later `name[]`
//   replaces an earlier plain value: the last form sent wins;
// - ours: for the list parameters `ip` and `ip_group`, a plain `ip=a` counts as `ip[]=a`, so the
//   repeated-key style of non-PHP clients builds a list, and all forms mix into one list in order;
// - a bracketed form of any other parameter leaves PHP an array where the call wants a string:
//   `get()` answers undefined for it and the name is listed in `malformed`, so the route can
//   say so instead of guessing (an `ip` element that is itself an array is treated the same way);
// - body over query, per top-level name (ours, a simplification: PHP merges two arrays index by
//   index, which never is what a client sending IPs in both places meant).
import { parseFormPairs, type BodyFields } from './form-pairs.js';

export type { BodyFields } from './form-pairs.js';

export const LIST_PARAMS = ['ip', 'ip_group'] as const;
export type ListParam = (typeof LIST_PARAMS)[number];

export interface LegacyParams {
  /**
   * The value of a single-valued parameter; undefined when absent or sent in bracketed form.
   * `ip` and `ip_group` are always lists: read them with `list()`.
   */
  get(name: string): string | undefined;
  /** The values of `ip` or `ip_group`, in the order sent; empty when absent. */
  list(name: ListParam): readonly string[];
  /** Whether the parameter was sent at all, in any form. */
  has(name: string): boolean;
  /** Parameters sent in a shape the call cannot use (a bracketed scalar, a nested list element). */
  readonly malformed: readonly string[];
}

export function normaliseParams(rawQuery: string, body: BodyFields | undefined): LegacyParams {
  const merged = new Map(collectVariables(parseFormPairs(rawQuery)).entries);
  for (const [name, value] of collectVariables(body ?? []).entries) merged.set(name, value);
  return paramsView(merged);
}

type PhpValue = string | PhpArray;

/** An ordered PHP array: updating a key keeps its position; `[]` appends at the next integer key. */
class PhpArray {
  readonly entries = new Map<string, PhpValue>();
  private nextIndex = 0;

  append(value: PhpValue): void {
    this.entries.set(String(this.nextIndex), value);
    this.nextIndex++;
  }

  set(key: string, value: PhpValue): void {
    if (INTEGER_KEY.test(key)) {
      const index = Number(key);
      if (Number.isSafeInteger(index) && index >= this.nextIndex) this.nextIndex = index + 1;
    }
    this.entries.set(key, value);
  }

  /** The array under `key` (or appended, for null), replacing a plain value found there. */
  arrayAt(key: string | null): PhpArray {
    const existing = key === null ? undefined : this.entries.get(key);
    if (existing instanceof PhpArray) return existing;
    const created = new PhpArray();
    if (key === null) this.append(created);
    else this.set(key, created);
    return created;
  }
}

/** PHP turns canonical decimal strings into integer keys; only those move the next index. */
const INTEGER_KEY = /^(0|-?[1-9][0-9]*)$/;

/** A parsed variable name: the top-level name and its bracket indices (null: `[]`, append). */
export interface VariablePath {
  name: string;
  indices: (string | null)[];
}

/** PHP's `php_register_variable_ex` name handling; undefined for a name PHP ignores. */
export function parseVariableName(raw: string): VariablePath | undefined {
  const nul = raw.indexOf('\0');
  const text = (nul === -1 ? raw : raw.slice(0, nul)).replace(/^ +/, '');
  const open = text.indexOf('[');
  const name = (open === -1 ? text : text.slice(0, open)).replace(/[ .]/g, '_');
  if (name === '') return undefined;
  if (open === -1) return { name, indices: [] };

  const indices: (string | null)[] = [];
  let bracket = open;
  for (;;) {
    const indexStart = bracket + 1;
    // PHP skips one space before checking for `[]`, but keeps it in a real index.
    const probe = text[indexStart] === ' ' ? indexStart + 1 : indexStart;
    let close: number;
    if (text[probe] === ']') {
      indices.push(null);
      close = probe;
    } else {
      close = text.indexOf(']', probe);
      if (close === -1) {
        if (indices.length > 0) break; // an unclosed nested index is dropped
        return { name: `${name}_${text.slice(indexStart).replace(/[ .[]/g, '_')}`, indices: [] };
      }
      indices.push(text.slice(indexStart, close));
    }
    if (text[close + 1] !== '[') break;
    bracket = close + 1;
  }
  return { name, indices };
}

function collectVariables(pairs: BodyFields): PhpArray {
  const table = new PhpArray();
  for (const [rawName, value] of pairs) {
    const path = parseVariableName(rawName);
    if (path === undefined) continue;
    const indices = path.indices.length === 0 && isListParam(path.name) ? [null] : path.indices;
    assign(table, path.name, indices, value);
  }
  return table;
}

function assign(table: PhpArray, name: string, indices: readonly (string | null)[], value: string): void {
  const last = indices.at(-1);
  if (last === undefined) {
    table.set(name, value);
    return;
  }
  let container = table.arrayAt(name);
  for (const index of indices.slice(0, -1)) container = container.arrayAt(index);
  if (last === null) container.append(value);
  else container.set(last, value);
}

function isListParam(name: string): name is ListParam {
  return (LIST_PARAMS as readonly string[]).includes(name);
}

function paramsView(values: ReadonlyMap<string, PhpValue>): LegacyParams {
  const scalars = new Map<string, string>();
  const lists = new Map<ListParam, readonly string[]>();
  const malformed: string[] = [];
  for (const [name, value] of values) {
    if (isListParam(name)) {
      const items = value instanceof PhpArray ? [...value.entries.values()] : [value];
      const strings = items.filter((item): item is string => typeof item === 'string');
      if (strings.length !== items.length) malformed.push(name);
      lists.set(name, Object.freeze(strings));
    } else if (typeof value === 'string') {
      scalars.set(name, value);
    } else {
      malformed.push(name);
    }
  }
  return Object.freeze({
    get: (name: string) => scalars.get(name),
    list: (name: ListParam) => lists.get(name) ?? EMPTY,
    has: (name: string) => values.has(name),
    malformed: Object.freeze(malformed),
  });
}

const EMPTY: readonly string[] = Object.freeze([]);
