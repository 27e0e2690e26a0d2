// Writes a legacy document as the client asked: `json` (also the default with no suffix) or `xml`.
// JSON and XML differ in more than syntax: XML wraps everything in `<result>`, lists pending
// changes under `<pending><user>` with `date` before the lists, and the overview under `<overview>`.
import { dryRunBody } from './dry-run.js';
import { OVERVIEW_FIELDS, type LegacyDocument, type Overview, type PendingEntry } from './document.js';
import { toJson } from './json.js';
import { list, record, type Tree, type TreeRecord } from './tree.js';
import { toXmlDocument } from './xml.js';

export type LegacyFormat = 'json' | 'xml';

export interface RenderedAnswer {
  body: Buffer;
  contentType: string;
}

export const JSON_CONTENT_TYPE = 'application/json';
export const XML_CONTENT_TYPE = 'text/xml; charset=ISO-8859-1';

export function render(doc: LegacyDocument, format: LegacyFormat): RenderedAnswer {
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
        ? list('user', doc.entries.map(pendingJson))
        : record(['pending', list('user', doc.entries.map(pendingXml))]);
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

/** Documented order whatever order the fields were given in; absent fields are left out. */
function overviewRecord(fields: Overview): TreeRecord {
  return record(
    ...OVERVIEW_FIELDS.flatMap((name) => {
      const value = fields[name];
      return value === undefined ? [] : [[name, value] as const];
    }),
  );
}
