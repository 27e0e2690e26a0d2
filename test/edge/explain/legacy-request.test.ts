import { describe, expect, it } from 'vitest';
import { parseLegacyRequest, type LegacyRequest } from '../../../src/edge/explain/legacy-request.js';

const request = (overrides: Partial<LegacyRequest>): LegacyRequest => ({
  method: 'GET',
  path: '',
  rawQuery: '',
  body: [],
  headers: {},
  ...overrides,
});

describe('parseLegacyRequest: what an integrator pastes', () => {
  const cases: [string, string, LegacyRequest][] = [
    ['a bare query string', 'task=list&api_user=u', request({ rawQuery: 'task=list&api_user=u' })],
    ['a query string with its ?', '?task=list', request({ rawQuery: 'task=list' })],
    ['a path and query', '/apiv2/reseller.pending.xml?task=list', request({ path: '/apiv2/reseller.pending.xml', rawQuery: 'task=list' })],
    ['a URL without scheme', 'localhost:3000/apiv2/reseller.account.json?a=1', request({ path: '/apiv2/reseller.account.json', rawQuery: 'a=1' })],
    ['a URL with scheme and fragment', 'https://bridge.example/apiv2/reseller.account?a=1#top', request({ path: '/apiv2/reseller.account', rawQuery: 'a=1' })],
    [
      'curl with a quoted URL, combined flags',
      `curl -sg 'localhost:3000/apiv2/reseller.account.json?task=immediate_upgrade&ip_group[]=Reseller%20Group'`,
      request({ path: '/apiv2/reseller.account.json', rawQuery: 'task=immediate_upgrade&ip_group[]=Reseller%20Group' }),
    ],
    [
      'curl -d makes a POST with a form body, the raw query kept',
      `curl -s localhost:3000/apiv2/reseller.account.xml?x=1 -d 'task=immediate_upgrade&package=Silver Package'`,
      request({ method: 'POST', path: '/apiv2/reseller.account.xml', rawQuery: 'x=1', body: [['task', 'immediate_upgrade'], ['package', 'Silver Package']] }),
    ],
    [
      'several -d are joined with &, --data-urlencode encodes',
      `curl --data task=delete --data-urlencode 'user=a b&c' "http://h/apiv2/reseller.pending"`,
      request({ method: 'POST', path: '/apiv2/reseller.pending', body: [['task', 'delete'], ['user', 'a b&c']] }),
    ],
    [
      '-G moves the data into the query',
      `curl -G -d task=list http://h/apiv2/reseller.pending.json`,
      request({ path: '/apiv2/reseller.pending.json', rawQuery: 'task=list' }),
    ],
    [
      'headers, -X and line continuations',
      `curl -s -X POST \\\n  -H 'Authorization: Token token="abc"' \\\n  'localhost:3000/v1/partners/accounts/b1/change_package?package_name=x'`,
      request({ method: 'POST', path: '/v1/partners/accounts/b1/change_package', rawQuery: 'package_name=x', headers: { authorization: 'Token token="abc"' } }),
    ],
    [
      'multipart fields with -F, an attached -XPOST',
      `curl -XPOST -F task=list -F 'api_user=u' http://h/apiv2/reseller.pending`,
      request({ method: 'POST', path: '/apiv2/reseller.pending', body: [['task', 'list'], ['api_user', 'u']] }),
    ],
    [
      'variables stay as written',
      `curl -H "Authorization: Bearer $SENDGRID_API_KEY" 'h/apiv2/reseller.pending?task=list'`,
      request({ path: '/apiv2/reseller.pending', rawQuery: 'task=list', headers: { authorization: 'Bearer $SENDGRID_API_KEY' } }),
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(parseLegacyRequest(input)).toEqual({ ok: true, request: expected });
  });

  const problems: [string, string, RegExp][] = [
    ['nothing', '  ', /nothing to explain/],
    ['no URL', 'curl -s', /no URL/],
    ['two URLs', 'curl a/b c/d', /second one/],
    ['a pipe', "curl 'h/apiv2/reseller.pending?task=list' | jq .", /one curl command/],
    ['a body from a file', 'curl -d @body.txt h/apiv2/reseller.pending', /read from a file/],
    ['a JSON body', `curl --json '{}' h/apiv2/reseller.pending`, /form fields, not JSON/],
    ['an option without its value', 'curl h/apiv2/reseller.pending -d', /needs a value/],
  ];
  it.each(problems)('refuses %s with a clear problem', (_name, input, problem) => {
    const parsed = parseLegacyRequest(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });
});
