// The legacy status rule: the original server's HTTP 200 for errors by default, as the recorded
// exchanges in ../shared/contracts/legacy/observed/ show it; real statuses as a setting; upstream
// failures 5xx in both.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadMappings } from '../../src/config/mappings.js';
import { sentStatus, statusModeOf } from '../../src/edge/legacy-statuses.js';
import { V3Error } from '../../src/v3/errors.js';
import { AUTH, DEMO, projectRoot, useTestBridge } from '../helpers/bridge.js';

interface Recorded {
  uri: string;
  recordedAt: Date;
  status: number;
  contentType: string;
  body: string;
}

/** Every recorded exchange: request URI, status, content type and (decoded) body. */
function recordings(): Recorded[] {
  const folder = join(projectRoot, '../shared/contracts/legacy/observed/onehq_sendgrid_webapi');
  return readdirSync(folder)
    .filter((f) => f.endsWith('.yml'))
    .flatMap((f) => {
      // VCR writes a binary body with Ruby's `!binary` tag: base64 text.
      const binary = { tag: '!binary', resolve: (text: string) => text };
      const cassette = parse(readFileSync(join(folder, f), 'utf8'), { customTags: [binary] }) as {
        recorded_with: string;
        http_interactions: {
          request: { uri: string };
          response: { status: { code: number }; headers: Record<string, string[]>; body: { string: string | Uint8Array } };
          recorded_at: string;
        }[];
      };
      return cassette.http_interactions.map(({ request: req, response: res, recorded_at: recordedAt }) => {
        const raw = res.body.string;
        const gzipped = res.headers['Content-Encoding']?.includes('gzip');
        const bytes = typeof raw !== 'string' ? Buffer.from(raw) : gzipped ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
        return {
          uri: req.uri,
          recordedAt: new Date(recordedAt),
          status: res.status.code,
          contentType: res.headers['Content-Type']![0]!,
          body: (gzipped ? gunzipSync(bytes) : bytes).toString('utf8'),
        };
      });
    });
}

/** The shape of a JSON document: its keys and the kinds of its values, recursively. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  return typeof value;
}

const observed = recordings();
const recordedErrors = observed.filter((r) => /"error"/.test(r.body));
/** The newest recordings' content type (2012's server still sent JSON as text/html). */
const recordedContentType = [...recordedErrors].sort((a, b) => +b.recordedAt - +a.recordedAt)[0]!.contentType;

describe('the recordings', () => {
  it('hold error answers of both legacy shapes, every one of them sent with HTTP 200', () => {
    const shapes = new Set(recordedErrors.map((r) => JSON.stringify(shapeOf(JSON.parse(r.body)))));
    expect(shapes).toEqual(
      new Set([
        JSON.stringify({ error: { code: 'number', message: 'string' } }),
        JSON.stringify({ message: 'string', errors: ['string'] }),
      ]),
    );
    expect(recordedErrors.map((r) => r.status)).toEqual(recordedErrors.map(() => 200));
  });
});

describe('in the default (original) mode', () => {
  const current = useTestBridge();
  const get = (call: string, query: string) => request(current().url).get(`/apiv2/${call}?${query}`);

  it.each([
    ['a wrong password', 'reseller.account.json', `api_user=${DEMO.apiUser}&api_key=wrong&task=overview&user=user4`, 401],
    ['an unknown api_user', 'reseller.account.json', 'api_user=nobody&api_key=x&task=overview', 401],
    ['an unknown module, before authentication', 'reseller.invoice.json', 'task=list', 404],
    ['an unknown task after authentication', 'reseller.account.json', `${AUTH}&task=nope`, 404],
    ['an unknown user', 'reseller.account.json', `${AUTH}&task=immediate_close&user=nobody`, 400],
    ['a bracketed scalar', 'reseller.account.json', `${AUTH}&task=overview&user[]=user4`, 400],
  ])('%s is answered like the recordings: HTTP 200, application/json, the error body of its kind', async (_name, call, query, code) => {
    const res = await get(call, query);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(recordedContentType);
    const recordedShape = recordedErrors.map((r) => shapeOf(JSON.parse(r.body))).find((s) =>
      code === 400 ? 'errors' in (s as object) : 'error' in (s as object),
    );
    expect(shapeOf(res.body)).toEqual(recordedShape);
    if (code !== 400) expect(res.body.error.code).toBe(code);
  });

  it('an oversized body is answered with 200 and the errors body', async () => {
    const res = await request(current().url).post('/apiv2/reseller.account.json').type('form').send(`user=${'x'.repeat(70_000)}`);
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual(['Request body too large (limit 65536 bytes)']);
  });

  it('upstream failures keep their 5xx', async () => {
    current().simulator!.faults.failNext(5, 500);
    const res = await get('reseller.account.json', `${AUTH}&task=overview&user=user4`);
    expect(res.status).toBe(502);
    expect(res.body.message).toBe('error');
  });

  it('a v3 key that v3 refuses is a 502 naming the misconfiguration, not "safe to retry"', async () => {
    // What v3 answers a key it does not know (the simulator accepts only its seeded keys).
    const v3 = current().v3For(current().config.mappings.resellerByUser.get(DEMO.apiUser)!);
    v3.getOfferings = async () => {
      throw new V3Error('http', 'ListAccountOffering: v3 answered 401', { operation: 'ListAccountOffering', status: 401 });
    };
    const res = await get('reseller.account.xml', `${AUTH}&task=overview&user=user4`);
    expect(res.status).toBe(502);
    expect(res.text).toContain("the bridge's v3 key for this reseller was refused; the operator must fix it");
    expect(res.text).not.toContain('safe to retry');
  });
});

describe('with BRIDGE_LEGACY_STATUSES=http', () => {
  const current = useTestBridge({ BRIDGE_LEGACY_STATUSES: 'http' });
  const get = (query: string) => request(current().url).get(`/apiv2/reseller.account.json?${query}`);

  it('answers real statuses, before and after authentication', async () => {
    expect((await get('api_user=nobody&api_key=x&task=overview')).status).toBe(401);
    expect((await get(`${AUTH}&task=nope`)).status).toBe(404);
    expect((await get(`${AUTH}&task=immediate_close&user=nobody`)).status).toBe(400);
  });

  it('a reseller whose mapping asks for the original statuses still gets them once authenticated', async () => {
    const res = await get(`api_user=${DEMO.secondApiUser}&api_key=${DEMO.secondPassword}&task=nope`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"error":{"code":404,"message":"Not found"}}');
  });
});

describe('the rule', () => {
  it.each([
    ['original', 200, 200],
    ['original', 400, 200],
    ['original', 401, 200],
    ['original', 404, 200],
    ['original', 409, 200],
    ['original', 413, 200],
    ['original', 422, 200],
    ['original', 500, 200],
    ['original', 502, 502],
    ['original', 503, 503],
    ['original', 504, 504],
    ['http', 400, 400],
    ['http', 500, 500],
    ['http', 503, 503],
  ] as const)('%s mode sends %i as %i', (mode, status, sent) => {
    expect(sentStatus(mode, status)).toBe(sent);
  });

  it('the reseller’s setting wins over the bridge’s; errors_with_http_200 is its alias', () => {
    const mappings = loadMappings(join(projectRoot, 'mappings'));
    const main = mappings.resellerByUser.get(DEMO.apiUser)!;
    const second = mappings.resellerByUser.get(DEMO.secondApiUser)!;
    expect(statusModeOf(main, 'http')).toBe('http');
    expect(statusModeOf(main, 'original')).toBe('original');
    expect(statusModeOf(second, 'http')).toBe('original'); // errors_with_http_200: true
    expect(statusModeOf({ ...second, legacy_statuses: 'http' }, 'original')).toBe('http');
    expect(statusModeOf(undefined, 'original')).toBe('original');
  });
});
