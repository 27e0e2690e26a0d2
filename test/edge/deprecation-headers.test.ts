// Every legacy answer, success or error, of both surfaces and every format, carries the
// Deprecation, Sunset and Link headers of mappings/deprecation.json. Read with maintained
// parsers (structured fields, RFC 8288 links) and compared with the file itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import LinkHeader from 'http-link-header';
import { parseItem } from 'structured-headers';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { accountTasks } from '../../src/edge/apiv2/account-tasks.js';
import { pendingTasks } from '../../src/edge/apiv2/pending-tasks.js';
import { LEGACY_TASKS } from '../../src/rules/deprecation.js';
import { AUTH, demoMappings, useTestBridge } from '../helpers/bridge.js';

interface SignalEntry {
  surface: string;
  task?: string;
  deprecation?: string;
  sunset?: string;
  migration_guide?: string;
  policy?: string;
}
const file = JSON.parse(readFileSync(join(demoMappings, 'deprecation.json'), 'utf8')) as { signals: SignalEntry[] };
/** What the file says for a surface and task: the task's entry over its surface's. */
const expected = (surface: string, task?: string): Partial<SignalEntry> => ({
  ...file.signals.find((s) => s.surface === surface && !s.task),
  ...file.signals.find((s) => s.surface === surface && s.task !== undefined && s.task === task),
});

function expectSignal(headers: Record<string, string>, entry: Partial<SignalEntry>) {
  const [deprecation, params] = parseItem(headers.deprecation!);
  expect(deprecation).toBeInstanceOf(Date);
  expect(params.size).toBe(0);
  expect(deprecation).toEqual(new Date(entry.deprecation!));
  expect(headers.sunset).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  expect(new Date(headers.sunset!)).toEqual(new Date(entry.sunset!));
  const links = LinkHeader.parse(headers.link!);
  expect(links.rel('deprecation').map((l) => l.uri)).toEqual([entry.migration_guide]);
  expect(links.rel('sunset').map((l) => l.uri)).toEqual([entry.policy]);
}

// Real statuses, so each case below is told apart by its status (the default original mode answers 200).
const current = useTestBridge({ BRIDGE_LEGACY_STATUSES: 'http' });
const TOKEN = 'aaaabbbbccccddddeeeeffff11112222';
const apiv2 = (path: string, body: string) => request(current().url).post(path).type('form').send(body);

describe('the apiv2 surface', () => {
  it.each([
    ['JSON success', '/apiv2/reseller.pending.json', `${AUTH}&task=list`, 200, 'list'],
    ['XML success', '/apiv2/reseller.pending.xml', `${AUTH}&task=list`, 200, 'list'],
    ['overview, signalled by its own entry', '/apiv2/reseller.account.json', `${AUTH}&task=overview&user=user4`, 200, 'overview'],
    ['XML overview', '/apiv2/reseller.account.xml', `${AUTH}&task=overview&user=user4`, 200, 'overview'],
    ['bad parameters (400)', '/apiv2/reseller.account.json', `${AUTH}&task=immediate_upgrade`, 400, 'immediate_upgrade'],
    ['XML bad parameters', '/apiv2/reseller.account.xml', `${AUTH}&task=immediate_upgrade&user[]=x`, 400, 'immediate_upgrade'],
    ['failed authentication (401)', '/apiv2/reseller.account.json', 'api_user=nobody&api_key=x&task=overview', 401, 'overview'],
    ['unknown task (404)', '/apiv2/reseller.account.xml', `${AUTH}&task=nope`, 404, undefined],
    ['unknown module (404)', '/apiv2/reseller.nope.json', AUTH, 404, undefined],
  ])('%s', async (_what, path, body, status, task) => {
    const res = await apiv2(path, body);
    expect(res.status).toBe(status);
    expectSignal(res.headers, expected('apiv2', task));
  });

  it('an overview and a list answer different sunsets, as the file says', async () => {
    const [overview, list] = await Promise.all([
      apiv2('/apiv2/reseller.account.json', `${AUTH}&task=overview&user=user4`),
      apiv2('/apiv2/reseller.pending.json', `${AUTH}&task=list`),
    ]);
    expect(overview.headers.sunset).not.toBe(list.headers.sunset);
  });

  it('a body too large (413) carries the signal too', async () => {
    const res = await apiv2('/apiv2/reseller.account.json', `${AUTH}&task=overview&pad=${'x'.repeat(70_000)}`);
    expect(res.status).toBe(413);
    expectSignal(res.headers, expected('apiv2'));
  });
});

describe('the directory surface', () => {
  const change = (query: string, token = TOKEN) =>
    request(current().url).get(`/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?${query}`).set('Authorization', `Token token="${token}"`);
  it.each([
    ['success', 'edit_tags=vip', TOKEN, 200],
    ['unprocessable (422)', 'package_name=nope', TOKEN, 422],
    ['access denied (401)', 'edit_tags=vip', 'wrong', 401],
  ])('%s', async (_what, query, token, status) => {
    const res = await change(query, token);
    expect(res.status).toBe(status);
    expectSignal(res.headers, expected('directory', 'change_package'));
  });
});

it('other routes carry no signal', async () => {
  const res = await request(current().url).get('/healthz');
  expect(res.headers.deprecation).toBeUndefined();
  expect(res.headers.sunset).toBeUndefined();
});

it("the legacy task catalogue is the edge's own task tables", () => {
  expect([...LEGACY_TASKS.apiv2].sort()).toEqual([...Object.keys(accountTasks), ...Object.keys(pendingTasks)].sort());
});
