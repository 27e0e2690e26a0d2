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
 * Latin-1 bytes appended to one Buffer that grows as it fills, written a character or a byte at a
 * time: a list's entries are never made into strings (nor into a rope of 10,000 of them to
 * flatten), its repeated parts are copied from bytes made once. `expected` sizes the Buffer up
 * front when the caller can tell (a list's length), so 10,000 entries are not copied through nine
 * doublings.
 */
class Latin1Bytes {
  private buffer: Buffer;
  private length = 0;

  constructor(expected = 0) {
    this.buffer = Buffer.allocUnsafe(Math.max(16 * 1024, expected));
  }

  /** Text whose every character is below U+0100 (escaped already): one byte each. */
  text(text: string): void {
    const n = text.length;
    const buffer = this.room(n);
    let at = this.length;
    for (let i = 0; i < n; i++) buffer[at++] = text.charCodeAt(i);
    this.length = at;
  }

  chunk(bytes: Uint8Array): void {
    const n = bytes.length;
    const buffer = this.room(n);
    buffer.set(bytes, this.length);
    this.length += n;
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private room(n: number): Buffer {
    if (this.length + n > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    return this.buffer;
  }
}

/** About what one entry takes (the bench's entries: 198 bytes in JSON, 237 in XML); a guess only, the writer grows past it. */
const ENTRY_BYTES = 256;
/** Distinct values a list's escapes are kept for: types, packages and dates repeat; usernames do not and are never cached. */
const MAX_CACHED = 1024;
const latin1 = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/**
 * A value's bytes, kept for the rest of one answer: a list's types, packages, dates and IP lists
 * take a handful of values over thousands of entries, so each is escaped (and tested) once. IP
 * lists are kept by identity (a listing shares one array between the entries that have the same).
 */
function cachedBytes<K>(make: (value: K) => string): (value: K) => Uint8Array {
  const cache = new Map<K, Uint8Array>();
  return (value) => {
    let bytes = cache.get(value);
    if (bytes === undefined) {
      bytes = latin1(make(value));
      if (cache.size < MAX_CACHED) cache.set(value, bytes);
    }
    return bytes;
  };
}

/** An IP or group list's bytes: the empty one (most entries) made once, the others kept by identity. */
function listBytes(make: (items: readonly string[]) => string): (items: readonly string[]) => Uint8Array {
  const empty = latin1(make([]));
  const cached = cachedBytes(make);
  return (items) => (items.length === 0 ? empty : cached(items));
}

const jsonStrings = (items: readonly string[]): string => {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += (i ? ',' : '') + jsonString(items[i]!);
  return `${out}]`;
};

// The two formats' writers are written out side by side rather than driven by one table of parts:
// a loop over per-part closures (one call site for seven functions) cost 7-18% more CPU per list of
// 10,000 in one run (benchmark 2, both builds side by side).
const JSON_FIRST = latin1('[{"username":');
const JSON_NEXT = latin1(',{"username":');

function pendingJsonBytes(entries: Iterable<PendingEntry>, count: number | undefined): Buffer {
  const out = new Latin1Bytes((count ?? 0) * ENTRY_BYTES);
  const type = cachedBytes((value: string) => `,"type":${jsonString(value)}`);
  const current = cachedBytes((value: string) => `,"current":${jsonString(value)}`);
  const update = cachedBytes((value: string) => `,"update":${jsonString(value)}`);
  const groups = listBytes((items) => `,"ip_groups":${jsonStrings(items)}`);
  const ips = listBytes((items) => `,"ips":${jsonStrings(items)}`);
  const date = cachedBytes((value: string) => `,"date":${jsonString(value)}}`);
  let first = true;
  for (const e of entries) {
    out.chunk(first ? JSON_FIRST : JSON_NEXT);
    out.text(jsonString(e.username));
    out.chunk(type(e.type));
    out.chunk(current(e.current));
    out.chunk(update(e.update));
    out.chunk(groups(e.ip_groups));
    out.chunk(ips(e.ips));
    out.chunk(date(e.date));
    first = false;
  }
  out.text(first ? '[]' : ']');
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

const XML_FIRST = latin1('<pending><user>');
const XML_NEXT = latin1('<user>');
const XML_END_USER = latin1('</user>');

function pendingXmlBytes(entries: Iterable<PendingEntry>, count: number | undefined): Buffer {
  const out = new Latin1Bytes((count ?? 0) * ENTRY_BYTES);
  const type = cachedBytes((value: string) => xmlValue('type', value));
  const current = cachedBytes((value: string) => xmlValue('current', value));
  const update = cachedBytes((value: string) => xmlValue('update', value));
  const date = cachedBytes((value: string) => xmlValue('date', value));
  const ips = listBytes((items) => xmlValues('ips', 'ip', items));
  const groups = listBytes((items) => xmlValues('ip_groups', 'ip_group', items));
  out.text(`${XML_PROLOG}\n<result>`);
  let empty = true;
  for (const e of entries) {
    out.chunk(empty ? XML_FIRST : XML_NEXT);
    out.text(xmlValue('username', e.username));
    out.chunk(type(e.type));
    out.chunk(current(e.current));
    out.chunk(update(e.update));
    out.chunk(date(e.date));
    out.chunk(ips(e.ips));
    out.chunk(groups(e.ip_groups));
    out.chunk(XML_END_USER);
    empty = false;
  }
  out.text(empty ? '<pending/></result>' : '</pending></result>');
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
