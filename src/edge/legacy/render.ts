// Writes a legacy document as the client asked: `json` (also the default with no suffix) or `xml`.
// JSON and XML differ in more than syntax: XML wraps everything in `<result>`, lists pending
// changes under `<pending><user>` with `date` before the lists, and the overview under `<overview>`.
import { dryRunBody } from './dry-run.js';
import { OVERVIEW_FIELDS, type LegacyDocument, type Overview, type PendingEntry } from './document.js';
import { jsonString, toJson } from './json.js';
import { list, record, type Tree, type TreeRecord } from './tree.js';
import { toXmlDocument, XML_PROLOG, xmlText } from './xml.js';

export type LegacyFormat = 'json' | 'xml';

export interface RenderedAnswer {
  body: Buffer;
  contentType: string;
}

export const JSON_CONTENT_TYPE = 'application/json';
export const XML_CONTENT_TYPE = 'text/xml; charset=ISO-8859-1';

export function render(doc: LegacyDocument, format: LegacyFormat): RenderedAnswer {
  // The one answer that can hold 10,000 entries is written straight from them, without a tree
  // of ~15 objects per entry; the bytes are those of documentTree (render.test.ts compares).
  if (doc.kind === 'pending')
    return format === 'xml'
      ? { body: pendingXmlBytes(doc.entries, doc.count), contentType: XML_CONTENT_TYPE }
      : { body: pendingJsonBytes(doc.entries, doc.count), contentType: JSON_CONTENT_TYPE };
  if (format === 'xml') return { body: toXmlDocument(documentTree(doc, 'xml')), contentType: XML_CONTENT_TYPE };
  // toJson escapes everything outside ASCII, so latin1 (the faster copy) gives the same bytes.
  return { body: Buffer.from(toJson(documentTree(doc, 'json')), 'latin1'), contentType: JSON_CONTENT_TYPE };
}

/** The tree of a document; for XML, the content of `<result>`. */
export function documentTree(doc: LegacyDocument, format: LegacyFormat): Tree {
  switch (doc.kind) {
    case 'success':
      return record(['message', 'success']);
    case 'errors':
      return record(['message', 'error'], ['errors', list('error', doc.errors)]);
    case 'fault':
      return record(['error', record(['code', doc.code], ['message', doc.message])]);
    case 'pending':
      return format === 'json'
        ? list('user', Array.from(doc.entries, pendingJson))
        : record(['pending', list('user', Array.from(doc.entries, pendingXml))]);
    case 'overview':
      return format === 'json' ? overviewRecord(doc.overview) : record(['overview', overviewRecord(doc.overview)]);
    case 'dry_run':
      return treeOf(dryRunBody(doc.plan), 'item');
  }
}

/** A JSON value as a tree; a list's XML items are named after its field (`offerings` → `offering`). */
function treeOf(value: unknown, item: string): Tree {
  if (Array.isArray(value)) return list(item, value.map((v) => treeOf(v, 'item')));
  if (value !== null && typeof value === 'object')
    return record(...Object.entries(value).map(([name, v]) => [name, treeOf(v, singular(name))] as const));
  return typeof value === 'number' ? value : String(value);
}

const singular = (name: string) => ({ v3_reads: 'call', v3_writes: 'call', bridge_keeps: 'item' })[name] ?? (name.endsWith('s') ? name.slice(0, -1) : 'item');

function pendingJson(entry: PendingEntry): TreeRecord {
  return record(
    ['username', entry.username],
    ['type', entry.type],
    ['current', entry.current],
    ['update', entry.update],
    ['ip_groups', list('ip_group', entry.ip_groups)],
    ['ips', list('ip', entry.ips)],
    ['date', entry.date],
  );
}

function pendingXml(entry: PendingEntry): TreeRecord {
  return record(
    ['username', entry.username],
    ['type', entry.type],
    ['current', entry.current],
    ['update', entry.update],
    ['date', entry.date],
    ['ips', list('ip', entry.ips)],
    ['ip_groups', list('ip_group', entry.ip_groups)],
  );
}

/**
 * Latin-1 bytes appended to one Buffer that grows as it fills: each entry's text is garbage as
 * soon as it is copied, so a large answer leaves no long-lived string (nor a rope to flatten).
 * `expected` sizes it up front when the caller can tell (a list's length), so 10,000 entries are
 * not copied through nine doublings.
 */
class Latin1Writer {
  private buffer: Buffer;
  private length = 0;

  constructor(expected = 0) {
    this.buffer = Buffer.allocUnsafe(Math.max(16 * 1024, expected));
  }

  /** Text not copied yet: entries are copied some 16 KiB at a time, not one call each. */
  private pending = '';

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= 16 * 1024) this.flush();
  }

  bytes(): Buffer {
    this.flush();
    return this.buffer.subarray(0, this.length);
  }

  private flush(): void {
    const text = this.pending;
    this.pending = '';
    // Every character is one byte in latin1, so text.length bounds what it takes.
    if (this.length + text.length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + text.length));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(text, this.length, 'latin1');
  }
}

/** About what one entry takes (the bench's entries: 198 bytes in JSON, 237 in XML); a guess only, the writer grows past it. */
const ENTRY_BYTES = 256;
/** Distinct values a list's escapes are kept for: types, packages and dates repeat; usernames do not and are never cached. */
const MAX_CACHED = 1024;

/**
 * A value's escaped form, kept for the rest of one answer: a list's types, packages and dates
 * take a handful of values over thousands of entries, so each is escaped (and tested) once.
 */
function cachedEscape(escape: (value: string) => string): (value: string) => string {
  const cache = new Map<string, string>();
  return (value) => {
    let escaped = cache.get(value);
    if (escaped === undefined) {
      escaped = escape(value);
      if (cache.size < MAX_CACHED) cache.set(value, escaped);
    }
    return escaped;
  };
}

const jsonStrings = (items: readonly string[]): string => {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += (i ? ',' : '') + jsonString(items[i]!);
  return `${out}]`;
};

function pendingJsonBytes(entries: Iterable<PendingEntry>, count: number | undefined): Buffer {
  const out = new Latin1Writer((count ?? 0) * ENTRY_BYTES);
  const repeated = cachedEscape(jsonString);
  let separator = '[';
  for (const e of entries) {
    out.write(
      `${separator}{"username":${jsonString(e.username)},"type":${repeated(e.type)},"current":${repeated(e.current)},` +
        `"update":${repeated(e.update)},"ip_groups":${jsonStrings(e.ip_groups)},"ips":${jsonStrings(e.ips)},"date":${repeated(e.date)}}`,
    );
    separator = ',';
  }
  out.write(separator === '[' ? '[]' : ']');
  return out.bytes();
}

const xmlValue = (tag: string, value: string): string => {
  const escaped = xmlText(value);
  return escaped === '' ? `<${tag}/>` : `<${tag}>${escaped}</${tag}>`;
};

const xmlValues = (tag: string, item: string, items: readonly string[]): string => {
  if (items.length === 0) return `<${tag}/>`;
  let out = `<${tag}>`;
  for (const value of items) out += xmlValue(item, value);
  return `${out}</${tag}>`;
};

function pendingXmlBytes(entries: Iterable<PendingEntry>, count: number | undefined): Buffer {
  const out = new Latin1Writer((count ?? 0) * ENTRY_BYTES);
  const type = cachedEscape((value) => xmlValue('type', value));
  const current = cachedEscape((value) => xmlValue('current', value));
  const update = cachedEscape((value) => xmlValue('update', value));
  const date = cachedEscape((value) => xmlValue('date', value));
  out.write(`${XML_PROLOG}\n<result>`);
  let empty = true;
  for (const e of entries) {
    out.write(
      `${empty ? '<pending>' : ''}<user>${xmlValue('username', e.username)}${type(e.type)}${current(e.current)}` +
        `${update(e.update)}${date(e.date)}${xmlValues('ips', 'ip', e.ips)}${xmlValues('ip_groups', 'ip_group', e.ip_groups)}</user>`,
    );
    empty = false;
  }
  out.write(empty ? '<pending/></result>' : '</pending></result>');
  return out.bytes();
}

/** Documented order whatever order the fields were given in; absent fields are left out. */
function overviewRecord(fields: Overview): TreeRecord {
  return record(
    ...OVERVIEW_FIELDS.flatMap((name) => {
      const value = fields[name];
      return value === undefined ? [] : [[name, value] as const];
    }),
  );
}
