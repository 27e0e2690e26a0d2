import { describe, expect, it } from 'vitest';
import { loadMappings } from '../../../src/config/mappings.js';
import { explainRequest, type Explanation } from '../../../src/edge/explain/explain.js';
import { parseLegacyRequest } from '../../../src/edge/explain/legacy-request.js';
import { jqProgram, renderExplanation } from '../../../src/edge/explain/render.js';

const mappings = loadMappings('mappings');
const AUTH = 'api_user=your_sendgrid_username&api_key=your_sendgrid_password';
const ACCOUNT = '/apiv2/reseller.account.json';
const C = 'sg7c1f4b2a9d3e4f5a6b7c8d9e0f1a2b3c'; // customer@example.com
const U4 = 'sg4d2e6f8a0b1c3d5e7f9a1b3c5d7e9f04'; // user4
const BIZ = 'sg88a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5'; // the directory business
const TOKEN = '-H \'Authorization: Token token="aaaabbbbccccddddeeeeffff11112222"\'';

function explain(input: string, options = {}): Explanation {
  const parsed = parseLegacyRequest(input);
  if (!parsed.ok) throw new Error(parsed.problem);
  return explainRequest(parsed.request, mappings, options);
}

/** The calls as `phase step METHOD path <- uses`, the shortest form a table can hold. */
const callsOf = (e: Explanation) =>
  e.calls.map((c) => `${c.phase} ${c.step} ${c.method} ${c.path}${c.uses.length ? ` <- ${c.uses.join(',')}` : ''}`);
const READS = (id: string, phase = 'now', first = 1) => [
  `${phase} ${first} GET /v3/partners/accounts/${id}/state`,
  `${phase} ${first + 1} GET /v3/partners/accounts/${id}/offerings`,
];
const CHANGE = (id: string, phase = 'now', first = 1) => [
  ...READS(id, phase, first),
  `${phase} ${first + 2} PUT /v3/partners/accounts/${id}/offerings <- ${first + 1}`,
];

describe('explain: every task of both surfaces', () => {
  const cases: [string, string, string[], RegExp[]][] = [
    ['immediate_upgrade', `${ACCOUNT}?${AUTH}&task=immediate_upgrade&package=Basic%20Package&user=customer@example.com&ip_group[]=Reseller%20Group`, CHANGE(C), [/IP groups \(Reseller Group\)/, /audit record/]],
    ['immediate_downgrade', `${ACCOUNT}?${AUTH}&task=immediate_downgrade&package=Basic%20Package&user=user4`, CHANGE(U4), [/superseded/]],
    ['immediate_close', `${ACCOUNT}?${AUTH}&task=immediate_close&user=user4`, CHANGE(U4), [/release of the customer's IPs/]],
    ['scheduled_upgrade', `${ACCOUNT}?${AUTH}&task=scheduled_upgrade&package=Gold%20Package&user=user4&ip[]=255.255.255.0`, [...READS(U4), ...CHANGE(U4, 'billing_day', 3)], [/scheduled change itself/, /which IPs the customer holds \(255\.255\.255\.0\)/]],
    ['scheduled_downgrade', `${ACCOUNT}?${AUTH}&task=scheduled_downgrade&package=Basic%20Package&user=user4`, [...READS(U4), ...CHANGE(U4, 'billing_day', 3)], [/next billing day/]],
    ['scheduled_close', `${ACCOUNT}?${AUTH}&task=scheduled_close&user=user4`, [...READS(U4), ...CHANGE(U4, 'billing_day', 3)], [/reseller\.pending delete/]],
    ['overview', `${ACCOUNT}?${AUTH}&task=overview&user=user4`, [`now 1 GET /v3/partners/accounts/${U4}/offerings`, 'now 2 GET /v3/partners/offerings'], [/billing dates/]],
    ['pending list', `/apiv2/reseller.pending.xml?${AUTH}&task=list`, [], [/v3 has no scheduled changes/]],
    ['pending delete', `curl -s localhost:3000/apiv2/reseller.pending.json -d '${AUTH}&task=delete&user=user4'`, [], [/cancelling user4's scheduled change/]],
    ['change_package with a package', `curl -s ${TOKEN} 'localhost:3000/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=platinum20&edit_tags=vip,eu'`, CHANGE(BIZ), [/tags \(vip, eu\)/]],
    ['change_package with tags and params only', `curl -s ${TOKEN} 'localhost:3000/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?edit_tags=a&external_subscription_params[plan]=p1'`, [`now 1 GET /v3/partners/accounts/${BIZ}/state`], [/tags \(a\)/, /subscription params \(plan=p1\)/]],
    ['change_package with zero SMS credits', `curl -s ${TOKEN} 'localhost:3000/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=business20&add_sms_credits=0'`, CHANGE(BIZ), [/audit record/]],
  ];
  it.each(cases)('%s', (_name, input, calls, keeps) => {
    const e = explain(input);
    expect(e.refusal).toBeUndefined();
    expect(callsOf(e)).toEqual(calls);
    for (const keep of keeps) expect(e.bridgeKeeps.join('\n')).toMatch(keep);
  });

  it('names the write body: the target package, the add-ons read, the IP add-on from ip[]', () => {
    const upgrade = explain(`${ACCOUNT}?${AUTH}&task=scheduled_upgrade&package=Gold%20Package&user=user4&ip[]=255.255.255.0&ip[]=255.255.254.0`);
    const put = upgrade.calls.at(-1)!;
    expect(put.body).toEqual({ offerings: [{ name: 'org.ei.gold.v1', type: 'package', quantity: 1 }] });
    expect(put.template).toEqual({ addonsFrom: 4, dropAddons: [], setAddon: { name: 'org.ei.addon.dedicated_ip.v1', type: 'addon', quantity: 2 } });
    const close = explain(`${ACCOUNT}?${AUTH}&task=immediate_close&user=user5`).calls.at(-1)!;
    expect(close.body).toEqual({ offerings: [{ name: 'org.ei.free.v1', type: 'package', quantity: 1 }] });
    expect(close.template).toEqual({ addonsFrom: 2, dropAddons: ['org.ei.addon.dedicated_ip.v1'] });
    expect(jqProgram(close)).toBe(
      '{offerings: ([{"name":"org.ei.free.v1","type":"package","quantity":1}] + [.offerings[] | select(.type == "addon" and .name != "org.ei.addon.dedicated_ip.v1")])}',
    );
  });

  const refusals: [string, string, number, RegExp][] = [
    ['an unknown module', `/apiv2/reseller.other.json?${AUTH}&task=list`, 404, /Not found/],
    ['a PUT', `curl -X PUT 'h/apiv2/reseller.pending?${AUTH}&task=list'`, 404, /Not found/],
    ['an unknown reseller', '/apiv2/reseller.pending?api_user=nobody&api_key=x&task=list', 401, /no reseller "nobody"/],
    ['no credentials', '/apiv2/reseller.pending?task=list', 401, /send api_user and api_key/],
    ['a v3 key with no way to tell the reseller', '/apiv2/reseller.pending?api_user=apikey&api_key=SG.x&task=list', 401, /--reseller/],
    ['an unknown task', `/apiv2/reseller.account?${AUTH}&task=immediate_teleport`, 404, /no task "immediate_teleport"/],
    ['a bracketed scalar', `/apiv2/reseller.account?${AUTH}&task=overview&user[]=x`, 400, /user must be a single value/],
    ['an unknown user, with the other problems', `${ACCOUNT}?${AUTH}&task=immediate_upgrade&package=Bronze&user=ghost`, 400, /User not found: ghost\nPackage "Bronze" does not exist/],
    ["another reseller's customer", `${ACCOUNT}?${AUTH}&task=overview&user=customer@second.example`, 400, /User not found: customer@second\.example/],
    ['a Gold upgrade without ip[]', `${ACCOUNT}?${AUTH}&task=immediate_upgrade&package=Gold%20Package&user=user4`, 400, /requires a dedicated IP/],
    ['an IP of someone else', `${ACCOUNT}?${AUTH}&task=immediate_upgrade&package=Gold%20Package&user=user4&ip[]=10.0.0.1`, 400, /IP 10\.0\.0\.1 is not one of your IPs/],
    ['an unknown pending type', `/apiv2/reseller.pending?${AUTH}&task=list&type=sideways`, 400, /type must be one of/],
    ['a wrong directory token', `curl -H 'Authorization: Token token="nope"' h/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?edit_tags=a`, 401, /Access denied/],
    ['a business of another directory', `curl ${TOKEN} h/v1/partners/accounts/5econdb1zbus1ness/change_package?edit_tags=a`, 401, /Access denied/],
    ['SMS credits', `curl ${TOKEN} 'h/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?add_sms_credits=5'`, 422, /SMS credits have no equivalent/],
    ['an unknown directory package', `curl ${TOKEN} 'h/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=gold'`, 422, /unknown package "gold"/],
  ];
  it.each(refusals)('explains the refusal of %s', (_name, input, status, message) => {
    const e = explain(input);
    expect(e.refusal?.status).toBe(status);
    expect(e.refusal?.errors.join('\n')).toMatch(message);
    expect(e.calls).toEqual([]);
  });

  it('takes the reseller from the customer, or from the option, for a v3 key', () => {
    expect(explain(`${ACCOUNT}?api_user=apikey&api_key=SG.x&task=overview&user=user4`).reseller).toBe('your_sendgrid_username');
    expect(explain('curl -H "Authorization: Bearer $KEY" h/apiv2/reseller.pending?task=list', { reseller: 'second_reseller' })).toMatchObject({
      reseller: 'second_reseller',
      keyVariable: 'SECOND_RESELLER_API_KEY',
    });
  });

  it('infers the module of a bare query string from its task', () => {
    expect(explain(`${AUTH}&task=list`).call).toBe('reseller.pending');
    expect(explain(`${AUTH}&task=overview&user=user4`).call).toBe('reseller.account');
  });

  it('never shows the password or the key it was given', () => {
    for (const input of [`${ACCOUNT}?${AUTH}&task=immediate_close&user=user4`, `${ACCOUNT}?api_user=apikey&api_key=SG.secret-key&task=overview&user=user4`]) {
      const e = explain(input);
      const text = `${JSON.stringify(e)}\n${renderExplanation(e)}`;
      expect(text).not.toContain('your_sendgrid_password');
      expect(text).not.toContain('SG.secret-key');
    }
  });
});
