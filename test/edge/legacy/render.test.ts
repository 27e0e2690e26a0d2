import { describe, expect, it } from 'vitest';
import { parseStringPromise } from 'xml2js';
import {
  errors,
  notFound,
  overview,
  pendingList,
  success,
  unauthorized,
  type LegacyDocument,
  type PendingEntry,
} from '../../../src/edge/legacy/document.js';
import { documentTree, render } from '../../../src/edge/legacy/render.js';
import { toJson } from '../../../src/edge/legacy/json.js';
import { toXmlDocument } from '../../../src/edge/legacy/xml.js';
import { XML_PROLOG } from '../../../src/edge/legacy/xml.js';
import { apiExamples, compactJson, compactXml, observedBody, readContract } from './contracts.js';

// The data behind the docs' examples; the expected text is always read from the docs themselves.
const DOC_PENDING: PendingEntry[] = [
  {
    username: 'user4',
    type: 'Account Upgrade',
    current: 'Main Reseller - Silver Package',
    update: 'Main Reseller - Gold Package',
    ip_groups: [],
    ips: ['255.255.255.0', '255.255.254.0'],
    date: '2010-09-30',
  },
  {
    username: 'user5',
    type: 'Account Downgrade',
    current: 'Main Reseller - Gold Package',
    update: 'Main Reseller - Basic Package',
    ip_groups: ['Reseller Group'],
    ips: [],
    date: '2010-10-07',
  },
];
const DOC_ERROR_JSON = errors(['...error messages...']);
const DOC_ERROR_XML = errors(['... error messages ...']);

/** What each example of the pending-changes pages answers on success. */
const SUCCESS_BY_EXAMPLE: Record<string, LegacyDocument> = {
  users: pendingList(DOC_PENDING),
  delete: success(),
  upgrade: success(),
  downgrade: success(),
  close: success(),
  sched: success(),
  scheddown: success(),
  schedclose: success(),
};

const text = (doc: LegacyDocument, format: 'json' | 'xml') => render(doc, format).body.toString('latin1');

describe('seed 003 (pending account changes, 2014-2017)', () => {
  const examples = apiExamples(readContract('seeds/003_7b30537831e4d720.txt'));

  it('has the examples this table expects', () => {
    expect([...examples.keys()]).toEqual(['users', 'delete', 'upgrade', 'downgrade', 'close', 'scheddown', 'schedclose']);
  });

  describe.each([...examples])('%s', (id, { json, xml }) => {
    const doc = SUCCESS_BY_EXAMPLE[id]!;

    it('JSON matches the example', () => {
      // The immediate_upgrade JSON example is the error placeholder (a doc bug): compare success
      // with the JSON success example the other tasks show.
      const expected = id === 'upgrade' ? examples.get('downgrade')!.json[0]! : json[0]!;
      expect(text(doc, 'json')).toBe(compactJson(expected));
    });

    it('XML matches the example, behind the prolog and one newline', () => {
      expect(text(doc, 'xml')).toBe(`${XML_PROLOG}\n${compactXml(xml[0]!)}`);
    });
  });

  it('the immediate_upgrade JSON example is still the error placeholder', () => {
    expect(text(DOC_ERROR_JSON, 'json')).toBe(compactJson(examples.get('upgrade')!.json[0]!));
  });
});

describe('2014-04 page (error examples and the XML prolog)', () => {
  const examples = apiExamples(readContract('legacy/history/2014-04_pending_account_changes_with_errors.html'));

  it('has every task, scheduled_upgrade included', () => {
    expect([...examples.keys()].sort()).toEqual(Object.keys(SUCCESS_BY_EXAMPLE).sort());
  });

  describe.each([...examples])('%s', (id, { json, xml }) => {
    const isError = (example: string) => example.includes('error messages');

    it.each(json.map((example, i) => [i, example] as const))('JSON example %i', (_i, example) => {
      const doc = isError(example) ? DOC_ERROR_JSON : SUCCESS_BY_EXAMPLE[id]!;
      expect(text(doc, 'json')).toBe(compactJson(example));
    });

    it.each(xml.map((example, i) => [i, example] as const))('XML example %i, prolog included', (_i, example) => {
      expect(compactXml(example)).toMatch(/^<\?xml version="1.0" encoding="ISO-8859-1"\?></);
      const doc = isError(example) ? DOC_ERROR_XML : SUCCESS_BY_EXAMPLE[id]!;
      expect(compactXml(text(doc, 'xml'))).toBe(compactXml(example));
    });
  });

  it('shows both a success and an error example per task in XML', () => {
    for (const { xml } of examples.values()) expect(xml).toHaveLength(2);
  });
});

describe('2012-12 page (compact answers on the wire)', () => {
  const page = readContract('legacy/history/2012-12_pending_account_changes.html');

  it('pending list JSON is the documented compact text, inside the array brackets the page left out', () => {
    const documented = page.split('\n').find((line) => line.startsWith('{"username":"user4"'))!;
    expect(text(pendingList(DOC_PENDING), 'json')).toBe(`[${documented}]`);
  });

  it('pending list XML parses to the same document (the page writes empty lists as start and end tags)', async () => {
    const documented = /<result><pending>.*<\/result>/.exec(page)![0];
    expect(await parseStringPromise(text(pendingList(DOC_PENDING), 'xml'))).toEqual(
      await parseStringPromise(documented),
    );
  });
});

describe('account overview', () => {
  const example = apiExamples(readContract('legacy/reseller_api/account_overview.md')).get('get')!;
  const fields = {
    reputation: '100',
    package: 'Silver Package',
    credits_allowed: '50000',
    credits_used: '100000',
    credits_remain: 0,
    credits_overage: '50000',
    billing_start_date: '2010-08-30',
    billing_end_date: '2010-09-29',
    billing_process_date: '2010-09-30',
  };

  // The page's JSON and XML disagree on `requests` (500000 / 50000); each is checked as written.
  it('JSON matches the example', () => {
    expect(text(overview({ ...fields, requests: '500000' }), 'json')).toBe(compactJson(example.json[0]!));
  });

  it('XML matches the example', () => {
    expect(text(overview({ ...fields, requests: '50000' }), 'xml')).toBe(`${XML_PROLOG}\n${compactXml(example.xml[0]!)}`);
  });

  it('keeps the documented order whatever the input order, and leaves out absent fields', () => {
    const doc = overview({ billing_process_date: '2024-03-01', package: 'Gold', credits_allowed: 100 });
    expect(text(doc, 'json')).toBe('{"package":"Gold","credits_allowed":100,"billing_process_date":"2024-03-01"}');
    expect(text(doc, 'xml')).toBe(
      `${XML_PROLOG}\n<result><overview><package>Gold</package><credits_allowed>100</credits_allowed>` +
        '<billing_process_date>2024-03-01</billing_process_date></overview></result>',
    );
  });
});

describe('recorded exchanges (legacy/observed)', () => {
  it.each([
    ['2014-01_customer.add_success.yml', success()],
    ['2014-01_customer.auth_bad_password.yml', errors(['Invalid username and/or password'])],
    ['2014-01_customer.apps_permission_denied.yml', { kind: 'fault', code: 401, message: 'Permission denied, not authorized' }],
    ['2012-07_customer.apps_permission_denied_gzip.yml', { kind: 'fault', code: 401, message: 'Permission denied, not authorized' }],
  ] satisfies [string, LegacyDocument][])('%s: same bytes', (file, doc) => {
    const observed = observedBody(`onehq_sendgrid_webapi/${file}`);
    expect(render(doc, 'json').body.equals(observed.body)).toBe(true);
  });

  it('uses the content type the JSON answers were sent with', () => {
    const observed = observedBody('onehq_sendgrid_webapi/2014-01_customer.add_success.yml');
    expect(render(success(), 'json').contentType).toBe(observed.contentType);
  });
});

describe('401 and 404', () => {
  const design = readContract('../DESIGN.md');

  it.each([
    [401, unauthorized()],
    [404, notFound()],
  ] as const)('%i JSON is the object DESIGN.md gives', (code, doc) => {
    expect(design).toContain(`\`${text(doc, 'json')}\``);
    expect(text(doc, 'json')).toContain(`{"error":{"code":${code},`);
  });

  it.each([
    [unauthorized(), '<result><error><code>401</code><message>Permission denied, wrong credentials</message></error></result>'],
    [notFound(), '<result><error><code>404</code><message>Not found</message></error></result>'],
  ])('XML wraps the object in <result>', (doc, expected) => {
    expect(text(doc, 'xml')).toBe(`${XML_PROLOG}\n${expected}`);
  });
});

describe('JSON', () => {
  it.each([
    ['slash', 'a/b', '"a\\/b"'],
    ['quote and backslash', 'say "\\"', '"say \\"\\\\\\""'],
    ['short escapes', '\b\f\n\r\t', '"\\b\\f\\n\\r\\t"'],
    ['other control characters, lowercase hex', '\u0001\u001f', '"\\u0001\\u001f"'],
    ['DEL stays as is', '\u007f', '"\u007f"'],
    ['Latin-1 as \\u', 'é', '"\\u00e9"'],
    ['BMP as \\u', '中', '"\\u4e2d"'],
    ['astral as a surrogate pair', '😀', '"\\ud83d\\ude00"'],
    ['HTML characters are not escaped', '<a>&\'', '"<a>&\'"'],
  ])('%s', (_name, input, expected) => {
    expect(text(errors([input]), 'json')).toBe(`{"message":"error","errors":[${expected}]}`);
  });

  it('is plain ASCII, with application/json', () => {
    const answer = render(errors(['é中😀']), 'json');
    expect([...answer.body].every((byte) => byte < 0x80)).toBe(true);
    expect(answer.contentType).toBe('application/json');
    expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ message: 'error', errors: ['é中😀'] });
  });

  it('writes empty lists as []', () => {
    expect(text(pendingList([]), 'json')).toBe('[]');
    expect(text(errors([]), 'json')).toBe('{"message":"error","errors":[]}');
  });
});

describe('XML', () => {
  const errorXml = (body: string) => `${XML_PROLOG}\n<result><message>error</message><errors>${body}</errors></result>`;

  it.each([
    ['é is one ISO-8859-1 byte', 'café', 'caf\u00e9'],
    ['above U+00FF: decimal reference', '中', '&#20013;'],
    ['astral: one reference for the code point', '😀', '&#128512;'],
    ['&, <, > escaped', 'a&b<c>d', 'a&amp;b&lt;c&gt;d'],
    ['quotes left alone', `"it's"`, `"it's"`],
    ['C0 controls dropped, tab/LF/CR kept', 'a\u0000b\u0001c\u000bd\u001fe\tf\ng\rh', 'abcde\tf\ng\rh'],
    ['U+FFFE, U+FFFF and lone surrogates dropped', 'a\ufffeb\uffffc\ud800d\udc00e', 'abcde'],
    ['DEL and C1 controls are legal XML 1.0 and kept', 'a\u007fb\u0085c', 'a\u007fb\u0085c'],
  ])('%s', (_name, input, expected) => {
    expect(text(errors([input]), 'xml')).toBe(errorXml(`<error>${expected}</error>`));
  });

  it('writes é as the single byte 0xE9', () => {
    const body = render(errors(['é']), 'xml').body;
    const at = body.indexOf('<error>') + '<error>'.length;
    expect([...body.subarray(at, at + 2)]).toEqual([0xe9, 0x3c]);
  });

  it('is declared ISO-8859-1 in the prolog and the content type', () => {
    const answer = render(success(), 'xml');
    expect(answer.contentType).toBe('text/xml; charset=ISO-8859-1');
    expect(answer.body.toString('latin1')).toBe(`${XML_PROLOG}\n<result><message>success</message></result>`);
  });

  it('writes empty lists and empty values as empty elements', () => {
    expect(text(pendingList([]), 'xml')).toBe(`${XML_PROLOG}\n<result><pending/></result>`);
    expect(text(errors([]), 'xml')).toBe(`${XML_PROLOG}\n<result><message>error</message><errors/></result>`);
    expect(text(errors(['']), 'xml')).toBe(errorXml('<error/>'));
  });

  it('parses back to the same text with an XML parser', async () => {
    const entry: PendingEntry = {
      username: 'zoë&<co>',
      type: 'Account Close',
      current: 'Réseau - 中 Package',
      update: 'Réseau - Free',
      ip_groups: ['a/b'],
      ips: [],
      date: '2024-02-29',
    };
    const body = render(pendingList([entry]), 'xml').body.toString('latin1');
    const parsed = await parseStringPromise(body);
    const user = parsed.result.pending[0].user[0];
    expect(user.username).toEqual([entry.username]);
    expect(user.current).toEqual([entry.current]);
    expect(user.ip_groups).toEqual([{ ip_group: ['a/b'] }]);
    expect(user.ips).toEqual(['']);
    expect(Object.keys(user)).toEqual(['username', 'type', 'current', 'update', 'date', 'ips', 'ip_groups']);
  });
});

describe('pending list written straight from its entries', () => {
  const entries: PendingEntry[] = [
    { username: 'zoë&<co>/x', type: 'Account Close', current: 'Réseau - 中 Package', update: '', ip_groups: ['a/b', ''], ips: [], date: '2024-02-29' },
    { username: 'u"\\2😀', type: 'Account Upgrade', current: 'R - Basic', update: 'R - Silver', ip_groups: [], ips: ['10.0.0.1', '10.0.0.2'], date: '2024-03-01' },
    { username: 'plain', type: 'Account Downgrade', current: 'R - Silver', update: 'R - Basic', ip_groups: [], ips: [], date: '2024-03-02' },
  ];

  it.each([[entries], [entries.slice(0, 1)], [[]]])('has the bytes of the document tree (%#)', (list) => {
    const doc = pendingList(list);
    expect(render(doc, 'json').body.equals(Buffer.from(toJson(documentTree(doc, 'json')), 'latin1'))).toBe(true);
    expect(render(doc, 'xml').body.equals(toXmlDocument(documentTree(doc, 'xml')))).toBe(true);
  });

  it('has the same bytes past its caches and its first Buffer: thousands of entries, distinct and shared values', () => {
    const shared = ['10.0.0.1', '10.0.0.2'];
    const many: PendingEntry[] = Array.from({ length: 3_000 }, (_, i) => ({
      username: i % 7 === 0 ? `u${i}&<"é/>` : `user${i}@example.com`,
      type: i % 2 ? 'Account Upgrade' : 'Account Downgrade',
      current: `R - Package ${i % 1_500}`,
      update: `R - Package ${(i + 1) % 1_500}`,
      ip_groups: i % 3 ? [] : ['Group'],
      ips: i % 5 ? shared : [`10.1.${i >> 8}.${i & 255}`],
      date: `2024-03-${String((i % 28) + 1).padStart(2, '0')}`,
    }));
    // A count below the entries' number: the writer grows past what it was told.
    const doc = pendingList(many, 10);
    expect(render(doc, 'json').body.equals(Buffer.from(toJson(documentTree(doc, 'json')), 'latin1'))).toBe(true);
    expect(render(doc, 'xml').body.equals(toXmlDocument(documentTree(doc, 'xml')))).toBe(true);
  });

  it('takes its entries lazily, walking them once', () => {
    for (const format of ['json', 'xml'] as const) {
      let walks = 0;
      const lazy = pendingList((function* () { walks++; yield* entries; })());
      expect(render(lazy, format).body.equals(render(pendingList(entries), format).body)).toBe(true);
      expect(walks).toBe(1);
    }
  });

  it('has the same bytes whatever count sizes its buffer, and with values repeated past the escape cache', () => {
    // 1,500 distinct dates and packages: more than the renderer keeps escapes for.
    const many = Array.from({ length: 1_500 }, (_, i) => ({ ...entries[i % 3]!, current: `R - P${i} & <co>`, date: `${2000 + i}-01-01` }));
    for (const format of ['json', 'xml'] as const)
      for (const count of [undefined, 0, 1, many.length, many.length * 4]) {
        const expected = format === 'json' ? Buffer.from(toJson(documentTree(pendingList(many), 'json')), 'latin1') : toXmlDocument(documentTree(pendingList(many), 'xml'));
        expect(render(pendingList(many, count), format).body.equals(expected)).toBe(true);
      }
  });

  it('grows its buffer past the first 16 KiB without losing bytes', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ ...entries[i % 3]!, username: `user${i}` }));
    const doc = pendingList(many);
    expect(render(doc, 'json').body.toString('latin1')).toBe(toJson(documentTree(doc, 'json')));
    expect(render(doc, 'xml').body.equals(toXmlDocument(documentTree(doc, 'xml')))).toBe(true);
  });
});
