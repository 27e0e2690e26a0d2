// Request ids, the per-request summary (RequestSummary) and the access log built from it.
import { Writable } from 'node:stream';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { sanitiseRequestId } from '../../src/edge/request-context.js';
import type { RequestSummary } from '../../src/edge/request-summary.js';
import { createLogger } from '../../src/log.js';
import { AUTH, DEMO, useTestBridge } from '../helpers/bridge.js';

const summaries: RequestSummary[] = [];
const logLines: string[] = [];
const logger = createLogger(
  { level: 'info' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  }),
);
const current = useTestBridge({}, { logger, observeRequest: (s) => summaries.push(s) });

/** The summary of the request that carried this id, once its answer has finished (exactly one). */
async function summaryOf(requestId: string): Promise<RequestSummary> {
  return vi.waitFor(() => {
    const found = summaries.filter((s) => s.requestId === requestId);
    expect(found).toHaveLength(1);
    return found[0]!;
  });
}

describe('X-Request-Id', () => {
  it.each([
    ['a UUID is kept', '0f8fad5b-d9cb-469f-a165-70867728950e', '0f8fad5b-d9cb-469f-a165-70867728950e'],
    ['unsafe characters are dropped', 'abc\r\nSet-Cookie: x<script>', 'abcSet-Cookie:xscript'],
    ['it is cut to 128 characters', 'x'.repeat(500), 'x'.repeat(128)],
    ['nothing left means none', '\u0000\u0001 ', undefined],
    ['absent is none', undefined, undefined],
  ])('%s', (_name, header, expected) => {
    expect(sanitiseRequestId(header)).toBe(expected);
  });

  it('is echoed on every answer, and generated when absent', async () => {
    const given = await request(current().url).get('/healthz').set('X-Request-Id', 'trace-42');
    expect(given.headers['x-request-id']).toBe('trace-42');
    const generated = await request(current().url).get('/nowhere');
    expect(generated.status).toBe(404);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const legacy = await request(current().url).get('/apiv2/reseller.account.xml?task=overview');
    expect(legacy.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(legacy.headers['x-request-id']).not.toBe(generated.headers['x-request-id']);
  });
});

describe('the request summary', () => {
  it('of a legacy task names the surface, route, task, format, outcome and caller', async () => {
    const res = await request(current().url)
      .get(`/apiv2/reseller.account.xml?${AUTH}&task=overview&user=user4`)
      .set('X-Request-Id', 'overview-1');
    expect(res.status).toBe(200);
    expect(await summaryOf('overview-1')).toMatchObject({
      surface: 'apiv2',
      route: '/apiv2/:call',
      method: 'GET',
      task: 'overview',
      module: 'account',
      format: 'xml',
      status: 200,
      outcome: 'success',
      caller: DEMO.apiUser,
      authenticated: true,
      authStyle: 'password',
      authFailure: undefined,
    });
    expect((await summaryOf('overview-1')).durationMs).toBeGreaterThan(0);
  });

  it('of an error answered with HTTP 200 still says what it was', async () => {
    await request(current().url).get(`/apiv2/reseller.pending.json?${AUTH}&task=nope`).set('X-Request-Id', 'nope-1');
    expect(await summaryOf('nope-1')).toMatchObject({ status: 200, outcome: 'not_found', task: undefined, module: 'pending' });
    await request(current().url)
      .get(`/apiv2/reseller.account.json?api_user=${DEMO.apiUser}&api_key=wrong&task=overview`)
      .set('X-Request-Id', 'denied-1');
    expect(await summaryOf('denied-1')).toMatchObject({
      status: 200,
      outcome: 'auth_failed',
      caller: DEMO.apiUser,
      authenticated: false,
      authStyle: 'password',
      authFailure: 'wrong_credentials',
    });
  });

  it('of a Bearer login and of a directory call', async () => {
    await request(current().url)
      .get('/apiv2/reseller.pending.json?task=list')
      .set('Authorization', `Bearer ${DEMO.key}`)
      .set('X-Request-Id', 'bearer-1');
    expect(await summaryOf('bearer-1')).toMatchObject({ authStyle: 'bearer', authenticated: true, task: 'list', outcome: 'success' });
    await request(current().url)
      .get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?edit_tags=a')
      .set('Authorization', 'Token token="aaaabbbbccccddddeeeeffff11112222"')
      .set('X-Request-Id', 'dir-1');
    expect(await summaryOf('dir-1')).toMatchObject({
      surface: 'directory',
      route: '/v1/partners/accounts/:businessUid/change_package',
      task: 'change_package',
      format: 'json',
      status: 200,
      caller: 'demo-directory',
      authStyle: 'directory_token',
    });
    await request(current().url).get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package').set('X-Request-Id', 'dir-2');
    expect(await summaryOf('dir-2')).toMatchObject({ status: 401, format: 'text', outcome: 'auth_failed', authenticated: false });
  });
});

describe('the access log', () => {
  it('has one line per request with its id, surface, task, format, status, time and reseller, never the query string', async () => {
    await request(current().url).get(`/apiv2/reseller.account.json?${AUTH}&task=overview&user=user4`).set('X-Request-Id', 'log-1');
    await summaryOf('log-1');
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.requestId === 'log-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ surface: 'apiv2', task: 'overview', format: 'json', status: 200, reseller: DEMO.apiUser });
    expect(typeof lines[0]!.ms).toBe('number');
    expect(logLines.join('\n')).not.toContain(DEMO.password);
    expect(logLines.join('\n')).not.toContain('user=user4');
  });

  it('does not log an api_user that names no reseller (it may be anything the client typed)', async () => {
    await request(current().url).get('/apiv2/reseller.account.json?api_user=hunter2-typed-here&api_key=x&task=list').set('X-Request-Id', 'log-2');
    expect((await summaryOf('log-2')).authFailure).toBe('unknown_user');
    expect(logLines.join('\n')).not.toContain('hunter2-typed-here');
  });
});
