// Property-based tests of the edge (fast-check, seeded): thousands of generated requests across
// both surfaces — every method, query / urlencoded / multipart / JSON / chunked / raw bodies,
// bracket forms, duplicate keys, invalid UTF-8 and ISO-8859-1 bytes, NUL, CR/LF, long values, many
// fields, odd paths and escapes. Properties: the process answers every request; every answer is
// in a legacy shape matching its surface and suffix; no 500 for anything a client caused; and a
// rejected request changes nothing (the simulator's write counter and the store unchanged).
//
// PROPERTY_SEED=<n> replays a run; PROPERTY_RUNS=<n> changes its size; PROPERTY_REPORT=1 prints
// the count of answers by status.
import { Agent, request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEMO, useTestBridge } from '../helpers/bridge.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_201);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 5_000);
const TOKEN = 'aaaabbbbccccddddeeeeffff11112222';

// ---------------------------------------------------------------- generators

/** Bytes as a client may send them: ASCII, ISO-8859-1, UTF-8 (valid or cut), NUL, CR/LF. */
const textBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom('caf\u00e9', 'M\u00fcller', '\u20ac', '\u{1f600}', 'a\u0000b', 'line\r\nInjected: 1', '', ' ').map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)), // anything, invalid UTF-8 included
  fc.constantFrom(Buffer.from([0xe9]), Buffer.from([0xe2, 0x82]), Buffer.from([0xff, 0xfe])),
  fc.integer({ min: 1, max: 9_000 }).map((n) => Buffer.alloc(n, 0x61)), // long values
);

const NAMES = [
  'api_user', 'api_key', 'task', 'user', 'package', 'ip', 'ip_group', 'type', 'username',
  'package_name', 'edit_tags', 'external_subscription_params', 'add_sms_credits', 'delete_sms_credits', 'x',
];
const name: fc.Arbitrary<string> = fc.tuple(
  fc.oneof(fc.constantFrom(...NAMES), fc.stringMatching(/^[a-z_ .\[\]]{0,8}$/)),
  fc.constantFrom('', '', '', '[]', '[0]', '[1]', '[k]', '[a][b]', '[', ']', '[]x'),
).map(([base, bracket]) => base + bracket);

const VALUES = [
  'immediate_upgrade', 'immediate_downgrade', 'immediate_close', 'scheduled_upgrade', 'scheduled_downgrade',
  'scheduled_close', 'overview', 'list', 'delete', 'constructor', '__proto__', 'user4', 'user5',
  'customer@example.com', 'nobody', 'Basic Package', 'Silver Package', 'Gold Package', 'Nope Package',
  '255.255.255.0', '255.255.254.0', '10.0.0.1', 'Reseller Group', 'platinum20', 'business20', 'plan=gold', '0', '5', '-1',
];
const value: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VALUES).map((v) => Buffer.from(v, 'latin1')) },
  { weight: 2, arbitrary: textBytes },
);

type Pair = [Buffer, Buffer];
const pairs = (max: number): fc.Arbitrary<Pair[]> =>
  fc.array(fc.tuple(name.map((n) => Buffer.from(n, 'latin1')), value), { maxLength: max });

/** The credentials are few on purpose: a fresh wrong password costs an scrypt hash each time. */
const CREDENTIALS: { pairs: [string, string][]; header?: string }[] = [
  { pairs: [['api_user', DEMO.apiUser], ['api_key', DEMO.password]] },
  { pairs: [['api_user', DEMO.secondApiUser], ['api_key', DEMO.secondPassword]] },
  { pairs: [['api_user', DEMO.apiUser], ['api_key', 'wrong-password']] },
  { pairs: [['api_user', DEMO.apiUser], ['api_key', `${DEMO.password}\u0000`]] },
  { pairs: [['api_user', 'nobody'], ['api_key', 'whatever']] },
  { pairs: [['api_user', 'apikey'], ['api_key', DEMO.key]] },
  { pairs: [['api_user', 'apikey'], ['api_key', 'SG.wrong']] },
  { pairs: [], header: `Bearer ${DEMO.key}` },
  { pairs: [], header: 'Bearer SG.wrong' },
  { pairs: [], header: `Token token="${TOKEN}"` },
  { pairs: [], header: 'Token token="ffffffffffffffffffffffffffffffff"' },
  { pairs: [], header: 'Token' },
  { pairs: [] },
];

/** Percent-encodes every byte outside the unreserved set, sometimes `+` for a space, sometimes leaving a bare `%`. */
function encode(bytes: Buffer, style: number): string {
  let out = '';
  for (const b of bytes) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e || b === 0x5f || b === 0x2d) out += String.fromCharCode(b);
    else if (b === 0x20 && style === 1) out += '+';
    else if (b === 0x25 && style === 2) out += '%'; // a bare %, kept literally by PHP's rules
    else out += `%${b.toString(16).padStart(2, style === 3 ? '0' : '0').toUpperCase()}`;
  }
  return out;
}
const form = (list: Pair[], style: number) => list.map(([k, v]) => `${encode(k, style)}=${encode(v, style)}`).join('&');

const SEGMENTS = [
  'reseller.account', 'reseller.account.json', 'reseller.account.xml', 'reseller.pending.json', 'reseller.pending.xml',
  'reseller.account.csv', 'reseller.invoice.json', '%ZZ', 'reseller.account.xml%', 'reseller.account%E2.xml', 'reseller.%61ccount.json',
  'reseller.account.json%00', 'reseller.account.XML', '', '..', 'reseller.account.json/extra',
];
const BUSINESSES = ['88pzdbz1hmkdoel4', '5econdb1zbus1ness', 'n0such6us1ness00', '%ZZ', '%E2', '', 'a%2Fb'];

type Surface = 'apiv2' | 'directory' | 'other';
interface Generated {
  surface: Surface;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  chunked: boolean;
}

const apiv2Path = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SEGMENTS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z0-9._%~-]{0,24}$/) },
);
const path: fc.Arbitrary<{ surface: Surface; path: string }> = fc.oneof(
  { weight: 6, arbitrary: apiv2Path.map((p) => ({ surface: 'apiv2' as const, path: `/apiv2/${p}` })) },
  {
    weight: 3,
    arbitrary: fc
      .oneof(fc.constantFrom(...BUSINESSES), fc.stringMatching(/^[a-z0-9%]{0,20}$/))
      .map((b) => ({ surface: 'directory' as const, path: `/v1/partners/accounts/${b}/change_package` })),
  },
  { weight: 1, arbitrary: fc.constantFrom('/', '/apiv2', '/apiv2/', '/v1/partners/accounts', '/apiv2/a/b', '/%ZZ', '/healthz').map((p) => ({ surface: 'other' as const, path: p })) },
);

type BodyKind = 'none' | 'urlencoded' | 'multipart' | 'json' | 'chunked' | 'raw' | 'many' | 'huge';
const bodyKind = fc.constantFrom<BodyKind>('none', 'none', 'urlencoded', 'urlencoded', 'multipart', 'multipart', 'json', 'chunked', 'raw', 'many', 'huge');

function multipart(list: Pair[], boundary: string, nameless: boolean): Buffer {
  const parts = list.map(([k, v], i) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data${nameless && i === 0 ? '' : `; name="${k.toString('latin1').replace(/["\r\n]/g, '')}"`}${i % 3 === 2 ? '; filename="f.txt"' : ''}\r\n\r\n`, 'latin1'),
      v,
      Buffer.from('\r\n'),
    ]),
  );
  return Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
}

const generated: fc.Arbitrary<Generated> = fc
  .record({
    target: path,
    method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    credentials: fc.constantFrom(...CREDENTIALS),
    credentialsInBody: fc.boolean(),
    query: pairs(6),
    body: pairs(6),
    kind: bodyKind,
    style: fc.integer({ min: 0, max: 3 }),
    nameless: fc.boolean(),
    requestId: fc.option(fc.stringMatching(/^[ -~]{0,40}$/), { nil: undefined }),
  })
  .map(({ target, method, credentials, credentialsInBody, query, body, kind, style, nameless, requestId }) => {
    const credentialPairs: Pair[] = credentials.pairs.map(([k, v]) => [Buffer.from(k), Buffer.from(v, 'utf8')]);
    const inQuery = credentialsInBody && kind !== 'none' ? query : [...credentialPairs, ...query];
    const inBody = credentialsInBody && kind !== 'none' ? [...credentialPairs, ...body] : body;
    const headers: Record<string, string> = {};
    if (credentials.header) headers.authorization = credentials.header;
    if (requestId !== undefined) headers['x-request-id'] = requestId;
    let payload: Buffer | undefined;
    switch (kind) {
      case 'none':
        break;
      case 'urlencoded':
      case 'chunked':
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = Buffer.from(form(inBody, style), 'latin1');
        break;
      case 'multipart':
        headers['content-type'] = 'multipart/form-data; boundary=b0undary';
        payload = multipart(inBody, 'b0undary', nameless);
        break;
      case 'json':
        headers['content-type'] = 'application/json';
        payload = Buffer.from(JSON.stringify(Object.fromEntries(inBody.map(([k, v]) => [k.toString('latin1'), v.toString('latin1')]))));
        break;
      case 'raw':
        headers['content-type'] = style % 2 ? 'multipart/form-data' : 'application/x-www-form-urlencoded; charset=x';
        payload = Buffer.concat(inBody.flat());
        break;
      case 'many':
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = Buffer.from(Array.from({ length: 1_001 + style }, (_, i) => `f${i}=${i}`).join('&'));
        break;
      case 'huge':
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = Buffer.alloc(64 * 1024 + 1 + style, 0x61);
        break;
    }
    const queryString = form(inQuery, style);
    return {
      surface: target.surface,
      path: `${target.path}${queryString ? `?${queryString}` : ''}`,
      method,
      headers,
      body: payload,
      chunked: kind === 'chunked',
    } satisfies Generated;
  });

// ---------------------------------------------------------------- sending and checking

interface Answer {
  status: number;
  contentType: string | undefined;
  requestId: string | undefined;
  body: Buffer;
}

/** One kept-alive connection at a time: the requests go one after another, as the property checks each. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function send(base: string, r: Generated): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${r.path}`, { method: r.method, headers: r.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          contentType: res.headers['content-type'],
          requestId: res.headers['x-request-id'] as string | undefined,
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (r.body && r.chunked) {
      req.setHeader('transfer-encoding', 'chunked'); // Node chunks GET/HEAD/DELETE bodies only when told
      const middle = Math.floor(r.body.length / 2);
      req.write(r.body.subarray(0, middle));
      req.end(r.body.subarray(middle));
    } else {
      if (r.body) req.setHeader('content-length', r.body.length);
      req.end(r.body);
    }
  });
}

const JSON_TYPE = 'application/json';
const XML_TYPE = 'text/xml; charset=ISO-8859-1';
const XML_HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<result>';

/** Whether the answer is one of its surface's legacy shapes, and whether it refused the request. */
function classify(r: Generated, a: Answer): { shaped: boolean; rejected: boolean } {
  if (r.method === 'HEAD') return { shaped: a.body.length === 0, rejected: a.status !== 200 };
  const text = a.body.toString('latin1');
  if (r.surface === 'directory') {
    if (a.status === 401)
      return { shaped: text === 'HTTP Token: Access denied.\n' && a.contentType === 'text/plain; charset=utf-8', rejected: true };
    const body = parseJson(text);
    const shaped = a.contentType?.startsWith(JSON_TYPE) === true && typeof body === 'object' && body !== null;
    if (a.status === 200) return { shaped: shaped && 'business_id' in body, rejected: false };
    return { shaped: shaped && ('message' in body || 'error' in body), rejected: true };
  }
  if (r.surface === 'apiv2') {
    // The suffix decides the format, read as the client wrote it.
    const xml = /\.xml[^./]*$/.test(r.path.split('?', 1)[0]!);
    if (xml) {
      const shaped = a.contentType === XML_TYPE && text.startsWith(XML_HEAD) && text.endsWith('</result>');
      return { shaped, rejected: /<result><(message>error|error>)/.test(text) };
    }
    const body = parseJson(text);
    const shaped = a.contentType === JSON_TYPE && body !== undefined;
    const rejected = !Array.isArray(body) && (body?.message === 'error' || body?.error !== undefined);
    return { shaped, rejected };
  }
  // Paths no surface claims: the JSON 404 (or /healthz).
  const body = parseJson(text);
  return { shaped: a.contentType?.startsWith(JSON_TYPE) === true && body !== undefined, rejected: a.status !== 200 };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

describe('generated requests against both surfaces', () => {
  const current = useTestBridge();

  it(`answer every one of ${RUNS} in a legacy shape, never 500, and change nothing when rejected`, async () => {
    const bridge = current();
    const store = bridge.store;
    const accounts = Object.values(DEMO.accounts);
    const writes = () => accounts.reduce((n, id) => n + bridge.simulator!.writes(id).offerings + bridge.simulator!.writes(id).state, 0);
    const storeState = async () =>
      JSON.stringify([
        await store.listCustomers(),
        await store.listPending(DEMO.apiUser),
        await store.listPending(DEMO.secondApiUser),
        (await store.listAudit()).length,
      ]);
    const byStatus = new Map<number, number>();
    let before = { writes: writes(), store: await storeState() };

    await fc.assert(
      fc.asyncProperty(generated, async (r) => {
        const answer = await send(bridge.url, r);
        byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
        const after = { writes: writes(), store: await storeState() };
        const { shaped, rejected } = classify(r, answer);
        expect(answer.requestId, 'X-Request-Id on every answer').toBeTruthy();
        expect(shaped, `legacy shape (${answer.status} ${answer.contentType}): ${answer.body.toString('latin1').slice(0, 200)}`).toBe(true);
        expect(answer.status, 'no 500 for a client').not.toBe(500);
        expect(answer.body.toString('latin1')).not.toContain('Internal error');
        if (rejected) expect(after, 'a rejected request changes nothing').toEqual(before);
        before = after;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );

    expect([...byStatus.values()].reduce((a, b) => a + b, 0)).toBe(RUNS);
    if (process.env.PROPERTY_REPORT)
      console.info(`seed ${SEED}, ${RUNS} requests by status:`, Object.fromEntries([...byStatus].sort(([a], [b]) => a - b)));
    // The bridge still serves after all of it.
    expect((await send(bridge.url, { surface: 'other', path: '/healthz', method: 'GET', headers: {}, body: undefined, chunked: false })).status).toBe(200);
  }, 600_000);
});
