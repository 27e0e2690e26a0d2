// Reads a legacy request as an integrator pastes it — a query string, a URL, or a curl command
// line copied from a script — into the parts the edge would see: method, path, raw query, body
// fields and headers. Pure: a body given as `@file` is not read, it is reported.
import { parse as parseShell } from 'shell-quote';
import { parseFormPairs, type FormPair } from '../legacy/index.js';

export interface LegacyRequest {
  method: string;
  /** The path, `/apiv2/reseller.account.json`; empty for a bare query string. */
  path: string;
  /** Everything after `?`, undecoded, as the edge's normaliser reads it. */
  rawQuery: string;
  /** Body fields, decoded, in the order sent. */
  body: FormPair[];
  /** Header names in lower case. */
  headers: Record<string, string>;
}

export type ParsedLegacyRequest = { ok: true; request: LegacyRequest } | { ok: false; problem: string };

export function parseLegacyRequest(input: string): ParsedLegacyRequest {
  const text = input.trim();
  if (text === '') return { ok: false, problem: 'nothing to explain: give a query string, a URL or a curl command line' };
  if (/^curl(\s|$)/.test(text)) return parseCurl(text);
  return { ok: true, request: { method: 'GET', ...splitTarget(text), body: [], headers: {} } };
}

/** `[scheme://host]/path?query#fragment`, or a bare `a=1&b=2` query string. */
function splitTarget(target: string): { path: string; rawQuery: string } {
  let rest = target.replace(/#.*$/, '');
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest);
  const hostless = scheme ? rest.slice(scheme[0].length) : rest;
  const looksLikeUrl = scheme !== null || /^[^/?=&]+(:\d+)?\//.test(hostless) || hostless.startsWith('/');
  if (!looksLikeUrl) return { path: '', rawQuery: rest.replace(/^\?/, '') };
  rest = hostless.startsWith('/') ? hostless : hostless.slice(Math.max(0, hostless.search(/[/?]/)));
  if (!rest.startsWith('/') && !rest.startsWith('?')) rest = '/';
  const mark = rest.indexOf('?');
  return mark === -1 ? { path: rest, rawQuery: '' } : { path: rest.slice(0, mark), rawQuery: rest.slice(mark + 1) };
}

// curl options that take a value; every other option is a flag that changes nothing here.
const VALUE_OPTIONS = new Map<string, string>([
  ['-d', 'data'], ['--data', 'data'], ['--data-ascii', 'data'], ['--data-raw', 'data-raw'],
  ['--data-binary', 'data'], ['--data-urlencode', 'data-urlencode'], ['-F', 'form'], ['--form', 'form'],
  ['--form-string', 'form-string'], ['-H', 'header'], ['--header', 'header'], ['-X', 'request'],
  ['--request', 'request'], ['--url', 'url'], ['--json', 'json'],
  ['-u', 'ignore'], ['--user', 'ignore'], ['-o', 'ignore'], ['--output', 'ignore'], ['-w', 'ignore'],
  ['--write-out', 'ignore'], ['-m', 'ignore'], ['--max-time', 'ignore'], ['-A', 'ignore'],
  ['--user-agent', 'ignore'], ['-e', 'ignore'], ['--referer', 'ignore'], ['-b', 'ignore'], ['--cookie', 'ignore'],
  ['-c', 'ignore'], ['--cookie-jar', 'ignore'], ['--connect-timeout', 'ignore'], ['--retry', 'ignore'],
  ['-x', 'ignore'], ['--proxy', 'ignore'], ['--resolve', 'ignore'], ['--cacert', 'ignore'], ['-E', 'ignore'], ['--cert', 'ignore'],
]);
const SHORT_VALUE_LETTERS = new Set([...VALUE_OPTIONS.keys()].filter((k) => /^-[a-zA-Z]$/.test(k)).map((k) => k[1]!));

interface CurlParts {
  method: string | undefined;
  url: string | undefined;
  data: string[];
  form: FormPair[];
  headers: Record<string, string>;
  get: boolean;
}

function parseCurl(text: string): ParsedLegacyRequest {
  // Variables stay as written ($SENDGRID_API_KEY): explaining never reads the environment.
  const parsed = parseShell(text.replace(/\\\r?\n/g, ' '), (name) => `$${name}`);
  // An unquoted `?` or `*` is a glob to the shell, which matches no file and stays as written.
  const words = parsed.map((word) => (typeof word === 'object' && 'op' in word && word.op === 'glob' ? word.pattern : word));
  const parts: CurlParts = { method: undefined, url: undefined, data: [], form: [], headers: {}, get: false };
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (typeof word !== 'string') {
      if ('comment' in word) break;
      return { ok: false, problem: 'give one curl command, without pipes, redirections or other commands' };
    }
    if (word === '-G' || word === '--get') parts.get = true;
    else if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const [name, inline] = eq === -1 ? [word, undefined] : [word.slice(0, eq), word.slice(eq + 1)];
      const kind = VALUE_OPTIONS.get(name);
      if (kind === undefined) continue;
      const value = inline ?? words[++i];
      if (typeof value !== 'string') return { ok: false, problem: `curl option ${name} needs a value` };
      const problem = applyOption(parts, kind, value);
      if (problem) return { ok: false, problem };
    } else if (word.startsWith('-') && word.length > 1) {
      // Short flags combine (`-sS`, `-sg`); a letter taking a value takes the rest of the word or the next one.
      for (let j = 1; j < word.length; j++) {
        const letter = word[j]!;
        if (letter === 'G') parts.get = true;
        if (!SHORT_VALUE_LETTERS.has(letter)) continue;
        const value = j + 1 < word.length ? word.slice(j + 1) : words[++i];
        if (typeof value !== 'string') return { ok: false, problem: `curl option -${letter} needs a value` };
        const problem = applyOption(parts, VALUE_OPTIONS.get(`-${letter}`)!, value);
        if (problem) return { ok: false, problem };
        break;
      }
    } else if (parts.url === undefined) parts.url = word;
    else return { ok: false, problem: `one URL per curl command: "${word}" is a second one` };
  }
  if (parts.url === undefined) return { ok: false, problem: 'the curl command has no URL' };

  const target = splitTarget(parts.url);
  const data = parts.data.join('&');
  const rawQuery = parts.get && data ? [target.rawQuery, data].filter(Boolean).join('&') : target.rawQuery;
  const body = parts.get ? [...parts.form] : [...parseFormPairs(data), ...parts.form];
  const sendsBody = !parts.get && (parts.data.length > 0 || parts.form.length > 0);
  return {
    ok: true,
    request: { method: (parts.method ?? (sendsBody ? 'POST' : 'GET')).toUpperCase(), path: target.path, rawQuery, body, headers: parts.headers },
  };
}

function applyOption(parts: CurlParts, kind: string, value: string): string | undefined {
  switch (kind) {
    case 'data':
    case 'data-raw':
      if (kind === 'data' && value.startsWith('@')) return `the body ${value} is read from a file: paste its content with -d instead`;
      parts.data.push(value);
      return undefined;
    case 'data-urlencode':
      return dataUrlencode(parts, value);
    case 'form':
    case 'form-string': {
      const eq = value.indexOf('=');
      if (eq <= 0) return `-F ${value} is not name=value`;
      const content = value.slice(eq + 1);
      if (kind === 'form' && (content.startsWith('@') || content.startsWith('<')))
        return `the form field ${value.slice(0, eq)} is read from a file: give its value instead`;
      parts.form.push([value.slice(0, eq), content.replace(/;type=[^;]*$/, '')]);
      return undefined;
    }
    case 'header': {
      const colon = value.indexOf(':');
      if (colon > 0) parts.headers[value.slice(0, colon).trim().toLowerCase()] = value.slice(colon + 1).trim();
      return undefined;
    }
    case 'request':
      parts.method = value;
      return undefined;
    case 'url':
      parts.url = value;
      return undefined;
    case 'json':
      return 'the legacy API reads form fields, not JSON: send the parameters with -d';
    default:
      return undefined;
  }
}

/** curl's `--data-urlencode` forms: `content`, `=content`, `name=content` (`@file` forms are files). */
function dataUrlencode(parts: CurlParts, value: string): string | undefined {
  const eq = value.indexOf('=');
  const at = value.indexOf('@');
  if (at !== -1 && (eq === -1 || at < eq)) return `--data-urlencode ${value} is read from a file: give its content instead`;
  if (eq === -1) parts.data.push(encodeURIComponent(value));
  else if (eq === 0) parts.data.push(encodeURIComponent(value.slice(1)));
  else parts.data.push(`${value.slice(0, eq)}=${encodeURIComponent(value.slice(eq + 1))}`);
  return undefined;
}

