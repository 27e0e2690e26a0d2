// The curl commands `explain` prints do to v3 what the bridge does: each change request is sent
// once through the bridge and once as the printed script (bash, curl, jq) against a fresh
// simulator, and the account ends on the same offerings.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { explainRequest } from '../../../src/edge/explain/explain.js';
import { parseLegacyRequest } from '../../../src/edge/explain/legacy-request.js';
import { renderExplanation } from '../../../src/edge/explain/render.js';
import type { Offering } from '../../../src/v3/schemas.js';
import { AUTH, DEMO, useTestBridge } from '../../helpers/bridge.js';

const run = promisify(execFile);
const bridge = useTestBridge();
const TOKEN = `-H 'Authorization: Token token="aaaabbbbccccddddeeeeffff11112222"'`;

const sorted = (offerings: readonly Offering[] | undefined) =>
  [...(offerings ?? [])].map((o) => `${o.type} ${o.name} ${o.quantity ?? 1}`).sort();

describe('explain prints a script with the effect of the bridge', () => {
  const cases: [string, string, string][] = [
    ['immediate_upgrade', `curl -sg 'localhost:3000/apiv2/reseller.account.json?${AUTH}&task=immediate_upgrade&package=Basic%20Package&user=customer@example.com&ip_group[]=Reseller%20Group'`, DEMO.accounts['customer@example.com']],
    ['immediate_upgrade to Gold with two IPs', `curl -s localhost:3000/apiv2/reseller.account.json -d '${AUTH}&task=immediate_upgrade&package=Gold Package&user=user4&ip[]=255.255.255.0&ip[]=255.255.254.0'`, DEMO.accounts.user4],
    ['immediate_downgrade', `curl -s localhost:3000/apiv2/reseller.account.xml -d '${AUTH}&task=immediate_downgrade&package=Basic Package&user=user4'`, DEMO.accounts.user4],
    ['immediate_close of a customer with a dedicated IP', `curl -s localhost:3000/apiv2/reseller.account.json -d '${AUTH}&task=immediate_close&user=user5'`, DEMO.accounts.user5],
    ['directory change_package', `curl -s ${TOKEN} 'localhost:3000/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=platinum20&edit_tags=vip,eu'`, DEMO.accounts.business],
  ];

  it.each(cases)('%s', async (_name, command, accountId) => {
    const b = bridge();
    const seeded = sorted(b.simulator!.account(accountId)?.offerings);

    const target = command.replace('localhost:3000', b.url.replace('http://', ''));
    await run('bash', ['-c', target]);
    const throughBridge = sorted(b.simulator!.account(accountId)?.offerings);
    expect(throughBridge).not.toEqual(seeded);

    b.simulator!.reset();
    const parsed = parseLegacyRequest(command);
    if (!parsed.ok) throw new Error(parsed.problem);
    const script = renderExplanation(explainRequest(parsed.request, b.config.mappings), b.simulator!.url);
    await run('bash', ['-e', '-o', 'pipefail', '-c', script.split('\n').filter((l) => !l.startsWith('# ') && /^(curl|STEP_|printf)/.test(l)).join('\n')], {
      env: { PATH: process.env.PATH ?? '', SENDGRID_API_KEY: DEMO.key },
    });
    expect(sorted(b.simulator!.account(accountId)?.offerings)).toEqual(throughBridge);
    expect(b.simulator!.writes(accountId)).toMatchObject({ offerings: 1 });
  });
});
